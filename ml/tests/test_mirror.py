"""Landmark-level mirroring (ml.mirror) against MediaPipe itself on a mirrored real clip, and test-time
mirroring (ml.ensemble.MirrorAveraged)."""

import numpy as np
import pytest

from ml.layout import LEFT_HAND, LIPS, POSE, RIGHT_HAND
from ml.mirror import MIRROR_ROWS, mirror_sequence

LIP_ROWS = list(LIPS)  # face rows start at 0
HAND_ROWS = list(range(LEFT_HAND.start, LEFT_HAND.stop)) + list(range(RIGHT_HAND.start, RIGHT_HAND.stop))
UPPER_BODY = list(range(POSE.start, POSE.start + 25))


def median_gap(a: np.ndarray, b: np.ndarray, rows: list[int]) -> float:
    return float(np.nanmedian(np.abs(a[:, rows, :2] - b[:, rows, :2])))


@pytest.fixture(scope="module")
def mirrored_landmarks(tv_video):
    """MediaPipe Holistic on the TV clip's frames flipped left/right (extracted once)."""
    from ml.conditions import MIRRORED, condition_video
    from ml.landmarks import get_extractor, quiet_native_logs

    mirrored = condition_video(tv_video, MIRRORED)
    with quiet_native_logs():
        return get_extractor().extract(mirrored.frames, timestamps_s=mirrored.timestamps_s).data


def test_mirroring_landmarks_gives_what_mediapipe_sees_in_a_mirrored_video(tv_landmarks, mirrored_landmarks):
    mirrored = mirror_sequence(tv_landmarks.data)
    naive = tv_landmarks.data.copy()
    naive[..., 0] = 1.0 - naive[..., 0]  # flipped, but no part swapped

    for rows in (LIP_ROWS, HAND_ROWS, UPPER_BODY):
        assert median_gap(mirrored, mirrored_landmarks, rows) < 0.01  # 6 px of 640
    # Without swapping, the signing hand is in the other hand's rows and the lips' corners are swapped.
    assert np.isnan(naive[:, RIGHT_HAND]).all() != np.isnan(mirrored_landmarks[:, RIGHT_HAND]).all()
    assert median_gap(naive, mirrored_landmarks, LIP_ROWS) > 3 * median_gap(
        mirrored, mirrored_landmarks, LIP_ROWS
    )


def test_mirroring_twice_is_the_identity(tv_landmarks):
    data = tv_landmarks.data
    assert (MIRROR_ROWS[MIRROR_ROWS] == np.arange(543)).all()
    np.testing.assert_allclose(mirror_sequence(mirror_sequence(data)), data, atol=1e-6)


def test_test_time_mirroring_scores_a_sequence_and_its_mirror_alike(tv_landmarks, mirrored_landmarks):
    from ml.ensemble import MirrorAveraged
    from ml.inference import SignClassifier
    from ml.paths import shared_models_dir

    path = shared_models_dir() / "gislr-prabhanjan" / "model.tflite"
    if not path.is_file():
        pytest.skip(f"needs the shared reference model {path}")
    averaged = MirrorAveraged(SignClassifier(path))

    original = averaged.probabilities(tv_landmarks.data)
    flipped = averaged.probabilities(mirror_sequence(tv_landmarks.data))
    np.testing.assert_allclose(original, flipped, atol=2e-3)  # symmetric by construction (float rounding)
    assert original.sum() == pytest.approx(1.0, abs=1e-4)
    assert averaged.top_k(mirrored_landmarks, k=10)[0].sign == averaged.top_k(tv_landmarks.data, k=10)[0].sign


def test_a_classifier_mirrors_at_test_time_when_its_card_says_so(tv_landmarks, tmp_path):
    import json
    import shutil

    from ml.ensemble import MirrorAveraged
    from ml.inference import SignClassifier
    from ml.paths import shared_models_dir

    source = shared_models_dir() / "sentisign-66"
    if not (source / "model.tflite").is_file():
        pytest.skip(f"needs the shared model {source}")
    for name in ("model.tflite", "sign_to_prediction_index_map.json"):
        shutil.copy(source / name, tmp_path / name)
    (tmp_path / "model_card.json").write_text(json.dumps({"name": "s", "test_time_mirror": True}))

    mirrored = SignClassifier(tmp_path / "model.tflite")
    plain = SignClassifier(tmp_path / "model.tflite", test_time_mirror=False)

    assert mirrored.test_time_mirror and not plain.test_time_mirror
    expected = MirrorAveraged(plain).probabilities(tv_landmarks.data)
    np.testing.assert_allclose(mirrored.probabilities(tv_landmarks.data), expected, atol=1e-6)
    assert not np.allclose(plain.probabilities(tv_landmarks.data), expected, atol=1e-3)
