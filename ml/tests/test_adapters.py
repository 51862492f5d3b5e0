"""Adapters (ml.adapters): sentisign-66's own input preparation on real Kaggle sequences, detection by
inputs, and the registry of names. Known answers: sentisign-66 ranks the one labelled Kaggle sequence
('cloud') first, as do the Kaggle-contract references."""

import numpy as np
import pytest

from ml.adapters import ADAPTERS, KAGGLE, ContractError, detect_adapter, get_adapter
from ml.adapters.sentisign import N_FRAMES, N_ROWS, prepare
from ml.inference import ModelValidationError, SignClassifier, validate_model
from ml.islr_io import read_sequence
from ml.layout import LEFT_HAND, RIGHT_HAND, ROWS_PER_FRAME
from ml.paths import islr_dir, shared_models_dir

SAMPLE = islr_dir() / "gislr_sample" / "train_landmark_files"


def shared_model(name: str):
    path = shared_models_dir() / name
    if not (path / "model.tflite").is_file():
        pytest.skip(f"needs the shared model {path}/model.tflite (set SIGNLEARN_SHARED_MODELS_DIR)")
    return path


def kaggle_sequence(relative: str) -> np.ndarray:
    path = SAMPLE / relative
    if not path.is_file():
        pytest.skip(f"needs the ISLR dataset sample {path}")
    return read_sequence(path)


@pytest.fixture(scope="module")
def cloud() -> np.ndarray:
    return kaggle_sequence("16069/100015657.parquet")  # 105 frames, sign "cloud" (train.csv)


def test_sentisign_ranks_the_labelled_kaggle_sequence_first(cloud):
    classifier = SignClassifier(shared_model("sentisign-66") / "model.tflite")

    assert classifier.adapter.name == "sentisign-66"  # detected: the shared folder has no card
    top = classifier.top_k(cloud, k=10)
    assert top[0].sign == "cloud"
    probs = classifier.probabilities(cloud)
    assert probs.sum() == pytest.approx(1.0, abs=1e-4)  # its output is already softmaxed


def test_sentisign_input_is_64_frames_of_66_rows_scaled_to_one(cloud):
    frames, frame_idxs = prepare(cloud)

    assert frames.shape == (1, N_FRAMES, N_ROWS, 3) and frames.dtype == np.float32
    assert frame_idxs.shape == (1, N_FRAMES) and frame_idxs.dtype == np.int32
    assert np.abs(frames).max() == pytest.approx(1.0)
    assert not np.isnan(frames).any()
    assert frame_idxs[0].tolist() == list(range(1, N_FRAMES + 1))  # 105 frames: 64 picked evenly


def test_a_short_sequence_is_zero_padded_and_its_padding_has_index_zero():
    brother = kaggle_sequence("2044/635217.parquet")  # 7 frames
    frames, frame_idxs = prepare(brother)

    assert frame_idxs[0].tolist() == list(range(1, 8)) + [0] * (N_FRAMES - 7)
    assert not frames[0, 7:].any()


@pytest.mark.parametrize(("present", "negated"), [(RIGHT_HAND, True), (LEFT_HAND, False)])
def test_the_dominant_hand_is_kept_and_x_negated_only_when_it_is_the_right_one(present, negated):
    data = np.full((3, ROWS_PER_FRAME, 3), np.nan, np.float32)
    data[:, present] = 0.6  # one hand at x = y = z = 0.6, nothing else but two pose points
    data[:, 489] = data[:, 490] = 0.5
    frames, _ = prepare(data)

    hand = frames[0, 0, 40:61]  # after the 40 lip rows
    x_sign = np.sign(hand[:, 0]).mean()
    assert x_sign == (-1.0 if negated else 1.0)
    assert np.sign(hand[:, 1]).mean() == 1.0  # y is never negated


def test_adapters_are_detected_from_the_model_inputs():
    from ml.inference import _make_interpreter

    sentisign = _make_interpreter(shared_model("sentisign-66") / "model.tflite", 1)
    prabhanjan = _make_interpreter(shared_model("gislr-prabhanjan") / "model.tflite", 1)

    assert detect_adapter(sentisign).name == "sentisign-66"
    assert detect_adapter(prabhanjan).name == KAGGLE
    with pytest.raises(ContractError, match="no 'serving_default' signature"):
        get_adapter(KAGGLE).validate(sentisign)
    with pytest.raises(ContractError, match="no 'frames' input"):
        get_adapter("sentisign-66").validate(prabhanjan)


def test_unknown_adapter_names_are_refused():
    assert set(ADAPTERS) == {"kaggle", "sentisign-66"}
    with pytest.raises(ContractError, match="unknown adapter 'mystery'"):
        get_adapter("mystery")


def test_validation_records_the_adapter_and_refuses_a_mismatched_one():
    folder = shared_model("sentisign-66")

    assert validate_model(folder / "model.tflite").adapter == "sentisign-66"
    with pytest.raises(ModelValidationError, match="serving_default"):
        validate_model(folder / "model.tflite", adapter=KAGGLE)
