"""The rule book: pure functions of stored events, so progress can be recomputed from history.

DESIGN §4. Everything here is plain Python on plain values; tests are tables of cases.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class LessonState(StrEnum):
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    COMPLETED = "completed"


@dataclass(frozen=True)
class RankOutcome:
    xp: int
    rating: str  # FSRS rating name: Again, Hard, Good, Easy


# (highest rank included, outcome), checked in order; rank None = not in the top-10.
RANK_TABLE: tuple[tuple[int, RankOutcome], ...] = (
    (1, RankOutcome(xp=20, rating="Easy")),
    (3, RankOutcome(xp=15, rating="Good")),
    (10, RankOutcome(xp=10, rating="Hard")),
)
EFFORT_OUTCOME = RankOutcome(xp=2, rating="Again")
TOP_K = 10


def outcome_for_rank(rank: int | None) -> RankOutcome:
    """XP and review rating for the rank of the intended sign in the top-10 (None = not in it)."""
    if rank is None:
        return EFFORT_OUTCOME
    if rank < 1:
        raise ValueError(f"rank must be 1 or more, got {rank}")
    for highest, outcome in RANK_TABLE:
        if rank <= highest:
            return outcome
    return EFFORT_OUTCOME


def is_pass(rank: int | None) -> bool:
    return rank is not None and 1 <= rank <= TOP_K


def lesson_is_complete(lesson_sign_ids: Sequence[int], passed_sign_ids: set[int]) -> bool:
    """A lesson is complete when each of its signs has passed at least once (an empty lesson never is)."""
    return bool(lesson_sign_ids) and all(sign_id in passed_sign_ids for sign_id in lesson_sign_ids)


def lesson_states(lessons: Sequence[Sequence[int]], passed_sign_ids: set[int]) -> list[LessonState]:
    """State of each lesson in course order, given each lesson's sign ids.

    The first lesson is always open; completing a lesson unlocks the next one. A completed lesson
    stays completed even if an earlier one is not (e.g. after the curriculum was re-ordered).
    """
    states: list[LessonState] = []
    previous_complete = True
    for sign_ids in lessons:
        complete = lesson_is_complete(sign_ids, passed_sign_ids)
        if complete:
            states.append(LessonState.COMPLETED)
        elif previous_complete:
            states.append(LessonState.UNLOCKED)
        else:
            states.append(LessonState.LOCKED)
        previous_complete = complete
    return states
