"""Landmark sequences on disk in the ISLR (Kaggle `asl-signs`) parquet layout, and Kaggle-layout datasets.

A file has one row per landmark per frame, frame-major, landmarks in ISLR order, with the dataset's
columns and dtypes: frame int16, row_id string ("{frame}-{type}-{landmark_index}"), type string,
landmark_index int16, x/y/z float64, a missing part stored as nulls (read back as NaN). So a sequence
SignLearn writes loads with any code written for the dataset, and vice versa.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ml.layout import N_COORDS, PARTS, ROWS_PER_FRAME

SCHEMA = pa.schema(
    [
        ("frame", pa.int16()),
        ("row_id", pa.string()),
        ("type", pa.string()),
        ("landmark_index", pa.int16()),
        ("x", pa.float64()),
        ("y", pa.float64()),
        ("z", pa.float64()),
    ]
)
TRAIN_CSV_COLUMNS = ("path", "participant_id", "sequence_id", "sign")

# Per-row constants of one frame, in ISLR order.
_ROW_TYPES = np.concatenate([np.full(s.stop - s.start, name, dtype=object) for name, s in PARTS])
_ROW_INDEX = np.concatenate([np.arange(s.stop - s.start, dtype=np.int16) for _, s in PARTS])
_ROW_SUFFIX = [f"-{t}-{i}" for t, i in zip(_ROW_TYPES, _ROW_INDEX, strict=True)]


@dataclass
class SequenceFile:
    data: np.ndarray  # [T, 543, 3] float32
    frames: np.ndarray  # [T] int16, the file's frame numbers (dataset files rarely start at 0)


def write_sequence(data: np.ndarray, path: str | os.PathLike, *, frames: np.ndarray | None = None) -> None:
    """Write [T, 543, 3] landmarks as an ISLR parquet file; frames are numbered 0..T-1 unless given."""
    data = np.asarray(data)
    if data.ndim != 3 or data.shape[1:] != (ROWS_PER_FRAME, N_COORDS):
        raise ValueError(f"expected [T, {ROWS_PER_FRAME}, {N_COORDS}] landmarks, got {data.shape}")
    n_frames = data.shape[0]
    frames = np.arange(n_frames) if frames is None else np.asarray(frames)
    if frames.shape != (n_frames,):
        raise ValueError(f"{frames.shape[0]} frame numbers for {n_frames} frames")
    if n_frames and (frames.min() < np.iinfo(np.int16).min or frames.max() > np.iinfo(np.int16).max):
        raise ValueError("frame numbers do not fit the dataset's int16 column")
    # float32 -> float64 is exact, so a dataset file (float32 values stored as float64) round-trips.
    flat = data.reshape(-1, N_COORDS).astype(np.float64)
    missing = np.isnan(flat)
    columns = [
        pa.array(np.repeat(frames, ROWS_PER_FRAME).astype(np.int16), pa.int16()),
        pa.array([f"{f}{suffix}" for f in frames.tolist() for suffix in _ROW_SUFFIX], pa.string()),
        pa.array(np.tile(_ROW_TYPES, n_frames), pa.string()),
        pa.array(np.tile(_ROW_INDEX, n_frames), pa.int16()),
    ]
    columns += [pa.array(flat[:, k], pa.float64(), mask=missing[:, k]) for k in range(N_COORDS)]
    table = pa.Table.from_arrays(columns, schema=SCHEMA)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy")


def read_sequence(path: str | os.PathLike) -> np.ndarray:
    """Read an ISLR parquet file (the dataset's or ours) as [T, 543, 3] float32, NaN for missing."""
    return read_sequence_file(path).data


def read_sequence_file(path: str | os.PathLike) -> SequenceFile:
    """Like read_sequence, also returning the file's frame numbers (needed to rewrite it unchanged)."""
    table = pq.read_table(path, columns=["frame", "landmark_index", "x", "y", "z"])
    n_rows = table.num_rows
    if n_rows % ROWS_PER_FRAME:
        raise ValueError(f"{path}: {n_rows} rows is not a whole number of {ROWS_PER_FRAME}-row frames")
    n_frames = n_rows // ROWS_PER_FRAME
    frame_column = table.column("frame").to_numpy().reshape(n_frames, ROWS_PER_FRAME)
    index_column = table.column("landmark_index").to_numpy().reshape(n_frames, ROWS_PER_FRAME)
    # Cheap layout check (the `type` strings would cost more): every frame's rows in ISLR order.
    if (frame_column != frame_column[:, :1]).any() or (index_column != _ROW_INDEX).any():
        raise ValueError(f"{path}: rows are not one frame at a time in ISLR landmark order")
    coords = [table.column(c).to_numpy(zero_copy_only=False) for c in ("x", "y", "z")]
    data = np.stack(coords, axis=-1).astype(np.float32).reshape(n_frames, ROWS_PER_FRAME, N_COORDS)
    return SequenceFile(data=data, frames=frame_column[:, 0].copy())


def read_kaggle_dataset(root: str | os.PathLike) -> Iterator[tuple[dict, np.ndarray]]:
    """Yield (train.csv row, [T, 543, 3] landmarks) for a Kaggle-layout dataset directory.

    Rows keep the CSV's strings except participant_id and sequence_id, which are ints as in Kaggle.
    """
    root = Path(root)
    with open(root / "train.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            row = {
                "path": row["path"],
                "participant_id": int(row["participant_id"]),
                "sequence_id": int(row["sequence_id"]),
                "sign": row["sign"],
            }
            yield row, read_sequence(root / row["path"])


def write_train_csv(rows: Iterable[dict], root: str | os.PathLike) -> Path:
    """Append rows (path, participant_id, sequence_id, sign) to root/train.csv, with a header if new."""
    path = Path(root) / "train.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    is_new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=TRAIN_CSV_COLUMNS, extrasaction="raise", lineterminator="\n"
        )
        if is_new:
            writer.writeheader()
        for row in rows:
            writer.writerow({column: row[column] for column in TRAIN_CSV_COLUMNS})
    return path


def landmark_file_path(participant_id: int, sequence_id: int) -> str:
    """Dataset-relative path of a sequence, as train.csv names it."""
    return f"train_landmark_files/{participant_id}/{sequence_id}.parquet"
