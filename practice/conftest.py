"""Fixtures for practice tests: real clips, a pinned reference model, waiting on the real worker, an API
client and the browser tests' fake camera and login."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ISLR_DIR, SHARED_MODELS_DIR, shared_clip

# A clip both reference models (and so, we expect, any decent model) rank first for its own sign:
# gislr-prabhanjan 0.94, gislr-kittu89 0.77 for "rain". Neither has "hat" in its top-10 for it.
OWN_SIGN_CLIP = "183_rain_3.mp4"
OWN_SIGN = "rain"
WRONG_SIGN = "hat"
# A real ISLR dataset sequence labelled "cloud"; gislr-kittu89 ranks it first (0.98).
CLOUD_SEQUENCE = "gislr_sample/train_landmark_files/16069/100015657.parquet"
REFERENCE_MODEL = "gislr-kittu89"


@pytest.fixture
def rain_clip() -> Path:
    return shared_clip(OWN_SIGN_CLIP)


@pytest.fixture
def rain_camera_clip(rain_clip, tmp_path) -> Path:
    """The real clip as Y4M (what Chromium's fake camera plays, in a loop), with a still second before
    and after so one performance of the sign fits in a 5 s recording whatever the loop's phase."""
    path = tmp_path / "camera.y4m"
    ffmpeg("-i", str(rain_clip), "-vf",
           "tpad=start_duration=1:stop_duration=1:start_mode=clone:stop_mode=clone,fps=30",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def fake_camera_args(y4m: Path) -> list[str]:
    """Chromium flags for a camera, allowed without asking, that plays `y4m`."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


@pytest.fixture(scope="session")
def cloud_landmarks():
    """[105, 543, 3] landmarks of a real dataset sequence of "cloud"."""
    path = ISLR_DIR / CLOUD_SEQUENCE
    if not path.exists():
        pytest.skip(f"needs the shared ISLR sample: {path} is absent (set SIGNLEARN_ISLR_DIR)")
    from ml.islr_io import read_sequence

    return read_sequence(path)


@dataclass
class ReferencePredictor:
    """The registry predictor's interface over one fixed model, so unit tests have known answers."""

    classifier: object
    version: str
    frame_aspects: list = field(default_factory=list)  # what each call was told of the clip's shape

    def top_k(self, data, k: int = 10, *, frame_aspect=None):
        self.frame_aspects.append(frame_aspect)
        return self.classifier.top_k(data, k=k, frame_aspect=frame_aspect)


@pytest.fixture(scope="session")
def reference_predictor() -> ReferencePredictor:
    path = SHARED_MODELS_DIR / REFERENCE_MODEL / "model.tflite"
    if not path.exists():
        pytest.skip(f"needs the shared reference model {path} (set SIGNLEARN_SHARED_MODELS_DIR)")
    from ml.inference import SignClassifier

    return ReferencePredictor(classifier=SignClassifier(path), version=f"{REFERENCE_MODEL}-test")


@pytest.fixture
def pinned_model(monkeypatch, reference_predictor) -> ReferencePredictor:
    """Grade in this process with the reference model instead of the registry's active one."""
    monkeypatch.setattr("practice.predictor.grading_predictor", lambda: reference_predictor)
    reference_predictor.frame_aspects.clear()
    return reference_predictor


@pytest.fixture
def sent_tasks(monkeypatch) -> list[int]:
    """Attempt ids sent to the grading task (instead of a broker) in tests without a worker; the replay
    task a graded attempt queues runs at once, as an idle worker would."""
    from practice.replay import attempt_media_render

    sent: list[int] = []
    monkeypatch.setattr("practice.tasks.grade_attempt_task.delay", lambda attempt_id: sent.append(attempt_id))
    monkeypatch.setattr(
        "practice.tasks.render_attempt_media_task.delay",
        lambda attempt_id: attempt_media_render(attempt_id=attempt_id),
    )
    return sent


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def bad_clips(tmp_path_factory) -> dict[str, Path]:
    """Uploads the request must refuse, made at test time: name -> path."""
    if not Path("/usr/bin/ffmpeg").exists():
        pytest.skip("needs ffmpeg (Debian package) to make test clips")
    folder = tmp_path_factory.mktemp("bad-clips")
    clips = {
        "empty": folder / "empty.mp4",
        "corrupt": folder / "corrupt.mp4",
        "audio_only": folder / "audio.m4a",
        "too_long": folder / "long.mp4",
        "too_short": folder / "short.mp4",
    }
    clips["empty"].write_bytes(b"")
    clips["corrupt"].write_bytes(os.urandom(64 * 1024))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", str(clips["audio_only"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=17", "-pix_fmt", "yuv420p",
           str(clips["too_long"]))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=0.2", "-pix_fmt", "yuv420p",
           str(clips["too_short"]))  # fmt: skip
    return clips


# Each of bad_clips and the code that refuses it, wherever a clip is uploaded.
BAD_CLIP_CODES = [
    ("empty", "unreadable_video"),
    ("corrupt", "unreadable_video"),
    ("audio_only", "unreadable_video"),
    ("too_long", "too_long"),
    ("too_short", "too_short"),
]


@pytest.fixture(scope="session")
def nobody_clip(tmp_path_factory) -> Path:
    """A valid 2 s video with no person in it: accepted by the upload, failed by the worker."""
    if not Path("/usr/bin/ffmpeg").exists():
        pytest.skip("needs ffmpeg (Debian package) to make test clips")
    path = tmp_path_factory.mktemp("nobody") / "nobody.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=15:duration=2", "-pix_fmt", "yuv420p", str(path))
    return path


# --- waiting on the real worker (its fixtures: core/testing/fixtures.py) ---------------------


def wait_for_final(attempt_id: int, *, timeout: float = 120.0, worker=None):
    """Poll the database until the attempt is graded or failed; fail with the worker log if not."""
    from practice.models import Attempt

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attempt = Attempt.objects.get(pk=attempt_id)
        if attempt.status in (Attempt.Status.GRADED, Attempt.Status.FAILED):
            return attempt
        time.sleep(0.1)
    log = worker.log()[-4000:] if worker else ""
    raise AssertionError(f"attempt {attempt_id} still {attempt.status} after {timeout} s\n{log}")


def wait_for_status(attempt_id: int, status: str, *, timeout: float = 60.0):
    from practice.models import Attempt

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Attempt.objects.filter(pk=attempt_id, status=status).exists():
            return
        time.sleep(0.02)
    raise AssertionError(f"attempt {attempt_id} never reached {status}")


def wait_for_replay(attempt_id: int, *, timeout: float = 30.0):
    """The replay is rendered just after the grade is stored; wait for it to be attached."""
    from practice.models import Attempt

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attempt = Attempt.objects.get(pk=attempt_id)
        if attempt.replay:
            return attempt
        time.sleep(0.05)
    raise AssertionError(f"attempt {attempt_id} has no replay after {timeout} s")


def make_attempt(learner, sign_name: str, landmarks: bytes, *, rank: int | None, status: str = "graded"):
    """A stored attempt with its landmarks and, when graded, a result at `rank` (None: not passed)."""
    from django.core.files.base import ContentFile

    from lessons.models import Sign
    from practice.models import Attempt, AttemptResult

    attempt = Attempt(learner=learner, sign=Sign.objects.get(name=sign_name), status=status)
    attempt.landmarks.save("seq.parquet", ContentFile(landmarks), save=False)
    attempt.save()
    if status == "graded":
        AttemptResult.objects.create(
            attempt=attempt,
            passed=rank is not None,
            rank=rank,
            xp=0,
            top10=[],
            detected={},
            model_version="test",
        )
    return attempt


# --- a real phrase -----------------------------------------------------------------------------------
# "DAD GO BED" (a curriculum phrase) joined from three real shared clips, as ml/tests/test_phrase.py and
# bench/phrases.py join them: each clip's landmarks at the grading rate, with a third of a second of
# the signer at rest (face and pose of the sign's last frame, no hands) between signs. The shipped model
# finds every sign in its span (ml/tests/test_phrase.py); "dad", "milk", "bed" misses "milk".
PHRASE_SLUG = "dad-go-bed"
PHRASE_CLIPS = ("55_dad_1.mp4", "97_go_1.mp4", "17_bed_1.mp4")
PHRASE_REST_FRAMES = 5


@pytest.fixture(scope="session")
def dad_go_bed_landmarks():
    """[T, 543, 3] landmarks of the joined phrase at 15 fps."""
    import numpy as np

    from ml.landmarks import extract_video, quiet_native_logs

    parts = []
    with quiet_native_logs():
        for name in PHRASE_CLIPS:
            piece = extract_video(shared_clip(name), target_fps=15).data
            rest = np.repeat(piece[-1:], PHRASE_REST_FRAMES, axis=0)
            rest[:, 468:489] = rest[:, 522:543] = np.nan
            parts += [piece, rest]
    return np.concatenate(parts[:-1])


# --- clients ---------------------------------------------------------------------------------------


@pytest.fixture
def api(hamlet):
    """Hamlet's API client, authenticated as a program is: with the token from the login endpoint."""
    from rest_framework.test import APIClient

    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "hamlet", "password": "correct horse battery"}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    return client


def as_json(data) -> list:
    """[T][543][3] with null for missing points, as a client sends it."""
    import numpy as np

    return np.where(np.isnan(data), None, data).tolist()


def log_in(page, base_url: str, username: str = "hamlet") -> None:
    """Log in through the real form in a browser page (every test learner has the same password)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
