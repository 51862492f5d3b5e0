"""Skeleton overlays with OpenCV: an mp4 replay, a PNG contact sheet, a PNG thumbnail.

Lines follow MediaPipe's own connection constants (hands, pose, face contours), drawn on the video's
frames when we have them, else on a blank canvas (a parquet sequence). The mp4 is H.264 / yuv420p
with the index at the front (faststart), which every browser plays; libx264 ships in PyAV's wheels.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ml.landmarks import Landmarks
from ml.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND
from ml.video import Video

DEFAULT_CANVAS = (640, 360)  # width, height of a blank canvas: the clips' 16:9 shape
_BACKGROUND = (245, 245, 245)
# RGB colours per part; hands stand out because grading is mostly about them.
_STYLE = {
    "face": ((150, 150, 150), 1),
    "pose": ((60, 120, 220), 2),
    "left_hand": ((230, 90, 40), 2),
    "right_hand": ((30, 170, 90), 2),
}


@dataclass
class Rendered:
    path: Path
    n_frames: int
    width: int
    height: int
    codec: str  # "libx264", "mpeg4" or "png"


def render_video(
    video: Video | None,
    landmarks: Landmarks | np.ndarray,
    out_path: str | os.PathLike,
    *,
    canvas_size: tuple[int, int] = DEFAULT_CANVAS,
    fps: float | None = None,
) -> Rendered:
    """Write an mp4 of the skeleton over the video (or a blank canvas), one frame per landmark frame."""
    landmarks = _renderable(landmarks)
    fps = fps or _fps(video, landmarks)
    images = (_draw_frame(video, landmarks, i, canvas_size) for i in range(landmarks.n_frames))
    return write_mp4(images, Path(out_path), fps=fps, n_frames=landmarks.n_frames)


def render_contact_sheet(
    video: Video | None,
    landmarks: Landmarks | np.ndarray,
    out_png: str | os.PathLike,
    *,
    n: int = 8,
    columns: int = 4,
    tile_width: int = 320,
    canvas_size: tuple[int, int] = DEFAULT_CANVAS,
) -> Rendered:
    """A PNG grid of `n` evenly spaced frames with their skeletons, each labelled with its frame number."""
    landmarks = _renderable(landmarks)
    picks = np.unique(
        np.linspace(0, landmarks.n_frames - 1, num=min(n, landmarks.n_frames)).round().astype(int)
    )
    tiles = []
    for i in picks:
        tile = _fit_width(_draw_frame(video, landmarks, int(i), canvas_size), tile_width)
        label = f"#{i}" if landmarks.timestamps_s is None else f"#{i}  {landmarks.timestamps_s[i]:.2f}s"
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(tile, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    columns = min(columns, len(tiles))
    blank = np.full_like(tiles[0], 255)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.hstack(tiles[r : r + columns]) for r in range(0, len(tiles), columns)]
    sheet = np.vstack(rows)
    _write_png(sheet, Path(out_png))
    return Rendered(
        path=Path(out_png), n_frames=len(picks), width=sheet.shape[1], height=sheet.shape[0], codec="png"
    )


def render_thumbnail(
    landmarks: Landmarks | np.ndarray,
    out_png: str | os.PathLike,
    *,
    video: Video | None = None,
    width: int = 320,
    canvas_size: tuple[int, int] = DEFAULT_CANVAS,
) -> Rendered:
    """One PNG of the most telling frame: the most hand landmarks seen, nearest the middle on ties."""
    landmarks = _renderable(landmarks)
    hands = landmarks.part_detected("left_hand").astype(int) + landmarks.part_detected("right_hand")
    middle = (landmarks.n_frames - 1) / 2
    index = max(range(landmarks.n_frames), key=lambda i: (hands[i], -abs(i - middle)))
    image = _fit_width(_draw_frame(video, landmarks, index, canvas_size), width)
    _write_png(image, Path(out_png))
    return Rendered(path=Path(out_png), n_frames=1, width=image.shape[1], height=image.shape[0], codec="png")


def draw_skeleton(image: np.ndarray, frame_landmarks: np.ndarray) -> np.ndarray:
    """Draw one frame's [543, 3] landmarks onto an RGB image in place (NaN parts are skipped)."""
    height, width = image.shape[:2]
    xy = frame_landmarks[:, :2] * (width, height)
    for name, part, connections in _connections():
        points = xy[part]
        if np.isnan(points).all():
            continue
        colour, thickness = _STYLE[name]
        pixels = np.nan_to_num(points, nan=-1.0).round().astype(np.int32)
        lines = [(pixels[a], pixels[b]) for a, b in connections if not np.isnan(points[[a, b]]).any()]
        if lines:
            cv2.polylines(image, [np.array(line) for line in lines], False, colour, thickness, cv2.LINE_AA)
        if name.endswith("hand"):
            for x, y in pixels:
                cv2.circle(image, (int(x), int(y)), 3, colour, -1, cv2.LINE_AA)
    return image


# --- helpers ---------------------------------------------------------------------------------------


@functools.cache
def _connections() -> tuple[tuple[str, slice, tuple[tuple[int, int], ...]], ...]:
    from mediapipe.python.solutions import holistic  # the constants live in the mediapipe package

    return (
        ("face", FACE, tuple(sorted(holistic.FACEMESH_CONTOURS))),
        ("pose", POSE, tuple(sorted(holistic.POSE_CONNECTIONS))),
        ("left_hand", LEFT_HAND, tuple(sorted(holistic.HAND_CONNECTIONS))),
        ("right_hand", RIGHT_HAND, tuple(sorted(holistic.HAND_CONNECTIONS))),
    )


def _renderable(landmarks: Landmarks | np.ndarray) -> Landmarks:
    """Landmarks with at least one frame (ValueError otherwise), from a Landmarks or an array."""
    landmarks = landmarks if isinstance(landmarks, Landmarks) else Landmarks(data=np.asarray(landmarks))
    if landmarks.n_frames == 0:
        raise ValueError("no landmark frames to render")
    return landmarks


def _fps(video: Video | None, landmarks: Landmarks) -> float:
    times = landmarks.timestamps_s
    if times is not None and len(times) > 1 and times[-1] > 0:
        return float((len(times) - 1) / times[-1])
    return video.fps if video is not None else 30.0


def _draw_frame(
    video: Video | None, landmarks: Landmarks, i: int, canvas_size: tuple[int, int]
) -> np.ndarray:
    if video is None:
        width, height = canvas_size
        image = np.empty((height, width, 3), dtype=np.uint8)
        image[:] = _BACKGROUND
    else:
        image = video.frames[_video_index(video, landmarks, i)].copy()
    return draw_skeleton(image, landmarks.data[i])


def _video_index(video: Video, landmarks: Landmarks, i: int) -> int:
    """The video frame shown under landmark frame i: same index, or nearest in time if subsampled."""
    if landmarks.n_frames == video.n_frames:
        return i
    if landmarks.timestamps_s is not None:
        return int(np.abs(video.timestamps_s - landmarks.timestamps_s[i]).argmin())
    return round(i * (video.n_frames - 1) / max(landmarks.n_frames - 1, 1))


def _fit_width(image: np.ndarray, width: int) -> np.ndarray:
    if image.shape[1] == width:
        return image
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _write_png(rgb: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")


def write_mp4(images, path: Path, *, fps: float, n_frames: int) -> Rendered:
    """Encode RGB images (any iterable, consumed one at a time) as a browser-playable mp4."""
    from fractions import Fraction

    import av

    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"  # mpeg4 plays in VLC, not browsers
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = None
        for image in images:
            if stream is None:
                # yuv420p needs even sizes; drop the odd last row/column rather than rescale.
                height, width = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
                stream = container.add_stream(codec, rate=rate)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                if codec == "libx264":
                    stream.options = {"crf": "23", "preset": "veryfast"}
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:height, :width]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return Rendered(path=path, n_frames=n_frames, width=width, height=height, codec=codec)
