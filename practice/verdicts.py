"""Whether an attempt passed: grading's own verdict (DESIGN §4), pure functions of the ranks it found.

They live with grading, which stores the verdict on the result; progress's rule book builds XP and
reviews on them (progress.rules imports them, never the other way round).
"""

from collections.abc import Sequence

from ml.grading import TOP_K


def is_pass(rank: int | None) -> bool:
    """A sign attempt passes when its sign is in the top-10."""
    return rank is not None and 1 <= rank <= TOP_K


def phrase_sign_rank(rank: int | None) -> int | None:
    """A phrase sign's rank as a single-sign review counts it: 1-10, or None (not in its top-10)."""
    return rank if rank is not None and 1 <= rank <= TOP_K else None


def phrase_passed(verdicts: Sequence[dict]) -> bool:
    """Passed when every sign is in its span's top-10 (the alignment keeps them in order)."""
    return bool(verdicts) and all(phrase_sign_rank(v["rank"]) is not None for v in verdicts)
