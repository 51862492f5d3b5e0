"""Fixtures for the registry tests: the two real third-party models, real extracted clips, attempts.

Holistic runs once per session on a handful of real clips (a few seconds); everything else uses
those sequences or tiny generated ones.
"""

from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile

from conftest import ISLR_DIR, SHARED_MODELS_DIR

# Clips where the two reference models disagree (measured): kittu89 gets each right at rank 1,
# prabhanjan does not (TV -> "boat", bye -> "talk", arm -> "water", animal -> "bath").
CLIPS = {"TV": "0_TV_1.mp4", "bye": "33_bye_1.mp4", "arm": "9_arm_1.mp4", "animal": "5_animal_1.mp4"}


def shared_model_dir(name: str) -> Path:
    folder = SHARED_MODELS_DIR / name
    if not (folder / "model.tflite").is_file():
        pytest.skip(f"needs the shared reference models: {folder}/model.tflite is absent")
    return folder


@pytest.fixture(scope="session")
def prabhanjan_dir() -> Path:
    return shared_model_dir("gislr-prabhanjan")


@pytest.fixture(scope="session")
def kittu_dir() -> Path:
    return shared_model_dir("gislr-kittu89")


@pytest.fixture(scope="session")
def real_sequences(tmp_path_factory) -> dict[str, Path]:
    """sign -> ISLR parquet of its real clip, extracted once per session with our Holistic pipeline."""
    from ml.islr_io import write_sequence
    from ml.landmarks import extract_video

    folder = tmp_path_factory.mktemp("sequences")
    paths = {}
    for sign, name in CLIPS.items():
        clip = ISLR_DIR / "videos" / name
        if not clip.is_file():
            pytest.skip(f"needs the shared ISLR clips: {clip} is absent (set SIGNLEARN_ISLR_DIR)")
        paths[sign] = folder / f"{sign}.parquet"
        write_sequence(extract_video(clip).data, paths[sign])
    return paths


@pytest.fixture
def registered(curriculum, prabhanjan_dir, kittu_dir):
    """Both reference models registered as candidates (nothing active)."""
    from registry.models import ModelVersion
    from registry.services.versions import model_version_register

    return {
        "prabhanjan": model_version_register(
            model_path=prabhanjan_dir / "model.tflite",
            version="prabhanjan",
            source=ModelVersion.Source.UPLOADED,
        ),
        "kittu": model_version_register(
            model_path=kittu_dir / "model.tflite", version="kittu89", source=ModelVersion.Source.UPLOADED
        ),
    }


def make_tutorial(sign_name: str, landmarks: Path | bytes, *, evaluation: bool = False):
    from lessons.models import Sign, TutorialVideo

    tutorial = TutorialVideo(sign=Sign.objects.get(name=sign_name), is_evaluation=evaluation)
    tutorial.file.save("clip.mp4", ContentFile(b"not played in these tests"), save=False)
    data = landmarks.read_bytes() if isinstance(landmarks, Path) else landmarks
    tutorial.landmarks.save("seq.parquet", ContentFile(data), save=False)
    tutorial.save()
    return tutorial


def set_consent(learner, consent: bool):
    from accounts.services import learner_update

    return learner_update(
        learner=learner,
        display_name=learner.display_name,
        time_zone=learner.time_zone,
        daily_xp_goal=learner.daily_xp_goal,
        training_consent=consent,
    )


def tiny_sequence_bytes(seed: int, n_frames: int = 6) -> bytes:
    """A small generated ISLR parquet (random points, a missing left hand) as bytes."""
    import tempfile

    from ml.islr_io import write_sequence

    rng = np.random.default_rng(seed)
    data = rng.random((n_frames, 543, 3), dtype=np.float32)
    data[:, 468:489] = np.nan
    with tempfile.TemporaryDirectory() as tmp:
        write_sequence(data, Path(tmp) / "seq.parquet")
        return (Path(tmp) / "seq.parquet").read_bytes()


@pytest.fixture(autouse=True)
def _fresh_predictor_cache():
    from registry.selectors import predictor_cache_clear

    predictor_cache_clear()
    yield
    predictor_cache_clear()
