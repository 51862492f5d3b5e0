"""Grading in this process (no worker) folds the verdict into progress: XP for a pass and for effort,
counted once when grading runs twice, none for a clip without a person or hands. Moved from
practice/tests/test_services.py: they read progress, the app above practice."""

import numpy as np
import pytest
from django.core.files.storage import default_storage

from lessons.models import Sign
from practice.grading import attempt_grade
from practice.models import Attempt, AttemptResult
from practice.services import attempt_create_from_landmarks
from progress.models import LearnerProgress

pytestmark = pytest.mark.usefixtures("curriculum")


def test_landmarks_attempt_is_graded_with_rank_xp_and_progress(
    hamlet, cloud_landmarks, pinned_model, sent_tasks
):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    assert attempt.source == Attempt.Source.LANDMARKS and attempt.landmarks.name.endswith(".parquet")
    assert not LearnerProgress.objects.filter(learner=hamlet, xp_total__gt=0).exists()

    graded = attempt_grade(attempt_id=attempt.pk)

    assert graded.status == Attempt.Status.GRADED and graded.task_runs == 1
    result = graded.result
    assert (result.passed, result.rank, result.xp) == (True, 1, 20)  # known answer: kittu89 ranks it 1st
    assert result.top10[0]["sign"] == "cloud" and len(result.top10) == 10
    assert result.model_version == "gislr-kittu89-test" and result.n_frames == 105
    assert set(result.detected) == {"face", "left_hand", "pose", "right_hand"}
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == 20
    graded.refresh_from_db()  # the replay task (run at once here) attached the replay to the row
    assert graded.replay.name.endswith(".mp4") and default_storage.size(graded.replay.name) > 1000
    assert graded.thumbnail.name.endswith(".png")
    assert pinned_model.frame_aspects == [None]  # uploaded landmarks: the video's shape is unknown


def test_wrong_sign_is_not_passed_and_earns_effort_xp(hamlet, cloud_landmarks, pinned_model, sent_tasks):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="dog"), data=cloud_landmarks
    )
    result = attempt_grade(attempt_id=attempt.pk).result
    assert (result.passed, result.rank, result.xp) == (False, None, 2)
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == 2


def test_grading_twice_keeps_one_result_and_counts_xp_once(hamlet, cloud_landmarks, pinned_model, sent_tasks):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    first = attempt_grade(attempt_id=attempt.pk)
    first.refresh_from_db()
    replay = first.replay.name
    assert replay
    second = attempt_grade(attempt_id=attempt.pk)
    assert second.status == Attempt.Status.GRADED and second.task_runs == 1
    assert second.replay.name == replay
    assert AttemptResult.objects.filter(attempt=attempt).count() == 1
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == 20


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ({}, "no_person"),  # nothing detected at all
        ({"face": slice(0, 468), "pose": slice(489, 522)}, "no_hands"),  # a person with hands out of view
    ],
)
def test_clips_without_person_or_hands_fail_with_their_reason(
    hamlet, cloud_landmarks, pinned_model, sent_tasks, parts, reason
):
    data = np.full_like(cloud_landmarks, np.nan)
    for part in parts.values():
        data[:, part] = cloud_landmarks[:, part]
    attempt = attempt_create_from_landmarks(learner=hamlet, sign=Sign.objects.get(name="cloud"), data=data)
    failed = attempt_grade(attempt_id=attempt.pk)
    assert (failed.status, failed.failure_reason) == (Attempt.Status.FAILED, reason)
    assert not AttemptResult.objects.exists()
    assert not LearnerProgress.objects.filter(learner=hamlet, xp_total__gt=0).exists()
