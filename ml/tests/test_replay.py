import av
import numpy as np
import pytest

from ml.replay import PANEL_HEIGHT, PANEL_WIDTH, render_replay, signer_crop


def test_crop_holds_every_seen_point_at_the_panel_aspect():
    data = np.full((4, 543, 3), np.nan, dtype=np.float32)
    data[:, 489:514, :2] = [0.4, 0.3]  # upper-body pose
    data[1, 522:543, :2] = [0.7, 0.2]  # right hand raised
    data[:, 514:522, :2] = [0.5, 1.8]  # legs, guessed far below the frame: ignored
    x0, y0, x1, y1 = signer_crop(data, (640, 360))
    assert x0 < 0.4 and x1 > 0.7 and y0 < 0.2 and 0.3 < y1 < 1.0
    assert ((x1 - x0) * 640) / ((y1 - y0) * 360) == pytest.approx(PANEL_WIDTH / PANEL_HEIGHT)


def test_nothing_detected_shows_the_whole_frame():
    x0, y0, x1, y1 = signer_crop(np.full((2, 543, 3), np.nan, dtype=np.float32), None)
    assert x0 <= 0 and y0 <= 0 and x1 >= 1 and y1 >= 1


def test_replay_is_a_browser_mp4_as_long_as_the_longer_sequence(tmp_path):
    rng = np.random.default_rng(0)
    attempt = rng.random((12, 543, 3), dtype=np.float32)
    tutorial = rng.random((20, 543, 3), dtype=np.float32)
    replay = render_replay(
        attempt=attempt,
        tutorial=tutorial,
        out_path=tmp_path / "r.mp4",
        attempt_size=(640, 480),
        tutorial_size=None,
    )
    assert (replay.n_frames, replay.width, replay.height) == (20, 2 * PANEL_WIDTH, PANEL_HEIGHT)
    with av.open(str(replay.path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.width == 2 * PANEL_WIDTH
        assert sum(1 for _ in container.decode(stream)) == 20
