import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.islr_io import (
    SCHEMA,
    landmark_file_path,
    read_kaggle_dataset,
    read_sequence,
    read_sequence_file,
    write_sequence,
    write_train_csv,
)
from ml.layout import LEFT_HAND, ROWS_PER_FRAME

CLOUD = "train_landmark_files/16069/100015657.parquet"  # 105 frames numbered 103..207, sign "cloud"


def _sample_files(gislr_sample):
    return sorted((gislr_sample / "train_landmark_files").glob("*/*.parquet"))


def test_dataset_files_round_trip_with_identical_values_and_schema(gislr_sample, tmp_path):
    files = _sample_files(gislr_sample)
    assert len(files) == 3

    for original in files:
        sequence = read_sequence_file(original)
        copy = tmp_path / original.name
        write_sequence(sequence.data, copy, frames=sequence.frames)

        expected, actual = pq.read_table(original), pq.read_table(copy)
        assert actual.schema.equals(expected.schema)  # names, types (int16, string, float64), order
        assert actual.equals(expected)  # every value, null mask and row, in order
        assert np.array_equal(read_sequence(copy), sequence.data, equal_nan=True)


def test_reading_a_dataset_file_gives_float32_frames_in_islr_order(gislr_sample):
    sequence = read_sequence_file(gislr_sample / CLOUD)

    assert sequence.data.shape == (105, ROWS_PER_FRAME, 3)
    assert sequence.data.dtype == np.float32
    assert sequence.frames[0] == 103 and sequence.frames[-1] == 207
    # The file stores the signer's missing left hand as nulls; we read NaN, in the same 77 frames.
    table = pq.read_table(gislr_sample / CLOUD)
    assert table.column("x").null_count == int(np.isnan(sequence.data[..., 0]).sum())
    assert int(np.isnan(sequence.data[:, LEFT_HAND, 0]).all(axis=1).sum()) == 77


def test_written_file_has_the_dataset_layout(tmp_path):
    data = np.arange(2 * ROWS_PER_FRAME * 3, dtype=np.float32).reshape(2, ROWS_PER_FRAME, 3) / 1000
    data[1, LEFT_HAND] = np.nan
    path = tmp_path / "seq.parquet"

    write_sequence(data, path)

    table = pq.read_table(path)
    assert table.schema.equals(SCHEMA)
    assert table.num_rows == 2 * ROWS_PER_FRAME
    rows = table.to_pylist()
    assert rows[0] == {
        "frame": 0,
        "row_id": "0-face-0",
        "type": "face",
        "landmark_index": 0,
        "x": 0.0,
        "y": pytest.approx(0.001),
        "z": pytest.approx(0.002),
    }
    assert [rows[i]["row_id"] for i in (467, 468, 489, 522, 542, 543)] == [
        "0-face-467",
        "0-left_hand-0",
        "0-pose-0",
        "0-right_hand-0",
        "0-right_hand-20",
        "1-face-0",
    ]
    assert rows[ROWS_PER_FRAME + 468]["x"] is None  # missing part: null, as in the dataset
    assert table.column("x").null_count == 21


def test_wrong_shapes_and_layouts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="543"):
        write_sequence(np.zeros((3, 542, 3), dtype=np.float32), tmp_path / "bad.parquet")
    with pytest.raises(ValueError, match="frame numbers"):
        write_sequence(np.zeros((2, 543, 3)), tmp_path / "bad.parquet", frames=np.array([1]))

    shuffled = pq.read_table(_write_zeros(tmp_path / "ok.parquet")).take(pa.array(np.arange(543)[::-1]))
    pq.write_table(shuffled, tmp_path / "shuffled.parquet")
    with pytest.raises(ValueError, match="ISLR landmark order"):
        read_sequence(tmp_path / "shuffled.parquet")
    pq.write_table(shuffled.slice(0, 500), tmp_path / "short.parquet")
    with pytest.raises(ValueError, match="whole number"):
        read_sequence(tmp_path / "short.parquet")


def _write_zeros(path):
    write_sequence(np.zeros((1, ROWS_PER_FRAME, 3), dtype=np.float32), path)
    return path


def test_kaggle_dataset_reader_yields_rows_with_their_sequences(gislr_sample):
    items = list(read_kaggle_dataset(gislr_sample))

    assert len(items) == 1
    row, data = items[0]
    assert row == {"path": CLOUD, "participant_id": 16069, "sequence_id": 100015657, "sign": "cloud"}
    assert data.shape == (105, ROWS_PER_FRAME, 3)


def test_written_dataset_reads_back_like_a_kaggle_one(tmp_path):
    sequences = {
        7: np.full((3, ROWS_PER_FRAME, 3), 0.25, dtype=np.float32),
        8: np.zeros((5, ROWS_PER_FRAME, 3)),
    }
    for sequence_id, data in sequences.items():
        write_sequence(data, tmp_path / landmark_file_path(1, sequence_id))

    write_train_csv(
        [{"path": landmark_file_path(1, 7), "participant_id": 1, "sequence_id": 7, "sign": "TV"}], tmp_path
    )
    write_train_csv(
        [{"path": landmark_file_path(1, 8), "participant_id": 1, "sequence_id": 8, "sign": "cloud"}], tmp_path
    )

    assert (tmp_path / "train.csv").read_text().splitlines() == [
        "path,participant_id,sequence_id,sign",
        "train_landmark_files/1/7.parquet,1,7,TV",
        "train_landmark_files/1/8.parquet,1,8,cloud",
    ]
    items = list(read_kaggle_dataset(tmp_path))
    assert [(row["sequence_id"], row["sign"], data.shape[0]) for row, data in items] == [
        (7, "TV", 3),
        (8, "cloud", 5),
    ]
    assert np.all(items[0][1] == 0.25)
