"""SignClassifier / validate_model with real Kaggle-contract models: the two differently built shared
reference models and our shipped model must all drop in unchanged."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ml import inference
from ml.inference import (
    EmptyLandmarksError,
    ModelValidationError,
    SignClassifier,
    get_classifier,
    to_probabilities,
    validate_model,
)
from ml.layout import LEFT_HAND, N_SIGNS
from ml.paths import islr_dir, shared_models_dir

REPO_DIR = Path(__file__).resolve().parents[2]
SHARED_MODELS = shared_models_dir()
REFERENCE_MODELS = ("gislr-prabhanjan", "gislr-kittu89")
SHIPPED = REPO_DIR / "ml" / "models"


def reference_dir(name: str) -> Path:
    path = SHARED_MODELS / name
    if not (path / "model.tflite").is_file():
        pytest.skip(f"needs the shared reference model {path}/model.tflite (set SIGNLEARN_SHARED_MODELS_DIR)")
    return path


@pytest.fixture(params=REFERENCE_MODELS)
def reference_model(request) -> Path:
    return reference_dir(request.param)


@pytest.fixture(scope="module")
def cloud(request) -> np.ndarray:
    """The one labelled real ISLR dataset sequence (sign 'cloud', 105 frames)."""
    from ml.islr_io import read_sequence

    path = islr_dir() / "gislr_sample" / "train_landmark_files" / "16069" / "100015657.parquet"
    if not path.is_file():
        pytest.skip(f"needs the ISLR dataset sample {path}")
    return read_sequence(path)


def random_landmarks(n_frames: int, seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).random((n_frames, 543, 3), dtype=np.float32)
    data[:, LEFT_HAND] = np.nan
    return data


def test_reference_models_recognise_a_real_dataset_sequence(reference_model, cloud):
    top = SignClassifier(reference_model / "model.tflite").top_k(cloud, k=10)

    assert (top[0].sign, top[0].index) == ("cloud", 48)  # index from sign_to_prediction_index_map.json
    assert len(top) == 10
    assert [p.score for p in top] == sorted((p.score for p in top), reverse=True)
    assert len({p.index for p in top}) == 10


def test_logit_outputs_become_probabilities(reference_model):
    probs = SignClassifier(reference_model / "model.tflite").probabilities(random_landmarks(20))

    assert probs.shape == (N_SIGNS,)
    assert probs.min() >= 0
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_softmax_only_applied_to_logits():
    probabilities = np.array([0.7, 0.2, 0.1])
    logits = np.array([2.0, 1.0, -1.0])

    assert to_probabilities(probabilities) == pytest.approx(probabilities)
    expected = np.exp(logits) / np.exp(logits).sum()
    assert to_probabilities(logits) == pytest.approx(expected, rel=1e-6)


def test_any_number_of_frames_and_a_landmarks_object(reference_model):
    from ml.landmarks import Landmarks

    classifier = SignClassifier(reference_model / "model.tflite")
    one = classifier.top_k(random_landmarks(1), k=3)
    many = classifier.top_k(Landmarks(data=random_landmarks(150)), k=3)

    assert len(one) == len(many) == 3


@pytest.mark.parametrize(
    "data, error",
    [
        (np.zeros((0, 543, 3), np.float32), EmptyLandmarksError),
        (np.full((12, 543, 3), np.nan, np.float32), EmptyLandmarksError),
        (np.zeros((12, 540, 3), np.float32), ValueError),
        (np.zeros((543, 3), np.float32), ValueError),
    ],
    ids=["no-frames", "nobody-detected", "wrong-rows", "no-frame-axis"],
)
def test_unusable_input_is_a_value_error_not_a_crash(data, error):
    classifier = SignClassifier(reference_dir("gislr-prabhanjan") / "model.tflite")

    with pytest.raises(error):
        classifier.top_k(data)


def test_info_without_a_card_names_the_folder_and_hashes_the_file():
    path = reference_dir("gislr-kittu89") / "model.tflite"
    info = SignClassifier(path).info

    assert info.name == "gislr-kittu89"
    assert info.sha256 == inference.file_sha256(path)
    assert len(info.sha256) == 64
    assert info.version == info.sha256[:12]


def test_info_comes_from_the_model_card(tmp_path):
    source = reference_dir("gislr-prabhanjan")
    shutil.copy(source / "model.tflite", tmp_path / "model.tflite")
    shutil.copy(source / "sign_to_prediction_index_map.json", tmp_path / "labels.json")
    (tmp_path / "model_card.json").write_text(json.dumps({"name": "demo", "version": "7"}))

    info = SignClassifier(tmp_path / "model.tflite").info

    assert (info.name, info.version) == ("demo", "7")
    assert info.sha256 == inference.file_sha256(source / "model.tflite")


def test_validate_model_accepts_both_reference_models(reference_model):
    info = validate_model(reference_model / "model.tflite")

    assert info.name == reference_model.name


def test_validate_model_rejects_files_that_are_not_models(tmp_path):
    not_a_model = tmp_path / "model.tflite"
    not_a_model.write_bytes(b"this is not a flatbuffer" * 10)

    with pytest.raises(ModelValidationError, match="not a TFLite model"):
        validate_model(not_a_model)
    with pytest.raises(ModelValidationError, match="no such file"):
        validate_model(tmp_path / "missing.tflite")


def test_validate_model_rejects_a_wrong_label_map(tmp_path):
    shutil.copy(reference_dir("gislr-kittu89") / "model.tflite", tmp_path / "model.tflite")
    (tmp_path / "labels.json").write_text(json.dumps({"a": 0, "b": 1}))

    with pytest.raises(ModelValidationError, match="label map has 2 signs"):
        validate_model(tmp_path / "model.tflite", tmp_path / "labels.json")


def test_get_classifier_builds_one_per_folder(monkeypatch):
    folder = reference_dir("gislr-prabhanjan")
    monkeypatch.setattr(inference, "_classifiers", {})

    first = get_classifier(folder)
    assert get_classifier(str(folder)) is first
    assert get_classifier(reference_dir("gislr-kittu89")) is not first


def test_default_model_dir_is_the_shipped_model_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv("SIGNLEARN_MODEL_DIR", raising=False)
    assert inference.default_model_dir() == SHIPPED

    monkeypatch.setenv("SIGNLEARN_MODEL_DIR", str(tmp_path))
    assert inference.default_model_dir() == tmp_path


def test_shipped_model_honours_the_contract_and_its_card(cloud):
    if not (SHIPPED / "model.tflite").is_file():
        pytest.fail("ml/models/model.tflite is missing: the shipped model must be committed")
    card = json.loads((SHIPPED / "model_card.json").read_text())

    info = validate_model(SHIPPED / "model.tflite")
    top = SignClassifier(SHIPPED / "model.tflite").top_k(cloud, k=10)

    assert info.sha256 == card["sha256"]
    assert (SHIPPED / "model.tflite").stat().st_size <= 10 * 1024 * 1024
    assert len(top) == 10
    assert sum(p.score for p in top) <= 1.0 + 1e-5
    for key in (
        "name",
        "version",
        "training_data",
        "split",
        "metrics",
        "preprocessing",
        "date",
        "limitations",
    ):
        assert key in card, key


def test_predict_cli_prints_the_contract_json(cloud, tmp_path, capsys):
    from ml.__main__ import main
    from ml.islr_io import write_sequence

    write_sequence(cloud, tmp_path / "cloud.parquet")
    code = main(
        ["predict", str(tmp_path / "cloud.parquet"), "--model", str(reference_dir("gislr-kittu89")), "--json"]
    )
    out = json.loads(capsys.readouterr().out)

    assert code == 0
    assert out["model"]["name"] == "gislr-kittu89"
    assert out["frames"] == 105
    assert set(out["detected"]) == {"face", "left_hand", "pose", "right_hand"}
    assert (out["detected"]["left_hand"], out["detected"]["right_hand"]) == (0.2667, 0.0)
    assert len(out["top10"]) == 10
    assert out["top10"][0]["sign"] == "cloud"


def test_predict_cli_reports_an_unreadable_file(tmp_path, capsys):
    from ml.__main__ import main

    (tmp_path / "clip.mp4").write_bytes(b"not a video")
    code = main(["predict", str(tmp_path / "clip.mp4"), "--json"])

    assert code == 1
    assert json.loads(capsys.readouterr().out)["error"] == "unreadable_video"


@pytest.mark.parametrize(
    ("frame_aspect", "view_aspect", "x", "z", "expected_x", "expected_z"),
    [
        (16 / 9, 16 / 9, 0.2, -0.1, 0.2, -0.1),  # same shape: nothing changes
        (1.0, 0.5, 0.75, 0.1, 1.0, 0.2),  # square frame, a view half as wide: x doubles about the centre
        (16 / 9, 9 / 16, 0.5, 0.0, 0.5, 0.0),  # the centre stays where it is
        (0.5, 1.0, 0.0, 0.4, 0.25, 0.2),  # a portrait frame in a square view: x halves
    ],
)
def test_crop_to_aspect_stretches_x_and_z_about_the_centre(
    frame_aspect, view_aspect, x, z, expected_x, expected_z
):
    from ml.layout import crop_to_aspect

    data = np.full((2, 543, 3), np.nan, dtype=np.float32)
    data[:, 500] = (x, 0.3, z)

    out = crop_to_aspect(data, frame_aspect=frame_aspect, view_aspect=view_aspect)

    np.testing.assert_allclose(out[:, 500], [[expected_x, 0.3, expected_z]] * 2, atol=1e-6)
    assert np.isnan(out[:, :500]).all() and np.isnan(data[:, :500]).all()  # missing stays missing
    assert data[0, 500, 0] == np.float32(x)  # the input is not modified


def test_crop_to_aspect_refuses_a_shapeless_frame():
    from ml.layout import crop_to_aspect

    with pytest.raises(ValueError, match="positive"):
        crop_to_aspect(np.zeros((1, 543, 3)), frame_aspect=0.0, view_aspect=1.0)


def test_a_model_with_an_input_aspect_sees_clips_as_a_crop_of_its_own_video(cloud):
    from ml.layout import crop_to_aspect

    path = reference_dir("gislr-prabhanjan") / "model.tflite"
    plain = SignClassifier(path)
    portrait = SignClassifier(path, input_aspect=9 / 16)
    # The Kaggle sequence as a 16:9 camera would have recorded the same person (x squeezed).
    wide = crop_to_aspect(cloud, frame_aspect=9 / 16, view_aspect=16 / 9)

    seen = portrait.probabilities(wide, frame_aspect=16 / 9)

    np.testing.assert_allclose(seen, plain.probabilities(cloud), atol=1e-5)
    assert portrait.top_k(wide, k=1, frame_aspect=16 / 9)[0].sign == "cloud"
    # Without the clip's shape the model sees the landmarks as extracted, as every model without one does.
    np.testing.assert_array_equal(portrait.probabilities(wide), plain.probabilities(wide))
    assert not np.allclose(plain.probabilities(wide), seen, atol=1e-3)


def test_predict_cli_grades_with_the_shipped_configuration_by_default(cloud, tmp_path, capsys):
    from ml.__main__ import main
    from ml.configuration import read_configuration
    from ml.islr_io import write_sequence

    write_sequence(cloud, tmp_path / "cloud.parquet")
    code = main(["predict", str(tmp_path / "cloud.parquet"), "--json"])
    out = json.loads(capsys.readouterr().out)

    shipped = read_configuration(SHIPPED)
    assert code == 0
    assert (out["model"]["name"], out["model"]["version"]) == (shipped.name, shipped.version)
    assert [m["adapter"] for m in out["model"]["members"]] == ["kaggle", "kaggle", "sentisign-66"]
    assert out["top10"][0]["sign"] == "cloud"


def test_folders_and_configuration_members_share_one_cache(monkeypatch):
    from ml.configuration import Member, member_classifier

    folder = reference_dir("gislr-prabhanjan")
    monkeypatch.setattr(inference, "_classifiers", {})

    member = member_classifier(Member(folder=folder, input_aspect=0.5625))

    assert (
        inference.shared_classifier(folder / "model.tflite", input_aspect=0.5625, test_time_mirror=False)
        is member
    )
    assert get_classifier(folder) is not member  # fed another way: its own interpreter
    assert len(inference._classifiers) == 2


def test_a_replaced_model_file_is_loaded_again(monkeypatch, tmp_path):
    shutil.copy(reference_dir("gislr-prabhanjan") / "model.tflite", tmp_path / "model.tflite")
    shutil.copy(reference_dir("gislr-prabhanjan") / "sign_to_prediction_index_map.json", tmp_path)
    monkeypatch.setattr(inference, "_classifiers", {})
    first = inference.shared_classifier(tmp_path / "model.tflite")

    os.utime(tmp_path / "model.tflite", ns=(0, 0))

    assert inference.shared_classifier(tmp_path / "model.tflite") is not first
    inference.shared_classifiers_clear()
    assert inference._classifiers == {}
