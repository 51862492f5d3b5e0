"""A real Celery worker process grades and the learner's XP is counted once: for a real clip, after the
worker is killed mid-grading, and when the task runs twice (slow). Moved from practice/tests/test_worker.py
(its helpers stay there): they read progress, the app above practice.

Known answers: the shared clip 183_rain_3 is ranked first for "rain" by both reference models, and
neither has "hat" in its top-10 for it (see practice/conftest.py).
"""

import time

import pytest

from practice.conftest import OWN_SIGN, WRONG_SIGN, wait_for_final, wait_for_replay, wait_for_status
from practice.models import Attempt, AttemptResult
from practice.tests.test_worker import _wait_for_log, submit
from progress.models import LearnerProgress, ProgressEvent

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]


def test_real_clip_is_graded_for_its_own_sign_and_not_for_another(celery_worker, hamlet, rain_clip):
    own = submit(hamlet, rain_clip, OWN_SIGN)
    other = submit(hamlet, rain_clip, WRONG_SIGN)

    own = wait_for_final(own.pk, worker=celery_worker)
    other = wait_for_final(other.pk, worker=celery_worker)

    assert own.status == "graded", own.failure_detail
    assert own.result.passed and 1 <= own.result.rank <= 3
    assert own.result.top10[own.result.rank - 1]["sign"] == OWN_SIGN
    assert own.result.xp in (20, 15) and own.result.model_version
    own = wait_for_replay(own.pk)
    assert own.landmarks.name.endswith(".parquet") and own.replay.name.endswith(".mp4")
    assert 1.0 < own.duration_s < 2.0  # the clip lasts 1.4 s

    assert other.status == "graded"
    assert (other.result.passed, other.result.rank, other.result.xp) == (False, None, 2)
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == own.result.xp + 2


def test_killed_worker_loses_no_attempt(celery_worker, hamlet, rain_clip):
    attempt = submit(hamlet, rain_clip, OWN_SIGN)
    wait_for_status(attempt.pk, Attempt.Status.PROCESSING)
    celery_worker.kill()  # SIGKILL while it grades
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.PROCESSING and not AttemptResult.objects.exists()

    celery_worker.start()
    restarted = time.monotonic()
    # No beat runs here: the restarted worker's start-up requeue finds the claim's process gone.
    attempt = wait_for_final(attempt.pk, worker=celery_worker, timeout=30)
    assert time.monotonic() - restarted < 30

    assert attempt.status == Attempt.Status.GRADED and attempt.task_runs == 2
    assert AttemptResult.objects.filter(attempt=attempt).count() == 1
    assert ProgressEvent.objects.filter(attempt=attempt).count() == 1


def test_task_run_twice_gives_one_result_and_xp_once(celery_worker, hamlet, rain_clip):
    from practice.tasks import grade_attempt_task

    attempt = submit(hamlet, rain_clip, OWN_SIGN)
    duplicate = grade_attempt_task.delay(attempt.pk)  # a second message for the same attempt
    attempt = wait_for_final(attempt.pk, worker=celery_worker)
    _wait_for_log(celery_worker, f"practice.grade_attempt[{duplicate.id}] succeeded")

    assert attempt.task_runs == 1  # the second run found it graded and did nothing
    assert AttemptResult.objects.filter(attempt=attempt).count() == 1
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == attempt.result.xp
    assert celery_worker.log().count("practice.grade_attempt[") >= 4  # 2 received + 2 succeeded
