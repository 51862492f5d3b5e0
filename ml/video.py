"""Video decoding with PyAV: every container and codec a browser or phone produces, rotation honoured.

PyAV (FFmpeg) rather than OpenCV: OpenCV 4.x does not decode AV1, does not apply a phone clip's
display rotation, and reports nonsense frame counts for MediaRecorder webm. Limits (duration, frame
count, frame size) are enforced while decoding so a hostile upload cannot make us hold a long video
in memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

VideoSource = str | os.PathLike | BinaryIO

# A timestamp this far past max_seconds is tolerated: containers round durations, and a
# 15.0 s recording often has its last frame stamped at 15.02 s.
_DURATION_SLACK_S = 0.25
# Frame times jitter by a fraction of a millisecond around the subsampling grid.
_GRID_SLACK_S = 1e-3


class VideoError(Exception):
    """A video we refuse, with a stable `code` (see DESIGN §5) and a sentence for people."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class VideoInfo:
    duration_s: float
    fps: float
    width: int  # as displayed, i.e. after rotation
    height: int
    rotation: int  # degrees counter-clockwise applied to decoded frames: 0, 90, 180, 270
    codec: str
    n_frames_estimate: int


@dataclass
class Video:
    frames: list[np.ndarray]  # RGB uint8, H x W x 3, already rotated and downscaled
    timestamps_s: np.ndarray  # float64 [T], seconds from the first frame
    fps: float  # rate of the returned frames (after any subsampling)
    width: int
    height: int
    rotation: int

    @property
    def n_frames(self) -> int:
        return len(self.frames)


def probe_video(
    path: VideoSource,
    *,
    min_seconds: float = 0.5,
    max_seconds: float = 15.0,
    max_bytes: int | None = None,
) -> VideoInfo:
    """Cheap upload check: a decodable video stream whose duration is within the limits.

    Decodes only the first frame. When the container has no duration (MediaRecorder webm), the
    packets are demuxed, not decoded, to find the last timestamp. An open file is read from its
    current position and left there afterwards, so it can still be saved.
    """
    if not isinstance(path, str | os.PathLike):
        position = path.tell()
        try:
            return _probe(path, min_seconds=min_seconds, max_seconds=max_seconds, max_bytes=max_bytes)
        finally:
            path.seek(position)
    return _probe(path, min_seconds=min_seconds, max_seconds=max_seconds, max_bytes=max_bytes)


def _probe(path: VideoSource, *, min_seconds: float, max_seconds: float, max_bytes: int | None) -> VideoInfo:
    if max_bytes is not None:
        size = _source_size(path)
        if size > max_bytes:
            raise VideoError(
                "too_large", f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB."
            )
    with _open(path) as container:
        stream = _video_stream(container)
        header_duration = _header_duration(container, stream)
        start = stream.start_time or 0
        first = None
        last_end = None  # end of the last demuxed packet, in stream time_base units
        try:
            for packet in container.demux(stream):
                if packet.pts is not None:
                    end = packet.pts + (packet.duration or 0)
                    last_end = end if last_end is None else max(last_end, end)
                    if float((last_end - start) * stream.time_base) > max_seconds + _DURATION_SLACK_S:
                        raise _too_long(float((last_end - start) * stream.time_base), max_seconds)
                if first is None:
                    for frame in packet.decode():  # the final empty packet flushes the decoder
                        first = frame
                        break
                if first is not None and header_duration is not None:
                    break
        except av.FFmpegError as error:
            if first is None:
                raise _unreadable(error) from error
        if first is None:
            raise VideoError("unreadable_video", "The video stream contains no decodable frame.")
        duration = header_duration
        if duration is None:
            if last_end is None:
                raise VideoError("unreadable_video", "The video has no timestamps.")
            duration = float((last_end - start) * stream.time_base)
        fps = _stream_fps(stream)
        _check_duration(duration, min_seconds=min_seconds, max_seconds=max_seconds)
        rotation = _rotation(first)
        width, height = (first.height, first.width) if rotation in (90, 270) else (first.width, first.height)
        n_frames = stream.frames or round(duration * fps)
        return VideoInfo(
            duration_s=duration,
            fps=fps,
            width=width,
            height=height,
            rotation=rotation,
            codec=stream.codec_context.name,
            n_frames_estimate=int(n_frames),
        )


def read_video(
    path: VideoSource,
    *,
    max_seconds: float = 15.0,
    min_seconds: float = 0.5,
    max_frames: int = 900,
    max_side: int = 640,
    target_fps: float | None = None,
) -> Video:
    """Decode a whole clip into RGB frames, rotated upright and downscaled to `max_side`.

    `target_fps` keeps only frames at least 1/target_fps apart (the others are decoded, as they must
    be, but never converted to RGB). Raises VideoError when the clip is unreadable, too short, or
    longer than `max_seconds` / `max_frames`; the long-clip checks stop the decoder early.
    """
    import cv2  # here, not at the top: probe_video runs in the web request and needs no cv2

    cv2_rotate = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    frames: list[np.ndarray] = []
    timestamps: list[float] = []
    rotation = 0
    with _open(path) as container:
        stream = _video_stream(container)
        header_duration = _header_duration(container, stream)
        if header_duration is not None and header_duration > max_seconds + _DURATION_SLACK_S:
            raise _too_long(header_duration, max_seconds)
        nominal_fps = _stream_fps(stream)
        next_keep = 0.0
        n_decoded = 0
        last_t = 0.0
        for frame in _decode(container, stream):
            t = frame.time if frame.time is not None else n_decoded / nominal_fps
            if n_decoded == 0:
                t0 = t
                rotation = _rotation(frame)
                width, height = _scaled_size(frame.width, frame.height, max_side)
            t -= t0
            n_decoded += 1
            last_t = t
            if t > max_seconds + _DURATION_SLACK_S:
                raise _too_long(t, max_seconds)
            if target_fps is not None:
                if t + _GRID_SLACK_S < next_keep:
                    continue
                next_keep = (math.floor((t + _GRID_SLACK_S) * target_fps) + 1) / target_fps
            if len(frames) >= max_frames:
                raise VideoError(
                    "too_long", f"The video has more than {max_frames} frames; please record a shorter clip."
                )
            rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
            if rotation:
                rgb = cv2.rotate(rgb, cv2_rotate[rotation])
            frames.append(rgb)
            timestamps.append(t)
    if not frames:
        raise VideoError("unreadable_video", "The video stream contains no decodable frame.")
    decoded_fps = (n_decoded - 1) / last_t if n_decoded > 1 and last_t > 0 else nominal_fps
    # The clip lasts until its last decoded frame ends, whatever subsampling kept.
    _check_duration(last_t + 1.0 / decoded_fps, min_seconds=min_seconds, max_seconds=max_seconds)
    timestamps_s = np.asarray(timestamps, dtype=np.float64)
    fps = _fps_from_timestamps(timestamps_s, default=min(target_fps or decoded_fps, decoded_fps))
    height, width = frames[0].shape[:2]
    return Video(
        frames=frames,
        timestamps_s=timestamps_s,
        fps=fps,
        width=width,
        height=height,
        rotation=rotation,
    )


# --- helpers ---------------------------------------------------------------------------------------


def _open(path: VideoSource):
    if isinstance(path, str | os.PathLike) and not Path(path).is_file():
        raise VideoError("unreadable_video", f"No such file: {path}")
    try:
        # metadata_errors: some real clips carry non-UTF-8 tags (a handler name), which must not fail them.
        return av.open(
            path if not isinstance(path, os.PathLike) else os.fspath(path),
            mode="r",
            metadata_errors="replace",
        )
    except av.FFmpegError as error:
        raise _unreadable(error) from error
    except (EOFError, ValueError) as error:  # empty file-like objects end up here
        raise VideoError("unreadable_video", "The file is not a video we can read.") from error


def _video_stream(container) -> av.video.stream.VideoStream:
    for stream in container.streams.video:
        if stream.codec_context is not None and stream.codec_context.name:
            # Frame threads would buffer frames and cost memory per worker; slices are enough for 640p.
            stream.thread_type = "SLICE"
            return stream
    raise VideoError("unreadable_video", "The file has no video stream (audio only or not a video).")


def _decode(container, stream) -> Iterator[av.VideoFrame]:
    """Yield frames until the stream ends; a corrupt tail after good frames ends the clip there."""
    produced = False
    try:
        for frame in container.decode(stream):
            produced = True
            yield frame
    except av.FFmpegError as error:
        if not produced:
            raise _unreadable(error) from error


def _header_duration(container, stream) -> float | None:
    if stream.duration:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return None


def _stream_fps(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < float(rate) <= 240:
            return float(rate)
    return 30.0


def _fps_from_timestamps(timestamps_s: np.ndarray, *, default: float) -> float:
    if len(timestamps_s) < 2 or timestamps_s[-1] <= 0:
        return float(default)
    return float((len(timestamps_s) - 1) / timestamps_s[-1])


def _rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise degrees to turn the decoded picture upright (np.rot90 turns).

    Matches FFmpeg's own autorotation (checked in tests against `ffmpeg -i rotated.mp4 out.png`).
    """
    degrees = frame.rotation or 0
    return int(round(degrees / 90.0)) % 4 * 90


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_duration(duration: float, *, min_seconds: float, max_seconds: float) -> None:
    if duration > max_seconds + _DURATION_SLACK_S:
        raise _too_long(duration, max_seconds)
    if duration < min_seconds:
        raise VideoError(
            "too_short", f"The video lasts {duration:.2f} s; please record at least {min_seconds:g} s."
        )


def _too_long(duration: float, max_seconds: float) -> VideoError:
    return VideoError(
        "too_long", f"The video lasts {duration:.1f} s or more; the limit is {max_seconds:g} s."
    )


def _unreadable(error: Exception) -> VideoError:
    detail = getattr(error, "strerror", None) or str(error)
    return VideoError("unreadable_video", f"The file is not a video we can read ({detail}).")


def _source_size(path: VideoSource) -> int:
    if isinstance(path, str | os.PathLike):
        return os.path.getsize(path)
    position = path.tell()
    size = path.seek(0, os.SEEK_END)
    path.seek(position)
    return size
