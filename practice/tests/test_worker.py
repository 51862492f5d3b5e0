"""End to end with a real Celery worker process on the test database and broker (slow).

Known answers: the shared clip 183_rain_3 is ranked first for "rain" by both reference models, and
neither has "hat" in its top-10 for it (see practice/conftest.py).
"""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from lessons.models import Sign
from practice.conftest import OWN_SIGN, wait_for_final, wait_for_replay
from practice.models import Attempt, AttemptResult
from practice.services import attempt_create

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]


def submit(learner, clip, sign_name: str) -> Attempt:
    video = SimpleUploadedFile(clip.name, clip.read_bytes())
    return attempt_create(learner=learner, sign=Sign.objects.get(name=sign_name), video=video)


def test_clip_without_a_person_fails_in_the_worker(celery_worker, hamlet, nobody_clip):
    attempt = wait_for_final(submit(hamlet, nobody_clip, OWN_SIGN).pk, worker=celery_worker)
    assert (attempt.status, attempt.failure_reason) == ("failed", "no_person")
    assert not AttemptResult.objects.exists()


def test_another_learner_gets_404_on_the_attempt_and_its_media(
    celery_worker, client, hamlet, ophelia, rain_clip
):
    attempt = wait_for_final(submit(hamlet, rain_clip, OWN_SIGN).pk, worker=celery_worker)
    wait_for_replay(attempt.pk)
    urls = [reverse("attempt-detail", args=[attempt.pk])] + [
        reverse("attempt-media", args=[attempt.pk, kind]) for kind in ("video", "replay", "thumbnail")
    ]
    client.force_login(hamlet.user)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]
    client.force_login(ophelia.user)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    api = APIClient()
    api.force_authenticate(ophelia.user)
    assert api.get(f"/api/v1/attempts/{attempt.pk}/").status_code == 404


def _wait_for_log(worker, text: str, timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while text not in worker.log():
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in the worker log:\n{worker.log()[-3000:]}")
        time.sleep(0.1)


def test_tutorial_checks_wait_in_their_own_queue_and_never_hold_up_grading(celery_worker, hamlet, rain_clip):
    from django.core.files import File

    from lessons.models import TutorialVideo
    from lessons.services import tutorial_create

    for n in range(4):  # an import: four checks queued before the parent's attempt
        with rain_clip.open("rb") as fh:
            tutorial_create(sign=Sign.objects.get(name=OWN_SIGN), file=File(fh, name=f"rain-{n}.mp4"))
    attempt = wait_for_final(submit(hamlet, rain_clip, OWN_SIGN).pk, worker=celery_worker)

    assert attempt.status == "graded", attempt.failure_detail
    # The worker takes the two queues in turn: with one queue it would have checked all four first.
    assert TutorialVideo.objects.filter(qa_status="pending").count() >= 2
    deadline = time.monotonic() + 120
    while TutorialVideo.objects.filter(qa_status="pending").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(TutorialVideo.objects.values_list("qa_status", "qa_rank")) == {("ok", 1)}
