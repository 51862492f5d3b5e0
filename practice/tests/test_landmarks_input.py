import io
import json

import numpy as np
import pytest

from ml.islr_io import write_sequence
from practice.landmarks_input import LandmarksInvalid, landmarks_from_file, landmarks_from_json


def frames(n: int, *, value=0.5):
    return [[[value, value, value] for _ in range(543)] for _ in range(n)]


def test_json_nulls_become_nan():
    value = frames(2)
    value[1][470] = [None, None, None]
    array = landmarks_from_json(value)
    assert array.shape == (2, 543, 3) and array.dtype == np.float32
    assert np.isnan(array[1, 470]).all() and not np.isnan(array[0]).any()


def test_json_string_field_is_parsed():
    assert landmarks_from_json(json.dumps(frames(1))).shape == (1, 543, 3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"frames": 1}, "must be a list"),
        ([], "[frames][543][3]"),
        ([[[0.1, 0.2]] * 543], "got [1, 543, 2]"),
        ([[[0.1, 0.2, 0.3]] * 542], "got [1, 542, 3]"),
        ([[[0.1, 0.2, 0.3]] * 543, [[0.1, 0.2, 0.3]] * 542], "numbers or nulls"),  # ragged
        ([[["x", 0.2, 0.3]] * 543], "numbers or nulls"),
        ([[[float("inf"), 0.2, 0.3]] * 543], "infinite"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_json_is_refused_with_a_reason(value, message):
    with pytest.raises(LandmarksInvalid) as error:
        landmarks_from_json(value)
    assert message in str(error.value)


def test_frame_limits():
    assert landmarks_from_json(frames(1)).shape[0] == 1
    too_many = np.zeros((901, 543, 3), dtype=np.float32)
    with pytest.raises(LandmarksInvalid, match="between 1 and 900 frames, got 901"):
        landmarks_from_file(io.BytesIO(json.dumps(too_many.tolist()).encode()))


def test_parquet_file_round_trips(tmp_path):
    data = np.random.default_rng(1).random((7, 543, 3), dtype=np.float32)
    data[:, 468:489] = np.nan
    write_sequence(data, tmp_path / "seq.parquet")
    parsed = landmarks_from_file(io.BytesIO((tmp_path / "seq.parquet").read_bytes()))
    np.testing.assert_array_equal(parsed, data)


def test_broken_files_are_refused():
    with pytest.raises(LandmarksInvalid, match="not an ISLR landmark sequence"):
        landmarks_from_file(io.BytesIO(b"PAR1" + b"\0" * 100))
    with pytest.raises(LandmarksInvalid, match="neither ISLR parquet nor JSON"):
        landmarks_from_file(io.BytesIO(b"\x00\x01garbage"))
    assert landmarks_from_file(io.BytesIO(json.dumps({"landmarks": frames(3)}).encode())).shape == (3, 543, 3)
