"""Retraining runs: checked parameters, queued for the `trainer` worker (the training venv), which exports
the data, trains and exports a TFLite in subprocesses, registers it as a candidate and evaluates it."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ml.inference import CARD_FILENAME, LABELS_FILENAMES, MODEL_FILENAME

from ..models import ModelVersion, TrainingRun
from ..selectors import evaluation_set_latest
from ..training_data import ExportResult, training_data_exporter
from .evaluation import evaluation_run_execute
from .versions import model_version_register

log = logging.getLogger(__name__)

TRAINER_QUEUE = "trainer"
TRAIN_PYTHON_ENV = "SIGNLEARN_TRAIN_PYTHON"
DEFAULT_TRAIN_PARAMS = {
    "split": "holdout",  # by signer (learners) or, with tutorial clips only, by clip
    "epochs": 300,
    "dim": None,
    "blocks": None,
    "frames": None,
    "repeats": None,
    "batch_size": None,
    "patience": None,
    "seed": 0,
    "quantize": "none",
    # Knowledge distillation from a registered Kaggle-contract model (by version), as `make train` does
    # with the Apache-2.0 reference model: see ml.distill.teacher_targets.
    "teacher": None,
    "distill": 0.8,
    "recombined": 4,
    "teacher_aspect": None,  # the teacher's video width / height; None: the teacher's registered input aspect
    "consistent": True,  # the teacher scores every augmented variant, not only the clean clip
}


@dataclass(frozen=True)
class Between:
    low: float
    high: float

    def __contains__(self, value) -> bool:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and self.low <= value <= self.high
        )

    def __str__(self) -> str:
        return f"{self.low}..{self.high}"


# What the admin's form allows (registry.forms.TrainingStartForm), checked here for every caller.
TRAIN_PARAM_LIMITS = {
    "split": ("holdout", "all"),
    "quantize": ("none", "float16", "dynamic"),
    "epochs": Between(1, 2000),
    "dim": Between(8, 512),
    "blocks": Between(1, 8),
    "distill": Between(0, 1),
    "teacher_aspect": Between(0.1, 10),
}
_TRAIN_FLAGS = {
    "dim": "--dim",
    "blocks": "--blocks",
    "frames": "--frames",
    "repeats": "--repeats",
    "batch_size": "--batch-size",
    "patience": "--patience",
}


def training_run_start(*, user=None, params: dict | None = None, queue: bool = True) -> TrainingRun:
    """Create a checked retraining run and queue it for the `trainer` worker (started from the
    training venv); with queue=False the caller runs it (training_run_execute), as train_candidate does.
    """
    from ..tasks import train_candidate_task

    unknown = set(params or {}) - set(DEFAULT_TRAIN_PARAMS)
    if unknown:
        raise ValueError(f"unknown training parameters: {sorted(unknown)}")
    for key, value in (params or {}).items():
        if value is not None and key in TRAIN_PARAM_LIMITS and value not in TRAIN_PARAM_LIMITS[key]:
            raise ValueError(f"training parameter {key}={value!r} is outside {TRAIN_PARAM_LIMITS[key]}")
    teacher = (params or {}).get("teacher")
    if teacher and not ModelVersion.objects.filter(version=teacher).exists():
        raise ValueError(f"teacher {teacher!r} is not a registered model version")
    run = TrainingRun.objects.create(params={**DEFAULT_TRAIN_PARAMS, **(params or {})}, requested_by=user)
    if queue:
        transaction.on_commit(lambda: train_candidate_task.apply_async(args=[run.pk], queue=TRAINER_QUEUE))
    return run


def train_python() -> str:
    """The interpreter that has TensorFlow: $SIGNLEARN_TRAIN_PYTHON, this one, or .venv-train's."""
    configured = os.environ.get(TRAIN_PYTHON_ENV)
    if configured:
        return configured
    if importlib.util.find_spec("tensorflow") is not None:
        return sys.executable
    candidate = Path(settings.BASE_DIR) / ".venv-train" / "bin" / "python"
    if candidate.exists():
        return str(candidate)
    raise RuntimeError(
        "training needs TensorFlow: run the trainer worker from .venv-train (`make train-venv`) "
        f"or set {TRAIN_PYTHON_ENV}"
    )


def training_run_execute(*, training_run_id: int) -> TrainingRun:
    """Export the data, train and export a TFLite in the training venv, register it as a candidate
    and evaluate it on the gate. Only a queued run is started, claimed with one conditional UPDATE
    (queued -> running): a second delivery, or a run already running or finished, is left alone."""
    now = timezone.now()
    work = Path(settings.VAR_DIR) / "training" / f"run-{training_run_id}-{now:%Y%m%d-%H%M%S}"
    claimed = TrainingRun.objects.filter(pk=training_run_id, status=TrainingRun.Status.QUEUED).update(
        status=TrainingRun.Status.RUNNING, started_at=now, work_dir=str(work), error=""
    )
    run = TrainingRun.objects.get(pk=training_run_id)
    if not claimed:
        log.info("training run %s is %s: not started again", run.pk, run.status)
        return run
    params = {**DEFAULT_TRAIN_PARAMS, **run.params}
    try:
        mv = _train_and_register(run, params, work)
    except Exception as exc:
        log.exception("training run %s failed", run.pk)
        run.status, run.error, run.finished_at = TrainingRun.Status.FAILED, str(exc)[:300], timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "log"])
        return run
    run.result = mv
    run.status, run.stage, run.progress, run.finished_at = (
        TrainingRun.Status.SUCCEEDED,
        "done",
        1.0,
        timezone.now(),
    )
    run.save(update_fields=["result", "status", "stage", "progress", "finished_at", "log"])
    return run


def _train_and_register(run: TrainingRun, params: dict, work: Path) -> ModelVersion:
    """The run's steps in order: export the data, train, export the TFLite, register, evaluate."""
    python = train_python()
    exported = training_data_exporter()(out_dir=work / "data")
    _progress(
        run,
        stage="export data",
        progress=0.05,
        log_line=f"exported {exported.n_tutorials} tutorial and {exported.n_attempts} attempt sequences "
        f"({exported.n_learners} consenting learners)",
    )
    if exported.n_sequences < 2:
        raise ValueError(f"only {exported.n_sequences} sequences to train on")
    # The training code reads the sign map from SIGNLEARN_ISLR_DIR: point it at the exported dataset,
    # which carries the map from this database, so the trainer needs no shared ISLR folder.
    data_env = {"SIGNLEARN_ISLR_DIR": str(work / "data")}
    _run_logged(
        run,
        _train_command(python, params, work),
        log_path=work / "train.log",
        stage="train",
        span=(0.05, 0.85),
        epochs=int(params["epochs"]),
        history=work / "run" / "history.csv",
        extra_env=data_env,
    )
    version = f"trained-{timezone.now():%Y%m%d}-r{run.pk}"
    (work / "card.json").write_text(
        json.dumps(_candidate_card(run, params, work, exported, version), indent=1)
    )
    command = [python, "-m", "ml", "export", str(work / "run"), "-o", str(work / "model")]
    command += ["--card", str(work / "card.json"), "--quantize", params["quantize"], "--parity-n", "5"]
    _run_logged(
        run,
        command,
        log_path=work / "export.log",
        stage="export tflite",
        span=(0.85, 0.9),
        extra_env=data_env,
    )
    mv = _candidate_register(run, work / "model", work / "run", version)
    _progress(run, stage="evaluate", progress=0.95, log_line=f"registered candidate {mv.version}")
    if evaluation_set_latest() is not None:
        evaluation = evaluation_run_execute(model_version=mv)
        run.log += (
            f"gate: top-1 {evaluation.top1:.3f} top-10 {evaluation.top10:.3f} on {evaluation.n} sequences\n"
        )
    else:
        run.log += "no evaluation set: the candidate is not evaluated yet\n"
    return mv


def _train_command(python: str, params: dict, work: Path) -> list[str]:
    command = [python, "-m", "ml", "train", "--data", str(work / "data"), "--run-dir", str(work / "run")]
    command += ["--split", params["split"], "--epochs", str(params["epochs"]), "--seed", str(params["seed"])]
    command += ["--quiet"]
    for key, flag in _TRAIN_FLAGS.items():
        if params.get(key) is not None:
            command += [flag, str(params[key])]
    if params.get("teacher"):
        teacher = ModelVersion.objects.get(version=params["teacher"])
        command += ["--teacher", str(Path(teacher.file.path).parent), "--distill", str(params["distill"])]
        command += ["--recombined", str(params["recombined"])]
        if params.get("consistent"):
            command += ["--consistent"]
        teacher_aspect = params.get("teacher_aspect") or teacher.input_aspect
        if teacher_aspect:
            command += ["--teacher-aspect", str(teacher_aspect)]
    return command


def _candidate_card(run: TrainingRun, params: dict, work: Path, exported: ExportResult, version: str) -> dict:
    """The model card `ml export` completes: what the candidate learnt from and how it scored."""
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    split = json.loads((work / "run" / "train.json").read_text()).get("split", params["split"])
    return {
        "name": "signlearn-retrained",
        "version": version,
        "date": timezone.now().date().isoformat(),
        "training_data": {
            "tutorial_sequences": exported.n_tutorials,
            "attempt_sequences": exported.n_attempts,
            "consenting_learners": exported.n_learners,
            "evaluation_tutorials_excluded": True,
        },
        "split": split,
        "metrics": {"held_out": metrics.get("val"), "epochs_run": metrics.get("epochs_run")},
        "training_run": run.pk,
        "params": params,
    }


def _candidate_register(run: TrainingRun, model_dir: Path, run_dir: Path, version: str) -> ModelVersion:
    """Register the exported TFLite (source trained) with the training plots next to it."""
    plots = [run_dir / name for name in ("curves.png", "part_weights.png") if (run_dir / name).exists()]
    full_card = json.loads((model_dir / CARD_FILENAME).read_text())
    full_card["plots"] = [p.name for p in plots]
    return model_version_register(
        model_path=model_dir / MODEL_FILENAME,
        labels_path=model_dir / LABELS_FILENAMES[0],
        card=full_card,
        version=version,
        source=ModelVersion.Source.TRAINED,
        notes=f"training run {run.pk}",
        extra_files=plots,
    )


def _progress(run: TrainingRun, *, stage: str, progress: float, log_line: str = "") -> None:
    run.stage, run.progress = stage, round(progress, 3)
    if log_line:
        run.log = (run.log + log_line.rstrip() + "\n")[-20000:]
    run.save(update_fields=["stage", "progress", "log"])


def _run_logged(
    run: TrainingRun,
    command: list[str],
    *,
    log_path: Path,
    stage: str,
    span: tuple[float, float],
    epochs: int = 0,
    history: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> None:
    """Run a pipeline step as a subprocess; progress from the per-epoch history file as it grows."""
    _progress(run, stage=stage, progress=span[0], log_line="$ " + " ".join(command))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR, env=env
        )
        try:
            _wait_with_progress(run, process, stage=stage, span=span, epochs=epochs, history=history)
        finally:
            if process.poll() is None:  # the task hit its time limit or the worker is shutting down
                process.kill()
                process.wait()
    tail = log_path.read_text(errors="replace")[-4000:]
    run.log = (run.log + tail)[-20000:]
    run.save(update_fields=["log"])
    if process.returncode != 0:
        lines = [line for line in tail.splitlines() if line.strip()]
        raise RuntimeError(
            f"{stage} failed (exit {process.returncode}): {lines[-1] if lines else 'no output'}"
        )


def _wait_with_progress(run, process, *, stage, span, epochs, history) -> None:
    while process.poll() is None:
        time.sleep(1)
        if history is not None and history.exists() and epochs:
            done = max(0, len(history.read_text().splitlines()) - 1)
            run.stage = f"{stage}: epoch {done}/{epochs}"
            run.progress = round(span[0] + (span[1] - span[0]) * min(1.0, done / epochs), 3)
            run.save(update_fields=["stage", "progress"])
