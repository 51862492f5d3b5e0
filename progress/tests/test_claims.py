"""A grading run whose claim was taken over stores nothing: no result, no progress event, no XP. Moved
from practice/tests/test_claims.py (its helpers stay there): it reads progress, the app above practice."""

import pytest

from practice.models import AttemptResult
from practice.tests.test_claims import ANOTHER_MACHINE, cloud_attempt, grade_while, hold
from progress.models import LearnerProgress, ProgressEvent

pytestmark = pytest.mark.usefixtures("curriculum")


def test_a_run_whose_claim_was_taken_over_stores_nothing(hamlet, cloud_landmarks, pinned_model, sent_tasks):
    attempt = cloud_attempt(hamlet, cloud_landmarks)

    def taken_over():
        # This worker stalled past the heartbeat limit; a redelivered message took the attempt.
        hold(attempt, worker=ANOTHER_MACHINE, beat_age_s=0, runs=2)

    after = grade_while(pinned_model, attempt, taken_over)

    assert (after.status, after.worker, after.task_runs) == ("processing", ANOTHER_MACHINE, 2)
    assert not AttemptResult.objects.exists() and not ProgressEvent.objects.exists()
    assert not LearnerProgress.objects.filter(learner=hamlet, xp_total__gt=0).exists()
