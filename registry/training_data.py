"""The seam between retraining and the practice data it learns from.

Retraining (registry.services.retraining) first exports the curated tutorials and the consented practice
attempts. Attempts live in practice, above the registry, which never imports it: practice hands its
exporter in at start-up (practice.apps.PracticeConfig.ready) and retraining asks for it here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ExportResult:
    root: Path
    n_tutorials: int
    n_attempts: int
    n_learners: int

    @property
    def n_sequences(self) -> int:
        return self.n_tutorials + self.n_attempts


Exporter = Callable[..., ExportResult]  # exporter(*, out_dir: Path) -> ExportResult

_exporters: list[Exporter] = []


def training_data_exporter_set(*, exporter: Exporter) -> None:
    """Make `exporter` the one retraining calls (the last one set wins, so a reload replaces it)."""
    _exporters[:] = [exporter]


def training_data_exporter() -> Exporter:
    if not _exporters:
        raise RuntimeError("no training-data exporter: the practice app, which sets it, is not installed")
    return _exporters[0]
