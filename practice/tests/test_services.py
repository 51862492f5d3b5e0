"""The attempt lifecycle in this process (no worker): create, grade, fail, requeue, purge; tutorial QA."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from lessons.models import Sign
from practice.claims import current_holder
from practice.conftest import BAD_CLIP_CODES
from practice.errors import AttemptRejected
from practice.grading import MAX_TASK_RUNS, attempt_grade
from practice.models import Attempt
from practice.recovery import attempts_requeue_stuck
from practice.services import attempt_create, attempt_create_from_landmarks, clips_purge_expired

pytestmark = pytest.mark.usefixtures("curriculum")


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def media_files(folder: str) -> list[str]:
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def test_upload_is_stored_under_a_generated_name_and_queued(
    hamlet, rain_clip, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attempt = attempt_create(learner=hamlet, sign=Sign.objects.get(name="rain"), video=upload(rain_clip))
    assert attempt.status == Attempt.Status.QUEUED and attempt.queued_at is not None
    assert attempt.video.name.startswith("attempts/video/") and "rain" not in attempt.video.name
    assert attempt.video.name.endswith(".mp4") and default_storage.exists(attempt.video.name)
    assert sent_tasks == [attempt.pk]  # sent only after the commit


@pytest.mark.parametrize(("clip", "code"), BAD_CLIP_CODES)
def test_bad_uploads_are_refused_before_anything_is_stored(hamlet, bad_clips, sent_tasks, clip, code):
    before = media_files("attempts/video")
    with pytest.raises(AttemptRejected) as rejected:
        attempt_create(learner=hamlet, sign=Sign.objects.get(name="rain"), video=upload(bad_clips[clip]))
    assert rejected.value.code == code
    assert Attempt.objects.count() == 0 and sent_tasks == []
    assert media_files("attempts/video") == before


def test_oversized_upload_is_refused(hamlet, rain_clip, settings, sent_tasks):
    settings.SIGNLEARN_MAX_UPLOAD_BYTES = rain_clip.stat().st_size - 1
    with pytest.raises(AttemptRejected) as rejected:
        attempt_create(learner=hamlet, sign=Sign.objects.get(name="rain"), video=upload(rain_clip))
    assert rejected.value.code == "too_large"
    assert Attempt.objects.count() == 0


@pytest.mark.slow
def test_video_attempt_is_graded_knowing_the_shape_of_the_clip(hamlet, rain_clip, pinned_model, sent_tasks):
    attempt = attempt_create(learner=hamlet, sign=Sign.objects.get(name="rain"), video=upload(rain_clip))

    graded = attempt_grade(attempt_id=attempt.pk)

    assert graded.status == Attempt.Status.GRADED and graded.result.rank == 1
    # The clip is 640x360: a model registered with another video shape sees it as a crop of that shape.
    assert pinned_model.frame_aspects == [pytest.approx(640 / 360)]


def test_grading_queues_the_replay_on_the_media_queue_and_draws_it_once(
    hamlet, cloud_landmarks, pinned_model, monkeypatch
):
    from django.conf import settings

    from practice.replay import attempt_media_render
    from practice.tasks import render_attempt_media_task

    queued: list[int] = []
    monkeypatch.setattr("practice.tasks.grade_attempt_task.delay", lambda attempt_id: None)
    monkeypatch.setattr("practice.tasks.render_attempt_media_task.delay", queued.append)
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )

    graded = attempt_grade(attempt_id=attempt.pk)

    assert graded.status == Attempt.Status.GRADED and not graded.replay and queued == [attempt.pk]
    assert settings.CELERY_TASK_ROUTES[render_attempt_media_task.name]["queue"] in settings.WORKER_QUEUES
    drawn = attempt_media_render(attempt_id=attempt.pk)
    assert drawn.replay.name.endswith(".mp4") and drawn.thumbnail.name.endswith(".png")
    assert attempt_media_render(attempt_id=attempt.pk) is None  # already drawn: nothing to do
    assert Attempt.objects.get(pk=attempt.pk).replay.name == drawn.replay.name


def test_transient_database_error_releases_the_claim_for_a_retry(
    hamlet, cloud_landmarks, monkeypatch, sent_tasks
):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )

    def database_down():
        raise OperationalError("database is locked")

    monkeypatch.setattr("practice.predictor.grading_predictor", database_down)
    with pytest.raises(OperationalError):
        attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.QUEUED and attempt.task_runs == 1


def test_unexpected_error_fails_as_internal_error(hamlet, cloud_landmarks, monkeypatch, sent_tasks):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    monkeypatch.setattr("practice.predictor.grading_predictor", lambda: 1 / 0)
    failed = attempt_grade(attempt_id=attempt.pk)
    assert (failed.status, failed.failure_reason) == (Attempt.Status.FAILED, "internal_error")


def test_an_attempt_that_keeps_killing_workers_is_given_up(hamlet, cloud_landmarks, sent_tasks):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    Attempt.objects.filter(pk=attempt.pk).update(task_runs=MAX_TASK_RUNS)
    failed = attempt_grade(attempt_id=attempt.pk)
    assert (failed.status, failed.failure_reason) == (Attempt.Status.FAILED, "internal_error")


def test_processing_claim_of_a_live_worker_is_not_taken(hamlet, cloud_landmarks, sent_tasks):
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.PROCESSING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        worker=current_holder(),  # this very process: alive
        task_runs=1,
    )
    assert attempt_grade(attempt_id=attempt.pk).status == Attempt.Status.PROCESSING
    assert Attempt.objects.get(pk=attempt.pk).task_runs == 1


def test_stuck_attempts_are_requeued(hamlet, cloud_landmarks, sent_tasks, django_capture_on_commit_callbacks):
    sign = Sign.objects.get(name="cloud")
    fresh, dead, lost, done = (
        attempt_create_from_landmarks(learner=hamlet, sign=sign, data=cloud_landmarks) for _ in range(4)
    )
    now = timezone.now()
    Attempt.objects.filter(pk=dead.pk).update(
        status=Attempt.Status.PROCESSING,
        started_at=now - timedelta(minutes=1),
        heartbeat_at=now - timedelta(seconds=21),  # four beats missed
        worker="another-machine:1234:5678",
    )
    Attempt.objects.filter(pk=lost.pk).update(
        created_at=now - timedelta(hours=1), queued_at=now - timedelta(hours=1)
    )
    Attempt.objects.filter(pk=done.pk).update(
        status=Attempt.Status.FAILED, created_at=now - timedelta(hours=1)
    )
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_requeue_stuck(now=now) == 2

    assert sorted(sent_tasks) == sorted([dead.pk, lost.pk])
    assert Attempt.objects.get(pk=dead.pk).status == Attempt.Status.QUEUED
    assert Attempt.objects.get(pk=fresh.pk).queued_at == fresh.queued_at  # queued a moment ago: left alone


def test_expired_clips_are_purged_and_landmarks_kept(hamlet, rain_clip, sent_tasks):
    sign = Sign.objects.get(name="rain")
    old = attempt_create(learner=hamlet, sign=sign, video=upload(rain_clip))
    recent = attempt_create(learner=hamlet, sign=sign, video=upload(rain_clip))
    old_video = old.video.name
    Attempt.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8), landmarks="attempts/landmarks/kept.parquet"
    )
    assert clips_purge_expired() == 1
    old.refresh_from_db()
    assert not old.video and old.video_deleted_at is not None and not default_storage.exists(old_video)
    assert old.landmarks.name == "attempts/landmarks/kept.parquet"
    assert Attempt.objects.get(pk=recent.pk).video.name == recent.video.name
    assert clips_purge_expired() == 0


@pytest.mark.slow
def test_tutorial_check_records_rank_landmarks_and_flags(
    rain_clip, pinned_model, django_capture_on_commit_callbacks
):
    from django.core.files import File

    from lessons.services import tutorial_create
    from practice.tutorial_qa import tutorial_check

    with rain_clip.open("rb") as fh:
        own = tutorial_create(sign=Sign.objects.get(name="rain"), file=File(fh, name=rain_clip.name))
    with rain_clip.open("rb") as fh:
        mislabelled = tutorial_create(sign=Sign.objects.get(name="hat"), file=File(fh, name="hat.mp4"))

    own = tutorial_check(tutorial_id=own.pk)
    assert (own.qa_status, own.qa_rank) == ("ok", 1)
    assert own.qa_model_version == "gislr-kittu89-test" and own.qa_top10[0]["sign"] == "rain"
    assert own.landmarks.name.endswith(".parquet") and default_storage.exists(own.landmarks.name)
    assert own.qa_detected["pose"] == 1.0
    assert pinned_model.frame_aspects[0] == pytest.approx(640 / 360)

    mislabelled = tutorial_check(tutorial_id=mislabelled.pk)
    assert (mislabelled.qa_status, mislabelled.qa_rank) == ("flagged", None)
    assert "not in the top-10" in mislabelled.qa_message
