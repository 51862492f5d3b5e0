"""Frames -> ISLR landmarks with the legacy MediaPipe Holistic solution, as the ISLR dataset was made.

One Holistic graph per process (`get_extractor()`), reused across videos. Holistic tracks: each frame's
search starts from the previous frame's landmarks, so state from one video would leak into the next.
`extract()` therefore calls `Holistic.reset()` before every video, which closes the graph run and
starts a new one (new calculators, same loaded graph config): about 5 ms, against about 200 ms for
building a new graph and loading its models again. tests/test_landmarks.py checks that a reset graph
gives exactly the landmarks of a fresh one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ml.layout import FACE, LEFT_HAND, N_COORDS, PARTS, POSE, RIGHT_HAND, ROWS_PER_FRAME


@dataclass
class Landmarks:
    data: np.ndarray  # [T, 543, 3] float32, ISLR row order, NaN where a part was not detected
    timestamps_s: np.ndarray | None = field(default=None, repr=False)  # [T] seconds, when known

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    def detection_rates(self) -> dict[str, float]:
        """Share of frames in which each part (face, left_hand, pose, right_hand) was detected."""
        if self.n_frames == 0:
            return {name: 0.0 for name, _ in PARTS}
        return {name: float(self.part_detected(name).mean()) for name, _ in PARTS}

    def part_detected(self, name: str) -> np.ndarray:
        """[T] bool: frames where the part has landmarks (MediaPipe gives all of a part or none)."""
        part = dict(PARTS)[name]
        return ~np.isnan(self.data[:, part, 0]).all(axis=1)


class HolisticExtractor:
    """MediaPipe Holistic with explicit config; `extract(frames)` turns one video into Landmarks.

    Not reentrant: one graph processes one video at a time (a lock serialises threads).
    Only model_complexity=1 ships inside the mediapipe 0.10.21 wheel; 0 and 2 download at run time.
    """

    def __init__(
        self,
        *,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ):
        self.model_complexity = model_complexity
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self._holistic = None
        self._used = False
        self._lock = threading.Lock()

    def extract(self, frames: Iterable[np.ndarray], *, timestamps_s: np.ndarray | None = None) -> Landmarks:
        """Landmarks of consecutive RGB uint8 frames (H x W x 3) of one video."""
        with self._lock:
            holistic = self._graph()
            if self._used:
                holistic.reset()
            self._used = True
            rows = []
            for frame in frames:
                rows.append(_frame_landmarks(holistic.process(_read_only(frame))))
        data = np.stack(rows) if rows else np.empty((0, ROWS_PER_FRAME, N_COORDS), dtype=np.float32)
        if timestamps_s is not None and len(timestamps_s) != len(data):
            raise ValueError(f"{len(timestamps_s)} timestamps for {len(data)} frames")
        return Landmarks(data=data, timestamps_s=timestamps_s)

    def close(self) -> None:
        with self._lock:
            if self._holistic is not None:
                self._holistic.close()
                self._holistic = None
                self._used = False

    def _graph(self):
        if self._holistic is None:
            from mediapipe.python.solutions import holistic  # heavy import, kept off `import ml`

            self._holistic = holistic.Holistic(
                static_image_mode=False,
                model_complexity=self.model_complexity,
                smooth_landmarks=True,
                enable_segmentation=False,
                refine_face_landmarks=False,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=self.min_tracking_confidence,
            )
        return self._holistic


_extractor: HolisticExtractor | None = None
_extractor_lock = threading.Lock()


def get_extractor() -> HolisticExtractor:
    """The process's one HolisticExtractor (default config), created on first use."""
    global _extractor
    with _extractor_lock:
        if _extractor is None:
            _extractor = HolisticExtractor()
        return _extractor


def extract_video(path, **read_video_kwargs) -> Landmarks:
    """Decode a clip (see `ml.video.read_video` for the limits) and extract its landmarks."""
    from ml.video import read_video

    video = read_video(path, **read_video_kwargs)
    return get_extractor().extract(video.frames, timestamps_s=video.timestamps_s)


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Hold back what MediaPipe's C++ code writes to fd 2 (absl/TFLite notices, 8 lines per video).

    Meant for command-line tools: it redirects the whole process's fd 2, so Python output written to
    sys.stderr meanwhile is held back too. The held text is replayed if the block raises.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            os.write(2, held.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


# --- helpers ---------------------------------------------------------------------------------------

_PART_SIZES = (
    ("face_landmarks", FACE),
    ("left_hand_landmarks", LEFT_HAND),
    ("pose_landmarks", POSE),
    ("right_hand_landmarks", RIGHT_HAND),
)


def _frame_landmarks(results) -> np.ndarray:
    """One Holistic result -> [543, 3] float32 in ISLR order, NaN for parts not detected."""
    out = np.full((ROWS_PER_FRAME, N_COORDS), np.nan, dtype=np.float32)
    for attribute, part in _PART_SIZES:
        found = getattr(results, attribute)
        if found is None:
            continue
        points = found.landmark
        expected = part.stop - part.start
        if len(points) != expected:  # e.g. 478 face points if iris refinement were switched on
            raise ValueError(f"{attribute}: {len(points)} landmarks, expected {expected}")
        out[part] = [(p.x, p.y, p.z) for p in points]
    return out


def _read_only(frame: np.ndarray) -> np.ndarray:
    """A contiguous read-only RGB view: MediaPipe then wraps the buffer instead of copying it."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 H x W x 3 frame, got {frame.dtype} {frame.shape}")
    view = np.ascontiguousarray(frame).view()
    view.flags.writeable = False
    return view
