"""The practice panel's on-device path on the server: landmarks posted by the page (session + CSRF), the
opt-in clip for the replay, and a worker that grades a landmark attempt without opening a video."""

import json
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from practice.conftest import OWN_SIGN, wait_for_final
from practice.models import Attempt

pytestmark = pytest.mark.usefixtures("curriculum")


def landmarks_file(data: np.ndarray) -> SimpleUploadedFile:
    """What static/js/ondevice/islr.js sends: [T][543][3] JSON, null for a missing point."""
    value = [[[None if np.isnan(v) else float(v) for v in row] for row in frame] for frame in data]
    return SimpleUploadedFile("landmarks.json", json.dumps(value).encode(), content_type="application/json")


def url(sign: str = "cloud") -> str:
    return reverse("attempt-submit-landmarks", args=[sign])


def test_page_sends_landmarks_and_the_video_stays_home(
    hamlet, cloud_landmarks, sent_tasks, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hamlet.user)
    assert client.post(url(), {"landmarks": landmarks_file(cloud_landmarks[:20])}).status_code == 403

    client.get(reverse("sign-detail", args=["cloud"]))  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(),
            {"landmarks": landmarks_file(cloud_landmarks[:20]), "is_review": "True"},
            headers={"x-csrftoken": token, "accept": "application/json"},
        )

    assert response.status_code == 202
    attempt = Attempt.objects.get()
    assert response.json()["status_url"] == reverse("attempt-status", args=[attempt.pk])
    assert attempt.source == Attempt.Source.LANDMARKS and attempt.is_review
    assert not attempt.video and attempt.landmarks.name.endswith(".parquet")
    assert sent_tasks == [attempt.pk]


def test_bad_landmarks_are_refused_with_a_code(hamlet_client, sent_tasks):
    missing = hamlet_client.post(url(), {})
    wrong_shape = hamlet_client.post(url(), {"landmarks": landmarks_file(np.zeros((3, 500, 3)))})
    unknown_sign = hamlet_client.post(
        url("no-such-sign"), {"landmarks": landmarks_file(np.zeros((3, 543, 3)))}
    )

    assert (missing.status_code, missing.json()["code"]) == (400, "invalid_landmarks")
    assert (wrong_shape.status_code, wrong_shape.json()["code"]) == (400, "invalid_landmarks")
    assert "[frames][543][3]" in wrong_shape.json()["detail"]
    assert unknown_sign.status_code == 404
    assert not Attempt.objects.exists() and not sent_tasks


def test_opted_in_clip_is_kept_for_the_replay_and_checked_like_an_upload(
    hamlet_client, cloud_landmarks, rain_clip, sent_tasks, tmp_path
):
    not_a_video = SimpleUploadedFile("recording.webm", b"not a video", content_type="video/webm")
    refused = hamlet_client.post(
        url(), {"landmarks": landmarks_file(cloud_landmarks[:10]), "video": not_a_video}
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "unreadable_video")
    assert not Attempt.objects.exists()

    clip = SimpleUploadedFile("recording.webm", rain_clip.read_bytes(), content_type="video/webm")
    response = hamlet_client.post(url(), {"landmarks": landmarks_file(cloud_landmarks[:10]), "video": clip})

    assert response.status_code == 202
    attempt = Attempt.objects.get()
    assert attempt.source == Attempt.Source.LANDMARKS  # graded from the landmarks, not the clip
    assert attempt.video and Path(attempt.video.path).read_bytes() == rain_clip.read_bytes()


def test_uploads_share_the_rate_limit(
    hamlet_client, cloud_landmarks, sent_tasks, settings, django_capture_on_commit_callbacks
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "1/min"}}
    with django_capture_on_commit_callbacks(execute=True):
        first = hamlet_client.post(url(), {"landmarks": landmarks_file(cloud_landmarks[:5])})
        second = hamlet_client.post(url(), {"landmarks": landmarks_file(cloud_landmarks[:5])})
    assert (first.status_code, second.status_code) == (202, 429)
    assert second.json()["code"] == "throttled" and len(sent_tasks) == 1


# --- the worker never opens a video for a landmark attempt ---------------------------------------

# Loaded by every Python process started with this folder on PYTHONPATH: opening a container for
# reading (PyAV, the only decoder ml.video uses) leaves a mark and raises. Writing (the replay) is fine.
DECODER_GUARD = """
import os
import av

_open = av.open


def _guarded_open(file, mode="r", *args, **kwargs):
    if mode == "r":
        with open(os.environ["SIGNLEARN_DECODER_MARK"], "a") as mark:
            mark.write(f"{file}\\n")
        raise RuntimeError("the video decoder was opened")
    return _open(file, mode, *args, **kwargs)


av.open = _guarded_open
"""


@pytest.fixture
def worker_without_decoder(worker_process, transactional_db, tmp_path, monkeypatch):
    """The real worker, restarted with the decoder guard; restarted plain for the next tests."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(DECODER_GUARD)
    mark = tmp_path / "decoder-opened.txt"
    monkeypatch.setenv("PYTHONPATH", str(guard))
    monkeypatch.setenv("SIGNLEARN_DECODER_MARK", str(mark))
    worker_process.stop()
    worker_process.start()
    yield worker_process, mark
    worker_process.stop()


@pytest.mark.slow
def test_landmark_attempt_is_graded_without_opening_the_video_decoder(
    worker_without_decoder, hamlet, hamlet_client, rain_clip
):
    from ml.landmarks import extract_video

    worker, mark = worker_without_decoder
    video_attempt = hamlet_client.post(
        reverse("attempt-submit", args=[OWN_SIGN]),
        {"video": SimpleUploadedFile("recording.mp4", rain_clip.read_bytes(), content_type="video/mp4")},
    )
    assert video_attempt.status_code == 302
    failed = wait_for_final(Attempt.objects.get().pk, worker=worker)
    assert failed.status == "failed" and mark.exists()  # the guard works
    mark.unlink()

    clip = SimpleUploadedFile("recording.mp4", rain_clip.read_bytes(), content_type="video/mp4")
    data = extract_video(rain_clip).data  # as the page would have extracted it
    response = hamlet_client.post(url(OWN_SIGN), {"landmarks": landmarks_file(data), "video": clip})
    attempt = wait_for_final(response.json()["id"], worker=worker)

    assert attempt.status == "graded", attempt.failure_detail
    assert attempt.result.passed and attempt.video  # the opted-in clip is there, never decoded
    assert not mark.exists(), mark.read_text()


def test_sign_page_offers_on_device_practice_from_our_own_static_files(hamlet_client):
    from django.contrib.staticfiles import finders

    page = hamlet_client.get(reverse("sign-detail", args=["cloud"])).content.decode()

    assert 'data-holistic-base="/static/vendor/mediapipe-holistic/"' in page
    assert f'data-landmarks-url="{url()}"' in page
    assert "js/ondevice/panel.js" in page and "Your video stays on this device" in page
    assert 'name="upload_video"' in page and "checked" not in page.split('name="upload_video"')[1][:20]
    assert "cdn" not in page.lower() and "jsdelivr" not in page
    holistic = Path(settings.BASE_DIR) / "node_modules" / "@mediapipe" / "holistic" / "holistic.js"
    if not holistic.exists():
        pytest.skip(f"needs npm's @mediapipe/holistic ({holistic} is absent: npm ci, make frontend)")
    assert finders.find("vendor/mediapipe-holistic/holistic_solution_simd_wasm_bin.wasm")
