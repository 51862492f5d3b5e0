"""Evaluation sets (the evaluation tutorials frozen in the Kaggle layout) and the runs that score a model
on one: the numbers the activation gate compares."""

from __future__ import annotations

import io
import logging
import shutil
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lessons.models import TutorialVideo
from ml import islr_io
from ml.ensemble import align_probabilities, score_probabilities
from ml.inference import EmptyLandmarksError

from ..models import EvaluationRun, EvaluationSet, ModelVersion
from ..selectors import (
    active_configuration,
    configuration_members,
    evaluation_set_latest,
    model_version_classifier,
    tutorial_frame_aspects,
    vocabulary,
)

log = logging.getLogger(__name__)

TUTORIAL_PARTICIPANT_ID = 0  # tutorial clips have no signer ids (as ml.dataset_build's clip folder)

# Celery's hard time limit of the evaluation task: a run still marked running after it has no worker.
EVALUATE_SOFT_TIME_LIMIT_S = 1800
EVALUATE_TIME_LIMIT_S = 1900


def evaluation_set_build_and_queue() -> tuple[EvaluationSet, list[ModelVersion]]:
    """Build a new evaluation set and queue the active configuration's models on it, so the gate
    can compare candidates with what grades now. Returns the set and the models queued."""
    evaluation_set = evaluation_set_build()
    current = active_configuration()
    active = [m for m, _ in configuration_members(configuration=current)] if current else []
    for model_version in active:
        evaluation_run_queue(model_version=model_version, evaluation_set=evaluation_set)
    return evaluation_set, active


def evaluation_set_build() -> EvaluationSet:
    """Freeze the tutorials marked "evaluation" (with landmarks) into a new numbered Kaggle-layout set."""
    tutorials = list(
        TutorialVideo.objects.filter(is_evaluation=True)
        .exclude(landmarks="")
        .select_related("sign")
        .order_by("id")
    )
    if not tutorials:
        raise ValueError("no tutorial is marked for evaluation with extracted landmarks")
    last = EvaluationSet.objects.order_by("-version").first()
    number = (last.version + 1) if last else 1
    relative = f"registry/evalsets/v{number}"
    root = Path(settings.MEDIA_ROOT) / relative
    if root.exists():
        shutil.rmtree(root)
    rows, kept = [], []
    for tutorial in tutorials:
        row = sequence_file_write(
            tutorial.landmarks, root, TUTORIAL_PARTICIPANT_ID, tutorial.pk, tutorial.sign.name
        )
        if np.isnan(islr_io.read_sequence(root / row["path"])).all():
            (root / row["path"]).unlink()  # nothing detected: no model could score it
            continue
        rows.append(row)
        kept.append(tutorial.pk)
    if not rows:
        raise ValueError("none of the evaluation tutorials has any detected landmarks")
    islr_io.write_train_csv(rows, root)
    return EvaluationSet.objects.create(
        version=number,
        directory=relative,
        n_sequences=len(rows),
        n_signs=len({r["sign"] for r in rows}),
        tutorial_ids=kept,
    )


def sequence_file_write(field_file, root: Path, participant_id: int, sequence_id: int, sign: str) -> dict:
    """Copy a stored landmark file into a Kaggle-layout folder; returns its train.csv row."""
    path = islr_io.landmark_file_path(participant_id, sequence_id)
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    with field_file.open("rb") as src, open(root / path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return {"path": path, "participant_id": participant_id, "sequence_id": sequence_id, "sign": sign}


def evaluation_run_queue(
    *, model_version: ModelVersion, evaluation_set: EvaluationSet | None = None
) -> EvaluationRun | None:
    """Create (or reset) the run and enqueue it after commit; None when there is no evaluation set."""
    from ..tasks import evaluate_model_task

    evaluation_set = evaluation_set or evaluation_set_latest()
    if evaluation_set is None:
        return None
    run, _ = EvaluationRun.objects.get_or_create(model_version=model_version, evaluation_set=evaluation_set)
    # A run being scored right now is left to finish: queueing it again would score it twice at once.
    requeued = _evaluation_claimable(timezone.now()) & Q(pk=run.pk)
    if EvaluationRun.objects.filter(requeued).update(status=EvaluationRun.Status.QUEUED, error=""):
        run.refresh_from_db()
        transaction.on_commit(lambda: evaluate_model_task.delay(run.pk))
    return run


def _evaluation_claimable(now) -> Q:
    stale = now - timedelta(seconds=EVALUATE_TIME_LIMIT_S + 60)
    return ~Q(status=EvaluationRun.Status.RUNNING) | Q(started_at__isnull=True) | Q(started_at__lt=stale)


def _evaluation_run_claim(run: EvaluationRun) -> bool:
    """Mark the run running for this caller with one conditional UPDATE; False if another holds it.

    Two deliveries of the same message (acks_late, a redelivery) can never score it at once.
    """
    now = timezone.now()
    claimed = EvaluationRun.objects.filter(_evaluation_claimable(now), pk=run.pk).update(
        status=EvaluationRun.Status.RUNNING, started_at=now, error=""
    )
    if claimed:
        run.status, run.started_at, run.error = EvaluationRun.Status.RUNNING, now, ""
    return bool(claimed)


def evaluation_run_execute(
    *, model_version: ModelVersion, evaluation_set: EvaluationSet | None = None
) -> EvaluationRun:
    """Score a model on an evaluation set: top-1/top-10 overall and per sign, probabilities kept."""
    evaluation_set = evaluation_set or evaluation_set_latest()
    if evaluation_set is None:
        raise ValueError("no evaluation set: mark tutorials as evaluation and build one first")
    run, _ = EvaluationRun.objects.get_or_create(model_version=model_version, evaluation_set=evaluation_set)
    if not _evaluation_run_claim(run):
        log.info("evaluation run %s is already running elsewhere", run.pk)
        run.refresh_from_db()
        return run
    try:
        labels = vocabulary()
        matrix, targets = _probabilities(model_version, evaluation_set, labels)
        scores = score_probabilities(matrix, targets, labels)
    except Exception as exc:
        run.status = EvaluationRun.Status.FAILED
        run.error = str(exc)[:300]
        run.finished_at = timezone.now()
        run.save()
        raise
    if run.probabilities:
        run.probabilities.delete(save=False)
    run.probabilities.save(
        f"{model_version.sha256[:16]}-v{evaluation_set.version}.npy",
        ContentFile(_npy_bytes(matrix)),
        save=False,
    )
    run.status = EvaluationRun.Status.DONE
    run.n, run.top1, run.top10 = scores.n, scores.top1, scores.top10
    run.per_sign = scores.as_dict()["per_sign"]
    run.error = ""
    run.finished_at = timezone.now()
    run.save()
    model_version.metrics = {
        "eval_set": evaluation_set.version,
        "n": scores.n,
        "top1": scores.top1,
        "top10": scores.top10,
    }
    model_version.save(update_fields=["metrics"])
    return run


def _probabilities(
    model_version: ModelVersion, evaluation_set: EvaluationSet, labels: list[str]
) -> tuple[np.ndarray, list[int]]:
    """The model's [n, 250] probabilities on the set in the canonical sign order, and the targets."""
    root = Path(settings.MEDIA_ROOT) / evaluation_set.directory
    classifier = model_version_classifier(model_version=model_version)
    probs, targets = [], []
    index = {sign: i for i, sign in enumerate(labels)}
    aspects = tutorial_frame_aspects(evaluation_set.tutorial_ids)
    for row, data in islr_io.read_kaggle_dataset(root):
        try:
            p = classifier.probabilities(data, frame_aspect=aspects.get(row["sequence_id"]))
        except EmptyLandmarksError:
            p = np.zeros(len(classifier.labels), dtype=np.float32)
        probs.append(align_probabilities(p, classifier.labels, labels))
        targets.append(index[row["sign"]])
    return np.stack(probs).astype(np.float32), targets


def _npy_bytes(matrix: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, matrix)
    return buffer.getvalue()
