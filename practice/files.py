"""Files practice writes besides uploads: landmark sequences (attempts, tutorials), and removing them."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from django.core.files import File
from django.core.files.storage import default_storage

from .models import attempt_landmarks_upload_to

log = logging.getLogger(__name__)


def attempt_landmarks_name() -> str:
    """A new stored name for an attempt's landmark sequence."""
    return attempt_landmarks_upload_to(None, "landmarks.parquet")


def sequence_store(data: np.ndarray, name: str) -> str:
    """Write a [T, 543, 3] sequence as ISLR parquet under `name`; returns the name actually stored."""
    from ml.islr_io import write_sequence

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seq.parquet"
        write_sequence(data, path)
        with path.open("rb") as fh:
            return default_storage.save(name, File(fh))


def files_delete(names: Iterable[str]) -> None:
    """Delete stored files by name; one that cannot be deleted is logged, never raised."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete %s", name)
