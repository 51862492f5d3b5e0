"""Graded attempt histories written directly (no worker), counted by the progress service."""

from datetime import UTC, datetime

from progress.demo import demo_attempt_record as attempt_graded  # noqa: F401  (the tests' name for it)
from progress.demo import demo_phrase_attempt_record as phrase_attempt_graded  # noqa: F401


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
