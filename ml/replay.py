"""The side-by-side skeleton replay: the learner's attempt next to the tutorial, as one browser mp4.

Skeletons only, on a plain canvas: the replay shows how the hands moved, never the family's room,
so it can be kept after the raw clip is purged. Both sequences are stretched to the same length so
the learner compares shapes and paths, not speed. Each panel is cropped to where its signer moves
(the union of all landmarks over the clip, padded), so two people filmed at different distances
appear at the same size. Frames are composed and encoded one at a time (memory stays flat).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND

PANEL_HEIGHT = 360
PANEL_WIDTH = 288  # 4:5, the shape of a signer's upper body with raised hands
_PAD = 0.12  # share of the crop added around the signer on each side
_UPPER_POSE = 25  # pose landmarks 0-24: head, shoulders, arms, hands, hips (25-32 are legs)
_CROP_ROWS = np.r_[FACE, LEFT_HAND, POSE.start : POSE.start + _UPPER_POSE, RIGHT_HAND]
_BACKGROUND = (245, 245, 245)
_LABEL_COLOUR = (60, 60, 60)


@dataclass
class Replay:
    path: Path
    n_frames: int
    width: int
    height: int


def signer_crop(data: np.ndarray, size: tuple[int, int] | None) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in normalised image coordinates: a PANEL_WIDTH:PANEL_HEIGHT box around every
    landmark of the clip, padded; the whole frame when nothing was detected.

    `size` is the source (width, height) in pixels, needed to keep the crop's true aspect ratio.
    """
    width, height = size or (640, 360)
    # Face, hands and the upper-body pose points; legs are guessed by Holistic far below the frame.
    xy = data[:, _CROP_ROWS, :2].reshape(-1, 2)
    xy = xy[np.isfinite(xy).all(axis=1)].clip(0.0, 1.0)  # what the camera saw, not extrapolations
    if len(xy) == 0:
        x0, y0, x1, y1 = 0.0, 0.0, 1.0, 1.0
    else:
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    # to pixels, pad, then grow the short side to the panel's aspect ratio
    cx, cy = (x0 + x1) / 2 * width, (y0 + y1) / 2 * height
    w, h = max((x1 - x0) * width, 1.0) * (1 + 2 * _PAD), max((y1 - y0) * height, 1.0) * (1 + 2 * _PAD)
    aspect = PANEL_WIDTH / PANEL_HEIGHT
    w, h = max(w, h * aspect), max(h, w / aspect)
    return ((cx - w / 2) / width, (cy - h / 2) / height, (cx + w / 2) / width, (cy + h / 2) / height)


def render_replay(
    *,
    attempt: np.ndarray,
    tutorial: np.ndarray | None,
    out_path: str | Path,
    attempt_size: tuple[int, int] | None,
    tutorial_size: tuple[int, int] | None,
    fps: float = 30.0,
) -> Replay:
    """Write `attempt | tutorial` skeletons ([T, 543, 3] each) side by side as an H.264 mp4.

    The sizes are the source clips' (width, height) in pixels, None when unknown (uploaded landmarks).
    """
    if attempt.shape[0] == 0:
        raise ValueError("no attempt frames to render")
    n_out = max(attempt.shape[0], tutorial.shape[0] if tutorial is not None else 0)
    attempt = _to_crop(attempt, signer_crop(attempt, attempt_size))
    if tutorial is not None and tutorial.shape[0]:
        tutorial = _to_crop(tutorial, signer_crop(tutorial, tutorial_size))
    else:
        tutorial = None
    from ml.render import write_mp4

    def frames():
        for i in range(n_out):
            left = _panel(attempt, _stretch(i, n_out, attempt.shape[0]), "You")
            if tutorial is not None:
                right = _panel(tutorial, _stretch(i, n_out, tutorial.shape[0]), "Tutorial")
            else:
                right = _panel(None, 0, "No tutorial yet")
            yield np.hstack([left, right])

    rendered = write_mp4(frames(), Path(out_path), fps=fps, n_frames=n_out)
    return Replay(path=rendered.path, n_frames=n_out, width=rendered.width, height=rendered.height)


def _stretch(i: int, n_out: int, n_in: int) -> int:
    return round(i * (n_in - 1) / max(n_out - 1, 1))


def _to_crop(data: np.ndarray, crop: tuple[float, float, float, float]) -> np.ndarray:
    """Landmarks re-normalised to the crop box, so drawing them on a panel fills it with the signer."""
    x0, y0, x1, y1 = crop
    out = data.copy()
    out[..., 0] = (data[..., 0] - x0) / (x1 - x0)
    out[..., 1] = (data[..., 1] - y0) / (y1 - y0)
    return out


def _panel(sequence: np.ndarray | None, index: int, label: str) -> np.ndarray:
    import cv2

    from ml.render import draw_skeleton

    width, height = PANEL_WIDTH, PANEL_HEIGHT
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    if sequence is not None:
        draw_skeleton(image, sequence[index])
    cv2.line(image, (width - 1, 0), (width - 1, height - 1), (210, 210, 210), 1)
    cv2.putText(image, label, (10, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.65, _LABEL_COLOUR, 2, cv2.LINE_AA)
    return image
