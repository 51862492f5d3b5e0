"""Capture conditions derived while decoding (ml.conditions), on a real clip: shape, frame rate, aspect,
and their per-condition extraction cache. The TV clip is 640x360 H.264 at 29.97 fps, 45 frames."""

import numpy as np
import pytest

from ml.conditions import (
    CONDITIONS,
    DIM,
    FAR,
    MIRRORED,
    PORTRAIT,
    RECORDED,
    WEBCAM,
    condition_aspect,
    condition_video,
)


def test_as_recorded_and_mirrored_keep_the_frames_shape_and_timing(tv_video):
    recorded = condition_video(tv_video, RECORDED)
    mirrored = condition_video(tv_video, MIRRORED)

    assert recorded is tv_video
    assert (mirrored.width, mirrored.height, mirrored.n_frames) == (640, 360, 45)
    assert np.array_equal(mirrored.frames[7], tv_video.frames[7][:, ::-1])
    assert np.array_equal(mirrored.timestamps_s, tv_video.timestamps_s)


def test_portrait_is_a_full_height_9_16_centre_crop(tv_video):
    portrait = condition_video(tv_video, PORTRAIT)

    assert (portrait.width, portrait.height) == (202, 360)  # 360 * 9/16 = 202.5, even width
    assert portrait.width / portrait.height == pytest.approx(9 / 16, abs=0.01)
    assert np.array_equal(portrait.frames[0], tv_video.frames[0][:, 219:421])
    assert condition_aspect(640 / 360, PORTRAIT) == pytest.approx(9 / 16)


def test_webcam_is_320x240_at_15_fps_and_lossy(tv_video):
    import cv2

    webcam = condition_video(tv_video, WEBCAM)

    assert (webcam.width, webcam.height) == (320, 240)
    assert webcam.fps == pytest.approx(15.0, abs=0.1)
    assert webcam.n_frames == 23  # every other frame of 45 at 29.97 fps
    assert condition_aspect(640 / 360, WEBCAM) == pytest.approx(4 / 3)
    clean = cv2.resize(tv_video.frames[20][:, 80:560], (320, 240), interpolation=cv2.INTER_AREA)
    error = np.abs(webcam.frames[10].astype(int) - clean.astype(int))
    assert 0.3 < error.mean() < 8  # re-encoded: close to the clean picture, but not equal to it


def test_far_shows_the_picture_at_half_size_in_the_middle(tv_video):
    import cv2

    far = condition_video(tv_video, FAR)

    assert (far.width, far.height, far.n_frames) == (640, 360, 45)
    small = cv2.resize(tv_video.frames[5], (320, 180), interpolation=cv2.INTER_AREA)
    assert np.array_equal(far.frames[5][90:270, 160:480], small)
    corner = far.frames[5][:90, :160].reshape(-1, 3)
    assert (corner == corner[0]).all()  # filled with one colour around it


def test_dim_is_darker_noisy_and_the_same_for_the_same_seed(tv_video):
    dim = condition_video(tv_video, DIM, seed=3)
    again = condition_video(tv_video, DIM, seed=3)
    other = condition_video(tv_video, DIM, seed=4)

    assert dim.frames[0].mean() < tv_video.frames[0].mean() * 0.35
    assert np.array_equal(dim.frames[0], again.frames[0])
    assert not np.array_equal(dim.frames[0], other.frames[0])


def test_an_unknown_condition_is_refused(tv_video):
    with pytest.raises(ValueError, match="unknown condition 'rainy'"):
        condition_video(tv_video, "rainy")
    assert set(CONDITIONS) == {RECORDED, MIRRORED, PORTRAIT, WEBCAM, FAR, DIM}


def test_each_condition_is_extracted_once_into_its_own_cache(tv_clip, tmp_path):
    from ml.dataset_build import build_dataset, read_rows
    from ml.islr_io import read_sequence
    from ml.robustness import condition_cache

    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / tv_clip.name).symlink_to(tv_clip)
    cache = condition_cache(clips, 15.0, MIRRORED)
    assert cache.name == "clips-15fps-mirrored"
    assert condition_cache(clips, 15.0, RECORDED).name == "clips-15fps"

    first = build_dataset(clips_dir=clips, out_dir=tmp_path / "mirrored", fps=15.0, condition=MIRRORED)
    again = build_dataset(clips_dir=clips, out_dir=tmp_path / "mirrored", fps=15.0, condition=MIRRORED)
    dim = build_dataset(clips_dir=clips, out_dir=tmp_path / "mirrored", fps=15.0, condition=DIM)

    assert (first.n_extracted, again.n_extracted, dim.n_extracted) == (1, 0, 1)  # the condition is keyed
    [row] = read_rows(tmp_path / "mirrored")
    assert read_sequence(tmp_path / "mirrored" / row["path"]).shape == (23, 543, 3)
