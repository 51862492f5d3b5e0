"""Left/right mirroring of a `[T, 543, 3]` landmark sequence, as MediaPipe would see a mirrored video.

MediaPipe names parts after the person (left hand, left shoulder) and numbers face-mesh points after
the face's anatomy, so a mirrored picture is not `x -> 1 - x` alone: the hands swap rows, pose pairs
swap, and each face point takes its mirror partner's index. The face pairs below are those of the face
regions models read (lips, eyes, eyebrows, the face oval); other face-mesh points are only flipped.
Used for the "mirrored" condition of sequences without video and for test-time mirroring.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml.layout import FACE, LEFT_HAND, LIPS, POSE, POSE_PAIRS, RIGHT_HAND, ROWS_PER_FRAME

# Lips: the outer and inner contours, left half and its mirror partner (midline points map to themselves).
_LIP_PAIRS = ((61, 291), (185, 409), (40, 270), (39, 269), (37, 267), (146, 375), (91, 321), (181, 405),
              (84, 314), (78, 308), (191, 415), (80, 310), (81, 311), (82, 312), (95, 324), (88, 318),
              (178, 402), (87, 317))  # fmt: skip
# Eyes (contours in the same order on both sides), eyebrows, and the face oval.
_RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
_LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
_RIGHT_BROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
_LEFT_BROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)
_OVAL_PAIRS = ((338, 109), (297, 67), (332, 103), (284, 54), (251, 21), (389, 162), (356, 127), (454, 234),
               (323, 93), (361, 132), (288, 58), (397, 172), (365, 136), (379, 150), (378, 149), (400, 176),
               (377, 148))  # fmt: skip
FACE_PAIRS = (
    *_LIP_PAIRS,
    *zip(_RIGHT_EYE, _LEFT_EYE, strict=True),
    *zip(_RIGHT_BROW, _LEFT_BROW, strict=True),
    *_OVAL_PAIRS,
)


def _mirror_rows() -> np.ndarray:
    rows = np.arange(ROWS_PER_FRAME)
    rows[LEFT_HAND] = np.arange(RIGHT_HAND.start, RIGHT_HAND.stop)
    rows[RIGHT_HAND] = np.arange(LEFT_HAND.start, LEFT_HAND.stop)
    for start, pairs in ((POSE.start, POSE_PAIRS), (FACE.start, FACE_PAIRS)):
        for a, b in pairs:
            rows[start + a], rows[start + b] = start + b, start + a
    return rows


# Row i of a mirrored frame is row MIRROR_ROWS[i] of the original, with x flipped.
MIRROR_ROWS = _mirror_rows()
assert (MIRROR_ROWS[MIRROR_ROWS] == np.arange(ROWS_PER_FRAME)).all(), "mirroring must be an involution"
assert set(LIPS) >= {p for pair in _LIP_PAIRS for p in pair}


def mirror_sequence(data: np.ndarray) -> np.ndarray:
    """The sequence a mirrored video would give: hands, pose and face pairs swapped, x -> 1 - x.

    z (depth, relative to the wrist or hips) is unchanged by a left/right mirror; NaN stays NaN.
    """
    array = np.asarray(data, dtype=np.float32)
    if array.ndim != 3 or array.shape[1] != ROWS_PER_FRAME:
        raise ValueError(f"landmarks must be [n_frames, {ROWS_PER_FRAME}, 3], got {array.shape}")
    mirrored = array[:, MIRROR_ROWS, :].copy()
    mirrored[..., 0] = 1.0 - mirrored[..., 0]
    return mirrored


def mirror_average(probabilities: Callable[[np.ndarray], np.ndarray], data: np.ndarray) -> np.ndarray:
    """Test-time mirroring: the mean of `probabilities` on a sequence and on its mirror, so a sign
    signed left-handed scores as it does right-handed (and the other way round)."""
    return (probabilities(data) + probabilities(mirror_sequence(data))) / 2
