"""What several practice test modules share: a token-authenticated API client, the bad clips' expected
refusals, and the browser tests' fake camera and login."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

# Each of conftest's bad clips and the code that refuses it, wherever a clip is uploaded.
BAD_CLIP_CODES = [
    ("empty", "unreadable_video"),
    ("corrupt", "unreadable_video"),
    ("audio_only", "unreadable_video"),
    ("too_long", "too_long"),
    ("too_short", "too_short"),
]


@pytest.fixture
def api(hamlet) -> APIClient:
    """Hamlet's API client, authenticated as a program is: with the token from the login endpoint."""
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "hamlet", "password": "correct horse battery"}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    return client


def as_json(data: np.ndarray) -> list:
    """[T][543][3] with null for missing points, as a client sends it."""
    return np.where(np.isnan(data), None, data).tolist()


@pytest.fixture
def rain_camera_clip(rain_clip, tmp_path) -> Path:
    """The real clip as Y4M (what Chromium's fake camera plays, in a loop), with a still second before
    and after so one performance of the sign fits in a 5 s recording whatever the loop's phase."""
    path = tmp_path / "camera.y4m"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(rain_clip), "-vf",
         "tpad=start_duration=1:stop_duration=1:start_mode=clone:stop_mode=clone,fps=30",
         "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


def fake_camera_args(y4m: Path) -> list[str]:
    """Chromium flags for a camera, allowed without asking, that plays `y4m`."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


def log_in(page, base_url: str, username: str = "hamlet") -> None:
    """Log in through the real form (every test learner's password is the same)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
