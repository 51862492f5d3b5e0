"""Tiny real media for tests: video files made in memory with PyAV (no ffmpeg binary, no shared data),
decodable by the upload checks and a few kilobytes each, and a 1-pixel PNG, so media tests stay fast."""

import io

import av
import numpy as np

# A 1x1 transparent PNG, as a thumbnail or plot.
PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)

# PyAV container name -> an encoder its wheels always ship for it
ENCODERS = {"mp4": "mpeg4", "mov": "mpeg4", "webm": "libvpx", "matroska": "mpeg4"}


def tiny_clip(container: str = "mp4", *, title: str = "", frames: int = 10, fps: int = 10) -> bytes:
    """`frames` flat grey 64x64 frames (1 s by default) in `container`, with an optional title tag."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        if title:
            output.metadata["title"] = title
        stream = output.add_stream(ENCODERS[container], rate=fps)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            pixels = np.full((64, 64, 3), 20 * i % 256, np.uint8)
            output.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        output.mux(stream.encode())
    return buffer.getvalue()
