"""Distillation: teachers' softened scores on training clips, and hand-shape x movement mixes (no TF)."""

import numpy as np
import pytest

from ml.augment import recombine
from ml.dataset_build import load_sign_map
from ml.distill import load_teachers, teacher_targets
from ml.islr_io import read_sequence
from ml.paths import islr_dir, shared_models_dir

SAMPLE = islr_dir() / "gislr_sample" / "train_landmark_files"
TEACHER = shared_models_dir() / "gislr-prabhanjan"


@pytest.fixture(scope="module")
def cloud_and_green():
    paths = [SAMPLE / "16069" / "100015657.parquet", SAMPLE / "16069" / "10042041.parquet"]
    if not all(p.is_file() for p in paths) or not (TEACHER / "model.tflite").is_file():
        pytest.skip(f"needs the ISLR dataset sample ({SAMPLE}) and the reference model {TEACHER}")
    return [read_sequence(p) for p in paths]


@pytest.fixture(scope="module")
def labels():
    return [s for s, _ in sorted(load_sign_map().items(), key=lambda kv: kv[1])]


def test_targets_are_distributions_led_by_the_teachers_answer(cloud_and_green, labels):
    targets = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=1.0)

    assert targets.shape == (2, 250)
    assert np.allclose(targets.sum(axis=1), 1.0, atol=1e-5)
    assert [labels[i] for i in targets.argmax(axis=1)] == ["cloud", "green"]


@pytest.mark.parametrize("temperature", [2.0, 4.0])
def test_a_higher_temperature_spreads_the_mass(cloud_and_green, labels, temperature):
    sharp = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=1.0)
    soft = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=temperature)

    assert (soft.max(axis=1) < sharp.max(axis=1)).all()
    assert (soft.argmax(axis=1) == sharp.argmax(axis=1)).all()


def test_columns_follow_the_label_order_asked_for(cloud_and_green, labels):
    forward = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=2.0)
    backward = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels[::-1], temperature=2.0)

    assert np.allclose(backward, forward[:, ::-1])


def test_two_teachers_are_averaged(cloud_and_green, labels):
    second = shared_models_dir() / "gislr-kittu89"
    if not (second / "model.tflite").is_file():
        pytest.skip(f"needs the second reference model {second}")
    first_only = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=2.0)
    second_only = teacher_targets(load_teachers([second]), cloud_and_green, labels, temperature=2.0)

    both = teacher_targets(load_teachers([TEACHER, second]), cloud_and_green, labels, temperature=2.0)

    assert not np.allclose(first_only, second_only, atol=1e-3)
    assert np.allclose(both, (first_only + second_only) / 2, atol=1e-6)


def test_recombine_moves_one_clips_hand_shapes_along_the_others_paths():
    rng = np.random.default_rng(0)
    shape_clip = rng.random((10, 543, 3)).astype(np.float32)
    motion_clip = rng.random((5, 543, 3)).astype(np.float32)
    shape_clip[:, 468:489] = np.nan  # the shape clip has no left hand
    motion_clip[4, 522:543] = np.nan  # the motion clip loses its right hand in the last frame

    mixed = recombine(shape_clip, motion_clip)

    assert mixed.shape == motion_clip.shape
    assert np.array_equal(mixed[:, :468], motion_clip[:, :468])  # face and pose from the motion clip
    assert np.array_equal(mixed[:, 489:522], motion_clip[:, 489:522])
    assert np.array_equal(mixed[:, 468:489], motion_clip[:, 468:489])  # no shape to take: hand kept
    aligned = shape_clip[[0, 2, 4, 7, 9]]  # 10 frames resampled to 5
    shape = aligned[:4, 522:543] - aligned[:4, 522:523]
    assert np.allclose(mixed[:4, 522:543], motion_clip[:4, 522:523] + shape)  # wrist path kept, shape moved
    assert np.isnan(mixed[4, 522:543]).all()


def test_teachers_see_a_wide_frame_as_its_square_centre_crop(cloud_and_green, labels):
    wide = [seq.copy() for seq in cloud_and_green]
    for seq in wide:  # squeeze x (and z) as a 16:9 frame would, about the centre
        seq[..., 0] = (seq[..., 0] - 0.5) * 9 / 16 + 0.5
        seq[..., 2] *= 9 / 16

    as_square = teacher_targets(load_teachers([TEACHER]), wide, labels, temperature=1.0, frame_aspect=16 / 9)
    original = teacher_targets(load_teachers([TEACHER]), cloud_and_green, labels, temperature=1.0)
    squeezed = teacher_targets(load_teachers([TEACHER]), wide, labels, temperature=1.0)

    assert np.allclose(as_square, original, atol=1e-4)
    # The same stretch, said as "a square frame, and a teacher that learnt from 9:16 portrait video".
    as_portrait = teacher_targets(
        load_teachers([TEACHER]), wide, labels, temperature=1.0, teacher_aspect=9 / 16
    )
    assert np.allclose(as_portrait, original, atol=1e-4)
    assert not np.allclose(squeezed, original, atol=1e-3)  # the teacher does notice the squeeze


def test_every_licensed_teacher_is_averaged_each_seen_as_its_own_video_shape(cloud_and_green, labels):
    second = shared_models_dir() / "sentisign-66"  # MIT, fed by its adapter (ml.adapters.sentisign)
    if not (second / "model.tflite").is_file():
        pytest.skip(f"needs the licensed model {second}")
    wide = dict(temperature=2.0, frame_aspect=16 / 9)
    first_only = teacher_targets(
        load_teachers([TEACHER]), cloud_and_green, labels, **wide, teacher_aspect=0.5625
    )
    second_only = teacher_targets(load_teachers([second]), cloud_and_green, labels, **wide)

    both = teacher_targets(load_teachers([f"{TEACHER}@0.5625", second]), cloud_and_green, labels, **wide)

    assert np.allclose(both, (first_only + second_only) / 2, atol=1e-6)  # DIR@ASPECT: that teacher's own view
    assert [labels[i] for i in second_only.argmax(axis=1)][0] == "cloud"
