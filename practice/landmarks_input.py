"""Landmark sequences uploaded instead of a video: ISLR parquet or JSON `[T][543][3]` with nulls.

Parsing only; the service stores what this returns. Every problem is a LandmarksInvalid with a
sentence for the client, never a 500.
"""

from __future__ import annotations

import io
import json

import numpy as np

from ml.layout import N_COORDS, ROWS_PER_FRAME

MAX_FRAMES = 900  # 30 s at 30 fps; a practice clip is 15 s at most
PARQUET_MAGIC = b"PAR1"


class LandmarksInvalid(ValueError):
    code = "invalid_landmarks"


def landmarks_from_json(value) -> np.ndarray:
    """A nested list `[T][543][3]` of numbers or nulls (missing) -> float32 with NaN.

    A string is parsed as JSON first (a multipart form field rather than a JSON body).
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as error:  # RecursionError: nested ~1000 deep
            raise LandmarksInvalid("`landmarks` is not valid JSON.") from error
    if not isinstance(value, list):
        raise LandmarksInvalid("`landmarks` must be a list of frames, each 543 points of [x, y, z].")
    try:
        array = np.array(value, dtype=np.float32)  # None -> nan
    except (TypeError, ValueError) as error:
        raise LandmarksInvalid("`landmarks` must be numbers or nulls shaped [frames][543][3].") from error
    return landmarks_check(array)


def landmarks_from_file(upload) -> np.ndarray:
    """An uploaded ISLR parquet file, or a JSON file holding the nested list (or {"landmarks": [...]})."""
    content = upload.read()
    if content[:4] == PARQUET_MAGIC:
        from ml.islr_io import read_sequence

        try:
            array = read_sequence(io.BytesIO(content))
        except Exception as error:  # pyarrow raises many types for broken files
            raise LandmarksInvalid(f"The parquet file is not an ISLR landmark sequence ({error}).") from error
        return landmarks_check(array)
    try:
        value = json.loads(content)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise LandmarksInvalid("The landmarks file is neither ISLR parquet nor JSON.") from error
    if isinstance(value, dict):
        value = value.get("landmarks")
    return landmarks_from_json(value)


def landmarks_check(array: np.ndarray) -> np.ndarray:
    """Shape [T, 543, 3] with 1 <= T <= MAX_FRAMES, values finite or NaN."""
    if array.ndim != 3 or array.shape[1:] != (ROWS_PER_FRAME, N_COORDS):
        raise LandmarksInvalid(
            f"Landmarks must be shaped [frames][{ROWS_PER_FRAME}][{N_COORDS}], got {list(array.shape)}."
        )
    if not 1 <= array.shape[0] <= MAX_FRAMES:
        raise LandmarksInvalid(f"Send between 1 and {MAX_FRAMES} frames, got {array.shape[0]}.")
    if np.isinf(array).any():
        raise LandmarksInvalid("Landmarks contain infinite values; use null for a missing point.")
    return np.ascontiguousarray(array, dtype=np.float32)
