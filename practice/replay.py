"""The side-by-side skeleton replay: the learner's attempt next to the tutorial, as one browser mp4.

Skeletons only, on a plain canvas: the replay shows how the hands moved, never the family's room,
so it can be kept after the raw clip is purged. Both sequences are stretched to the same length so
the learner compares shapes and paths, not speed. Frames are composed and encoded one at a time
(memory stays flat for 15 s clips).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

PANEL_HEIGHT = 360
_BACKGROUND = (245, 245, 245)
_LABEL_COLOUR = (60, 60, 60)


@dataclass
class Replay:
    path: Path
    n_frames: int
    width: int
    height: int


def panel_size(width: int | None, height: int | None) -> tuple[int, int]:
    """(width, height) of a panel with the source's aspect ratio, PANEL_HEIGHT tall, even sizes."""
    aspect = (width / height) if width and height else 16 / 9
    aspect = min(max(aspect, 9 / 16), 16 / 9)  # portrait phone clips to widescreen
    return int(round(PANEL_HEIGHT * aspect / 2)) * 2, PANEL_HEIGHT


def render_replay(
    *,
    attempt: np.ndarray,
    tutorial: np.ndarray | None,
    out_path: str | Path,
    attempt_size: tuple[int, int],
    tutorial_size: tuple[int, int],
    fps: float = 30.0,
) -> Replay:
    """Write `attempt | tutorial` skeletons ([T, 543, 3] each) side by side as an H.264 mp4."""
    import av  # heavy imports stay in the worker

    if attempt.shape[0] == 0:
        raise ValueError("no attempt frames to render")
    n_out = max(attempt.shape[0], tutorial.shape[0] if tutorial is not None else 0)
    width = attempt_size[0] + tutorial_size[0]
    height = PANEL_HEIGHT
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(out_path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "26", "preset": "veryfast"}
        for i in range(n_out):
            left = _panel(attempt, _stretch(i, n_out, attempt.shape[0]), attempt_size, "You")
            if tutorial is not None and tutorial.shape[0]:
                right = _panel(tutorial, _stretch(i, n_out, tutorial.shape[0]), tutorial_size, "Tutorial")
            else:
                right = _panel(None, 0, tutorial_size, "No tutorial clip yet")
            frame = av.VideoFrame.from_ndarray(np.hstack([left, right]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return Replay(path=out_path, n_frames=n_out, width=width, height=height)


def _stretch(i: int, n_out: int, n_in: int) -> int:
    return round(i * (n_in - 1) / max(n_out - 1, 1))


def _panel(sequence: np.ndarray | None, index: int, size: tuple[int, int], label: str) -> np.ndarray:
    import cv2

    from ml.render import draw_skeleton

    width, height = size
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = _BACKGROUND
    if sequence is not None:
        draw_skeleton(image, sequence[index])
    cv2.line(image, (width - 1, 0), (width - 1, height - 1), (210, 210, 210), 1)
    cv2.putText(image, label, (12, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.7, _LABEL_COLOUR, 2, cv2.LINE_AA)
    return image
