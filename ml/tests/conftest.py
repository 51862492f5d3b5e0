"""Fixtures for the ml tests: real clips from the shared ISLR folder and media made at test time.

Media files are generated with Debian's ffmpeg in temporary folders, never committed. Holistic runs
on as few real clips as possible: the extracted TV clip is shared by the whole session.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from ml.paths import islr_dir as shared_islr_dir

ISLR_DIR = shared_islr_dir()

TV_CLIP = "0_TV_1.mp4"  # 45 frames, 640x360 H.264 @ 29.97 fps, right hand signing in every frame
HAPPY_CLIP = "105_happy_1.mp4"  # 65 frames (66 in the header, one dropped by the edit list)


@pytest.fixture(scope="session")
def islr_dir() -> Path:
    if not (ISLR_DIR / "videos").is_dir():
        pytest.skip(f"needs the shared ISLR data: {ISLR_DIR}/videos is absent (set SIGNLEARN_ISLR_DIR)")
    return ISLR_DIR


@pytest.fixture(scope="session")
def gislr_sample(islr_dir) -> Path:
    path = islr_dir / "gislr_sample"
    if not (path / "train.csv").is_file():
        pytest.skip(f"needs the ISLR dataset sample: {path}/train.csv is absent")
    return path


@pytest.fixture(scope="session")
def tv_clip(islr_dir) -> Path:
    return islr_dir / "videos" / TV_CLIP


@pytest.fixture(scope="session")
def happy_clip(islr_dir) -> Path:
    return islr_dir / "videos" / HAPPY_CLIP


@pytest.fixture(scope="session")
def tv_video(tv_clip):
    from ml.video import read_video

    return read_video(tv_clip)


@pytest.fixture(scope="session")
def tv_landmarks(tv_video):
    """Holistic landmarks of the whole TV clip, extracted once per session with the shared extractor."""
    from ml.landmarks import get_extractor, quiet_native_logs

    with quiet_native_logs():
        return get_extractor().extract(tv_video.frames, timestamps_s=tv_video.timestamps_s)


@pytest.fixture(scope="session")
def ffmpeg():
    """Run Debian's ffmpeg quietly; skips when it is not installed."""
    binary = shutil.which("ffmpeg")
    if binary is None:
        pytest.skip("needs ffmpeg (apt-get install ffmpeg) to make test media")

    def run(*args: str | Path) -> None:
        subprocess.run([binary, "-v", "error", "-nostdin", "-y", *map(str, args)], check=True)

    return run


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")
