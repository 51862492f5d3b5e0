"""Build graded attempt histories directly (no worker): Attempt + AttemptResult rows, then progress."""

from datetime import UTC, datetime, timedelta

from accounts.models import Learner
from lessons.models import Sign
from practice.models import Attempt, AttemptResult
from progress.rules import is_pass, outcome_for_rank
from progress.services import progress_record_attempt


def attempt_graded(
    *,
    learner: Learner,
    sign: Sign,
    rank: int | None,
    at: datetime,
    is_review: bool = False,
    record: bool = True,
    grading_seconds: float = 5.0,
) -> Attempt:
    """A graded attempt made at `at`, counted by progress like the grading pipeline does."""
    attempt = Attempt.objects.create(
        learner=learner, sign=sign, is_review=is_review, status=Attempt.Status.GRADED
    )
    graded_at = at + timedelta(seconds=grading_seconds)
    Attempt.objects.filter(pk=attempt.pk).update(created_at=at, finished_at=graded_at)
    attempt.refresh_from_db()
    result = AttemptResult.objects.create(
        attempt=attempt,
        passed=is_pass(rank),
        rank=rank,
        xp=outcome_for_rank(rank).xp,
        top10=[{"sign": sign.name, "index": sign.index, "score": 0.5}] if rank else [],
        detected={"face": 1.0, "left_hand": 0.8, "pose": 1.0, "right_hand": 0.9},
        n_frames=60,
        model_version="test",
    )
    AttemptResult.objects.filter(pk=attempt.pk).update(graded_at=graded_at)
    result.refresh_from_db()
    if record:
        progress_record_attempt(attempt=attempt, result=result)
    return attempt


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
