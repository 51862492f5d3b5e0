"""Capture conditions derived from a recorded clip: how a parent's camera would have shown the same sign.

Each condition turns a decoded `ml.video.Video` into another one, in the decoding path (PyAV + OpenCV,
no external tool), so any clip folder can be scored "as a left-handed parent on a phone in a dim room
would film it". The landmarks of a conditioned clip are then extracted as usual (and cached per
condition by `ml.dataset_build`). Landmark sequences without video (Kaggle parquet) only get the
conditions that exist at landmark level (`LANDMARK_CONDITIONS`, see `ml.mirror`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from ml.video import Video, read_video

RECORDED = "recorded"
MIRRORED = "mirrored"  # a left-handed parent (or a selfie preview that mirrors)
PORTRAIT = "portrait"  # a phone held upright: a full-height 9:16 centre crop
WEBCAM = "webcam"  # an old laptop webcam: 4:3, 320x240, 15 fps, lossy VP8
FAR = "far"  # the signer at half size in the frame (far from the lens)
DIM = "dim"  # a dim living room: a quarter of the light, sensor noise

CONDITIONS = (RECORDED, MIRRORED, PORTRAIT, WEBCAM, FAR, DIM)
LANDMARK_CONDITIONS = (RECORDED, MIRRORED)  # what a sequence without video can be shown as

PORTRAIT_ASPECT = 9 / 16
WEBCAM_SIZE = (320, 240)  # width, height
WEBCAM_FPS = 15
WEBCAM_BITRATE = 150_000  # bits/s, with a coarse quantiser floor: blocky, as a cheap webcam's stream
FAR_SCALE = 0.5
DIM_GAIN = 0.25
DIM_NOISE_SIGMA = 6.0  # in 0..255 levels, Gaussian, per pixel and channel


def condition_video(video: Video, condition: str, *, seed: int = 0) -> Video:
    """The clip as seen under `condition`; `seed` fixes the sensor noise of "dim" (e.g. the clip id)."""
    try:
        derive = _DERIVATIONS[condition]
    except KeyError:
        raise ValueError(f"unknown condition {condition!r} (choose from {', '.join(CONDITIONS)})") from None
    return derive(video, seed)


def condition_aspect(frame_aspect: float, condition: str) -> float:
    """Width / height of a clip of `frame_aspect` once shown under `condition`."""
    if condition == PORTRAIT:
        return min(frame_aspect, PORTRAIT_ASPECT)
    if condition == WEBCAM:
        return WEBCAM_SIZE[0] / WEBCAM_SIZE[1]
    return frame_aspect


def _with_frames(video: Video, frames: list[np.ndarray]) -> Video:
    height, width = frames[0].shape[:2]
    return Video(
        frames=frames,
        timestamps_s=video.timestamps_s.copy(),
        fps=video.fps,
        width=width,
        height=height,
        rotation=video.rotation,
    )


def _recorded(video: Video, seed: int) -> Video:
    return video


def _mirrored(video: Video, seed: int) -> Video:
    return _with_frames(video, [np.ascontiguousarray(f[:, ::-1]) for f in video.frames])


def _centre_crop(frame: np.ndarray, aspect: float) -> np.ndarray:
    height, width = frame.shape[:2]
    if width / height <= aspect:
        return frame
    keep = max(2, round(height * aspect / 2) * 2)  # even widths, as video encoders want
    left = (width - keep) // 2
    return np.ascontiguousarray(frame[:, left : left + keep])


def _portrait(video: Video, seed: int) -> Video:
    return _with_frames(video, [_centre_crop(f, PORTRAIT_ASPECT) for f in video.frames])


def _webcam(video: Video, seed: int) -> Video:
    """4:3 centre crop, 320x240, 15 fps, encoded to VP8 in memory and decoded again."""
    import av
    import cv2

    width, height = WEBCAM_SIZE
    frames, times = _resample(video, WEBCAM_FPS)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=WEBCAM_FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.bit_rate = WEBCAM_BITRATE
        stream.time_base = Fraction(1, WEBCAM_FPS)
        stream.options = {"deadline": "realtime", "cpu-used": "8", "qmin": "30", "qmax": "56"}
        for i, frame in enumerate(frames):
            small = cv2.resize(
                _centre_crop(frame, width / height), (width, height), interpolation=cv2.INTER_AREA
            )
            out = av.VideoFrame.from_ndarray(small, format="rgb24")
            out.pts = i
            out.time_base = stream.time_base
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    buffer.seek(0)
    decoded = read_video(buffer, min_seconds=0.0)
    if decoded.n_frames != len(times):
        raise RuntimeError(f"webcam re-encode kept {decoded.n_frames} of {len(times)} frames")
    return decoded


def _resample(video: Video, fps: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames at most `fps` apart in time (the clip's own when it is already slower)."""
    if video.fps <= fps * 1.01:
        return video.frames, video.timestamps_s
    keep, next_t = [], 0.0
    for i, t in enumerate(video.timestamps_s):
        if t + 1e-3 >= next_t:
            keep.append(i)
            next_t = (np.floor((t + 1e-3) * fps) + 1) / fps
    return [video.frames[i] for i in keep], video.timestamps_s[keep]


def _far(video: Video, seed: int) -> Video:
    """Half-size picture in the middle of a frame of the same size, the rest filled with the picture's
    border colour (a wall behind a signer further away)."""
    import cv2

    out = []
    for frame in video.frames:
        height, width = frame.shape[:2]
        small = cv2.resize(
            frame, (round(width * FAR_SCALE), round(height * FAR_SCALE)), interpolation=cv2.INTER_AREA
        )
        border = np.concatenate([frame[0], frame[-1], frame[:, 0], frame[:, -1]])
        canvas = np.empty_like(frame)
        canvas[:] = np.median(border, axis=0).astype(np.uint8)
        top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
        canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
        out.append(canvas)
    return _with_frames(video, out)


def _dim(video: Video, seed: int) -> Video:
    rng = np.random.default_rng(seed)
    out = []
    for frame in video.frames:
        noisy = frame.astype(np.float32) * DIM_GAIN + rng.normal(0.0, DIM_NOISE_SIGMA, frame.shape)
        out.append(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))
    return _with_frames(video, out)


_DERIVATIONS: dict[str, Callable[[Video, int], Video]] = {
    RECORDED: _recorded,
    MIRRORED: _mirrored,
    PORTRAIT: _portrait,
    WEBCAM: _webcam,
    FAR: _far,
    DIM: _dim,
}


def extract_condition(path, *, condition: str, fps: float | None = None, max_seconds: float = 15.0):
    """Decode a clip, derive `condition` from it and extract its landmarks (`ml.landmarks.Landmarks`).

    The dim condition's noise is seeded by the file name, so a clip is always darkened the same way.
    """
    import zlib
    from pathlib import Path

    from ml.landmarks import get_extractor

    video = read_video(path, target_fps=fps, max_seconds=max_seconds)
    seed = zlib.crc32(Path(path).name.encode())
    video = condition_video(video, condition, seed=seed)
    return get_extractor().extract(video.frames, timestamps_s=video.timestamps_s)
