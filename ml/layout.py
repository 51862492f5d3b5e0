"""The ISLR (Kaggle `asl-signs`) landmark layout: 543 rows per frame, in this order."""

import numpy as np

ROWS_PER_FRAME = 543
N_COORDS = 3  # x, y, z

FACE = slice(0, 468)  # 468 face-mesh points, no iris refinement
LEFT_HAND = slice(468, 489)  # 21
POSE = slice(489, 522)  # 33
RIGHT_HAND = slice(522, 543)  # 21

# (type name used in the parquet `type` column, slice) in row order.
PARTS: tuple[tuple[str, slice], ...] = (
    ("face", FACE),
    ("left_hand", LEFT_HAND),
    ("pose", POSE),
    ("right_hand", RIGHT_HAND),
)
PART_NAMES: tuple[str, ...] = tuple(name for name, _ in PARTS)
N_SIGNS = 250

# MediaPipe pose left/right pairs (for mirroring).
POSE_PAIRS = ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
              (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32))  # fmt: skip
# Face-mesh lips contour (the 40 points used by most Kaggle ISLR solutions).
LIPS = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 146, 91, 181, 84, 17, 314, 405, 321, 375,
        78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)  # fmt: skip


def crop_to_aspect(data, *, frame_aspect: float, view_aspect: float):
    """Landmarks [..., 3] of a frame `frame_aspect` wide (width / height) as a full-height centre crop
    `view_aspect` wide would give them.

    MediaPipe divides x by the frame's width (and scales z like x), so a model that learnt from video of
    another shape sees hands squeezed or stretched; the Kaggle ISLR models learnt from portrait phone
    video (9/16) and grade 16:9 clips better through this view. x and z are stretched by
    `frame_aspect / view_aspect` about the centre; y and NaNs (missing points) are kept.
    """
    if frame_aspect <= 0 or view_aspect <= 0:
        raise ValueError(f"aspects must be positive, got frame {frame_aspect} and view {view_aspect}")
    stretch = frame_aspect / view_aspect
    out = np.array(data, dtype=np.float32, copy=True)
    out[..., 0] = (out[..., 0] - 0.5) * stretch + 0.5
    out[..., 2] = out[..., 2] * stretch
    return out
