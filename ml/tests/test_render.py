import av
import cv2
import numpy as np
import pytest

from ml.landmarks import Landmarks
from ml.layout import POSE, RIGHT_HAND, ROWS_PER_FRAME
from ml.render import DEFAULT_CANVAS, draw_skeleton, render_contact_sheet, render_thumbnail, render_video

BACKGROUND = (245, 245, 245)


def _hand_only(n_frames: int, *, hand_frames: set[int]) -> Landmarks:
    """A right hand of 21 points on a small diagonal, in the given frames only."""
    data = np.full((n_frames, ROWS_PER_FRAME, 3), np.nan, dtype=np.float32)
    for t in hand_frames:
        data[t, RIGHT_HAND, 0] = np.linspace(0.4, 0.6, 21)
        data[t, RIGHT_HAND, 1] = np.linspace(0.4, 0.6, 21)
        data[t, RIGHT_HAND, 2] = 0.0
    return Landmarks(data=data)


def _decoded(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec, pix_fmt = stream.codec_context.name, stream.codec_context.pix_fmt
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    return codec, pix_fmt, frames


def test_skeleton_is_drawn_where_the_landmarks_are_and_nan_parts_are_skipped():
    canvas = np.full((100, 200, 3), 255, dtype=np.uint8)
    frame = _hand_only(1, hand_frames={0}).data[0]

    draw_skeleton(canvas, frame)

    assert (canvas[50, 100] != 255).any()  # the hand's middle point at (0.5, 0.5)
    assert (canvas[5, 5] == 255).all() and (canvas[95, 195] == 255).all()
    untouched = np.full((100, 200, 3), 255, dtype=np.uint8)
    draw_skeleton(untouched, _hand_only(1, hand_frames=set()).data[0])
    assert (untouched == 255).all()


def test_sequence_renders_to_a_browser_playable_mp4_on_a_blank_canvas(tmp_path):
    landmarks = _hand_only(12, hand_frames={3, 4, 5})

    rendered = render_video(None, landmarks, tmp_path / "replay.mp4", fps=30)

    codec, pix_fmt, frames = _decoded(rendered.path)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert rendered.codec == "libx264"
    assert len(frames) == 12 == rendered.n_frames
    assert frames[0].shape == (DEFAULT_CANVAS[1], DEFAULT_CANVAS[0], 3)
    middle = (DEFAULT_CANVAS[1] // 2, DEFAULT_CANVAS[0] // 2)
    assert np.abs(frames[0][middle].astype(int) - BACKGROUND).max() < 12  # no hand: background
    assert np.abs(frames[4][middle].astype(int) - BACKGROUND).max() > 40  # hand drawn


def test_odd_canvas_sizes_are_cropped_to_even_for_h264(tmp_path):
    rendered = render_video(None, _hand_only(2, hand_frames={0}), tmp_path / "odd.mp4", canvas_size=(101, 77))

    assert (rendered.width, rendered.height) == (100, 76)
    assert _decoded(rendered.path)[2][0].shape == (76, 100, 3)


def test_contact_sheet_tiles_evenly_spaced_frames(tmp_path):
    rendered = render_contact_sheet(
        None, _hand_only(40, hand_frames=set(range(40))), tmp_path / "sheet.png", n=8
    )

    sheet = cv2.imread(str(rendered.path))
    assert rendered.n_frames == 8
    assert sheet.shape == (2 * 180, 4 * 320, 3)  # 2 rows x 4 columns of 320x180 tiles


def test_thumbnail_shows_a_frame_with_the_hands(tmp_path):
    rendered = render_thumbnail(_hand_only(9, hand_frames={7}), tmp_path / "thumb.png", width=320)

    thumb = cv2.imread(str(rendered.path))[:, :, ::-1]
    assert thumb.shape == (180, 320, 3)
    assert np.abs(thumb[90, 160].astype(int) - BACKGROUND).max() > 40  # frame 7, the one with a hand


def test_empty_landmarks_are_refused(tmp_path):
    with pytest.raises(ValueError):
        render_video(None, np.empty((0, ROWS_PER_FRAME, 3), dtype=np.float32), tmp_path / "x.mp4")


@pytest.mark.slow
def test_overlay_on_the_real_clip_keeps_its_frames_and_draws_the_pose(tv_video, tv_landmarks, tmp_path):
    rendered = render_video(tv_video, tv_landmarks, tmp_path / "overlay.mp4")
    sheet = render_contact_sheet(tv_video, tv_landmarks, tmp_path / "sheet.png", n=4)

    codec, _, frames = _decoded(rendered.path)
    assert codec == "h264" and len(frames) == tv_video.n_frames
    assert frames[0].shape == tv_video.frames[0].shape
    # The pose shoulder line is drawn in the pose colour over the original picture.
    shoulder = tv_landmarks.data[0, POSE.start + 11, :2] * (tv_video.width, tv_video.height)
    x, y = shoulder.round().astype(int)
    assert np.abs(frames[0][y, x].astype(int) - tv_video.frames[0][y, x]).max() > 40
    assert cv2.imread(str(sheet.path)).shape == (180, 4 * 320, 3)
