"""Training, in-graph preprocessing and TFLite export (TensorFlow: run with .venv-train/bin/python).

The main .venv deliberately has no TensorFlow (the web and worker images run LiteRT only), so there
these tests skip; run them with
`make train-venv && .venv-train/bin/python -m pytest -p no:django ml/tests/test_train_export.py`.
"""

import json

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="TensorFlow is only in .venv-train (make train-venv)")

import tensorflow as tf  # noqa: E402

from ml import model as seed  # noqa: E402
from ml.inference import SignClassifier, validate_model  # noqa: E402
from ml.islr_io import landmark_file_path, read_sequence, write_sequence, write_train_csv  # noqa: E402
from ml.layout import LEFT_HAND, POSE, RIGHT_HAND  # noqa: E402
from ml.paths import islr_dir  # noqa: E402

ISLR_DIR = islr_dir()
SAMPLE = ISLR_DIR / "gislr_sample" / "train_landmark_files"
TINY = seed.ModelConfig(n_frames=16, dim=32, n_blocks=1, n_heads=2)


@pytest.fixture(scope="module")
def cloud() -> np.ndarray:
    path = SAMPLE / "16069" / "100015657.parquet"
    if not path.is_file():
        pytest.skip(f"needs the ISLR dataset sample {path}")
    return read_sequence(path)


def features(config, raw):
    layout = seed.point_layout(config)
    f, m = seed.make_preprocess(config)(tf.constant(seed.select_points(raw, layout)))
    return f.numpy(), m.numpy()


def test_preprocessing_gives_fixed_length_finite_features_and_masks(cloud):
    f, m = features(TINY, cloud)

    assert f.shape == (16, sum(seed.feature_sizes(TINY).values()))
    assert m.shape == (16, 3)  # pose, left hand, right hand
    assert np.isfinite(f).all()
    # Only the left hand is ever seen: it is mirrored into the right-hand slot, and frames are trimmed
    # to where a hand is visible.
    assert m[:, 0].all() and not m[:, 1].any() and m[:, 2][[0, -1]].all()


def test_preprocessing_survives_one_frame_and_nobody(cloud):
    empty = np.full((7, 543, 3), np.nan, np.float32)
    for raw in (cloud[:1], empty):
        f, m = features(TINY, raw)
        assert np.isfinite(f).all()
    assert features(TINY, empty)[1].sum() == 0


def test_dominant_hand_flip_makes_a_mirrored_signer_look_the_same(cloud):
    mirrored = cloud.copy()
    mirrored[..., 0] = 1.0 - mirrored[..., 0]
    mirrored[:, LEFT_HAND], mirrored[:, RIGHT_HAND] = cloud[:, RIGHT_HAND], cloud[:, LEFT_HAND]
    mirrored[:, LEFT_HAND, 0] = 1.0 - cloud[:, RIGHT_HAND, 0]
    mirrored[:, RIGHT_HAND, 0] = 1.0 - cloud[:, LEFT_HAND, 0]
    pairs = [(a, b) for a, b in seed.POSE_PAIRS]
    for a, b in pairs:
        mirrored[:, POSE.start + a, 0] = 1.0 - cloud[:, POSE.start + b, 0]
        mirrored[:, POSE.start + b, 0] = 1.0 - cloud[:, POSE.start + a, 0]
        mirrored[:, POSE.start + a, 1:] = cloud[:, POSE.start + b, 1:]
        mirrored[:, POSE.start + b, 1:] = cloud[:, POSE.start + a, 1:]
    for a, b in ((seed.FACE_SIDE_A, seed.FACE_SIDE_B),):
        mirrored[:, a, 0], mirrored[:, b, 0] = 1.0 - cloud[:, b, 0], 1.0 - cloud[:, a, 0]

    np.testing.assert_allclose(features(TINY, mirrored)[0], features(TINY, cloud)[0], atol=1e-4)


def test_aspect_from_face_undoes_a_letterboxed_frame(cloud):
    # The same person in a frame padded to twice its height: y halves around the centre.
    padded = cloud.copy()
    padded[..., 1] = 0.25 + cloud[..., 1] / 2

    np.testing.assert_allclose(features(TINY, padded)[0], features(TINY, cloud)[0], atol=1e-4)
    plain = seed.ModelConfig(**{**json.loads(TINY.to_json()), "aspect_from_face": False})
    assert np.abs(features(plain, padded)[0] - features(plain, cloud)[0]).max() > 0.1


def test_augmentation_keeps_shapes_and_missing_parts():
    from ml.augment import Augment, augment_points

    layout = seed.point_layout(TINY)
    points = np.random.default_rng(0).random((40, len(layout.rows), 3)).astype(np.float32)
    points[:, layout.left_hand] = np.nan

    out = augment_points(points, layout, Augment(mirror_p=0.0), np.random.default_rng(1))

    assert out.shape[1:] == points.shape[1:] and 4 <= len(out) <= 60
    assert np.isnan(out[:, layout.left_hand]).all()
    assert not np.allclose(out[:4, layout.pose], points[:4, layout.pose], equal_nan=True)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, cloud):
    """A five-clip dataset made from real sequences: (folder, [cloud, green, brother])."""
    green = read_sequence(SAMPLE / "16069" / "10042041.parquet")
    brother = read_sequence(SAMPLE / "2044" / "635217.parquet")
    root = tmp_path_factory.mktemp("data")
    rows = []
    for i, (data, sign) in enumerate([(cloud, "cloud"), (cloud[::2], "cloud"), (green, "green"),
                                      (green[10:], "green"), (brother, "brother")]):  # fmt: skip
        path = landmark_file_path(0, i + 1)
        write_sequence(data, root / path)
        rows.append({"path": path, "participant_id": 0, "sequence_id": i + 1, "sign": sign})
    write_train_csv(rows, root)
    return root, [cloud, green, brother]


TINY_OPTIONS = dict(epochs=4, batch_size=8, repeats=2, variants=2, warmup_epochs=1, patience=10)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_data):
    """Train a tiny model for a few epochs on the five-clip dataset."""
    from ml.augment import Augment
    from ml.train import TrainOptions, train

    root, sequences = tiny_data
    run_dir = tmp_path_factory.mktemp("run")
    metrics = train(
        data_dir=root,
        run_dir=run_dir,
        split="holdout",
        config=TINY,
        options=TrainOptions(**TINY_OPTIONS),
        augment=Augment(),
        verbose=0,
    )
    return run_dir, metrics, sequences


def test_training_writes_checkpoints_history_and_plots(tiny_run):
    run_dir, metrics, _ = tiny_run
    meta = json.loads((run_dir / "train.json").read_text())

    assert metrics["epochs_run"] == 4
    assert metrics["val"]["n"] == 2  # the second cloud and green clips are held out
    assert not set(meta["train_sequence_ids"]) & set(meta["val_sequence_ids"])
    assert sum(metrics["part_weights"].values()) == pytest.approx(1.0)
    for name in ("model.keras", "config.json", "history.csv", "curves.png", "part_weights.png"):
        assert (run_dir / name).stat().st_size > 0, name
    assert (run_dir / "checkpoints" / "best.weights.h5").is_file()


def test_raw_layout_augments_whole_sequences_for_teachers(cloud):
    from ml.augment import Augment, augment_points
    from ml.layout import LEFT_HAND, RIGHT_HAND

    whole = seed.raw_layout()
    out = augment_points(cloud, whole, Augment(mirror_p=0.0), np.random.default_rng(1))
    mirrored = seed.mirror_points(cloud, whole)

    assert out.shape[1:] == (543, 3) and 4 <= len(out) <= 2 * len(cloud)
    for part in (LEFT_HAND, RIGHT_HAND):  # a hand never seen stays missing, a seen one stays seen
        assert np.isfinite(out[:, part]).any() == np.isfinite(cloud[:, part]).any()
    assert np.array_equal(mirrored[:, RIGHT_HAND, 1], cloud[:, LEFT_HAND, 1], equal_nan=True)
    assert np.allclose(mirrored[:, LEFT_HAND, 0], 1 - cloud[:, RIGHT_HAND, 0], equal_nan=True)
    layout = seed.point_layout(TINY)
    assert seed.select_points(out, layout).shape == (len(out), len(layout.rows), 3)


@pytest.mark.parametrize("consistent", [False, True], ids=["clean-clip-teaching", "consistent-teaching"])
def test_distillation_trains_on_teacher_labelled_clips_and_mixes(tiny_data, tmp_path, consistent):
    from ml.augment import Augment
    from ml.paths import shared_models_dir
    from ml.train import TrainOptions, train

    teacher = shared_models_dir() / "gislr-prabhanjan"
    if not (teacher / "model.tflite").is_file():
        pytest.skip(f"needs the reference model {teacher} as a teacher")
    options = TrainOptions(
        **TINY_OPTIONS, distill=0.5, recombined=2, consistent=consistent, teacher_aspect=9 / 16
    )

    metrics = train(data_dir=tiny_data[0], run_dir=tmp_path, split="holdout", config=TINY, options=options,
                    augment=Augment(), teachers=[teacher], verbose=0)  # fmt: skip
    meta = json.loads((tmp_path / "train.json").read_text())

    assert metrics["epochs_run"] == 4 and np.isfinite(metrics["val"]["loss"])
    assert meta["teachers"] == [str(teacher)]
    assert meta["n_train"] == 3  # the held-out clips are never shown to the teacher or mixed
    assert 0 < meta["n_recombined"] <= 3 * 2


def test_export_is_a_builtin_ops_kaggle_contract_model_with_parity(tiny_run, tmp_path):
    from ml.export import export_run

    run_dir, _, sequences = tiny_run
    result = export_run(
        run_dir=run_dir,
        out_dir=tmp_path,
        parity_sequences=sequences,
        labels_path=ISLR_DIR / "sign_to_prediction_index_map.json",
        card={"name": "tiny", "version": "0"},
    )
    card = json.loads((tmp_path / "model_card.json").read_text())

    assert result.parity_max_abs_diff < 1e-4
    assert result.parity_top10_identical
    # Weights really are in the file (the resource-variable trap gives a ~4 KiB model).
    assert result.size_bytes > 50_000
    info = validate_model(tmp_path / "model.tflite")  # loads with plain LiteRT: no Flex ops
    assert (info.name, info.sha256) == ("tiny", card["sha256"])
    probs = SignClassifier(tmp_path / "model.tflite").probabilities(sequences[0])
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_float16_export_keeps_the_top10(tiny_run, tmp_path):
    from ml.export import export_run

    run_dir, _, sequences = tiny_run
    result = export_run(
        run_dir=run_dir,
        out_dir=tmp_path,
        quantize="float16",
        parity_sequences=sequences,
        labels_path=ISLR_DIR / "sign_to_prediction_index_map.json",
    )

    assert result.parity_top10_identical
    assert result.parity_max_abs_diff < 1e-2
