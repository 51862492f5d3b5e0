"""Writes for the model registry: registering models, the evaluation gate, activation and rollback,
training-data export, and retraining runs."""

from __future__ import annotations

import csv
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from lessons.models import Sign, TutorialVideo
from ml import islr_io
from ml.adapters import KAGGLE
from ml.configuration import member_classifier, member_version, read_configuration
from ml.ensemble import (
    COMBINE_MEAN,
    COMBINE_MODES,
    Scores,
    align_probabilities,
    combine_probabilities,
    score_probabilities,
)
from ml.inference import (
    CARD_FILENAME,
    LABELS_FILENAMES,
    MODEL_FILENAME,
    EmptyLandmarksError,
    ModelValidationError,
    file_sha256,
    find_labels,
    load_labels,
    validate_model,
)
from ml.layout import N_SIGNS
from practice.models import Attempt

from .models import (
    ActiveConfiguration,
    AttemptLabel,
    ConfigurationMember,
    EvaluationRun,
    EvaluationSet,
    ModelVersion,
    TrainingRun,
)
from .selectors import CARD_FILENAME as REGISTRY_CARD_FILENAME
from .selectors import active_configuration, model_version_classifier

log = logging.getLogger(__name__)

MAX_ENSEMBLE_MEMBERS = 3  # keeps the recorded version string within AttemptResult.model_version
SIGN_MAP_FILENAME = "sign_to_prediction_index_map.json"
TUTORIAL_PARTICIPANT_ID = 0  # tutorial clips have no signer ids (as ml.dataset_build's clip folder)
LEARNER_ID_OFFSET = 1_000_000_000  # anonymous learner ids never collide with the tutorial id


class GateError(Exception):
    """Activation refused by the evaluation gate; `message` gives the numbers."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Model versions ---------------------------------------------------------------------------


def vocabulary() -> list[str]:
    """The project's signs in model-output order (lessons.Sign.index)."""
    return list(Sign.objects.order_by("index").values_list("name", flat=True))


def _check_labels(labels_path: Path) -> None:
    try:
        labels = load_labels(labels_path)
    except (ValueError, json.JSONDecodeError, AttributeError) as exc:
        raise ModelValidationError(f"label map is not a sign -> index JSON object: {exc}") from exc
    if len(labels) != N_SIGNS:
        raise ModelValidationError(f"label map has {len(labels)} signs, expected {N_SIGNS}")
    known = vocabulary()
    if known and set(labels) != set(known):
        unknown = sorted(set(labels) - set(known))[:3]
        raise ModelValidationError(f"label map signs differ from SignLearn's 250 signs (e.g. {unknown})")


def model_version_register(
    *,
    model_path: Path,
    source: str,
    labels_path: Path | None = None,
    card: dict | None = None,
    version: str = "",
    name: str = "",
    notes: str = "",
    extra_files: list[Path] = (),
    input_aspect: float | None = None,
    adapter: str | None = None,
) -> ModelVersion:
    """Validate a model and store it as a candidate (or return it if already stored).

    `input_aspect` (default: the card's `input_aspect`) is the width / height of the video the model
    learnt from; grading and evaluation then show it each clip as a centre crop of that shape.
    `adapter` (default: the card's, else detected from its inputs; ml.adapters) is how it is fed; one
    other than the Kaggle contract is recorded in the stored card, which every classifier reads.

    Raises ModelValidationError with a one-line reason for anything that cannot be served: not a
    TFLite file, wrong signature or shapes, inference failing on NaN input, a bad label map.
    """
    model_path = Path(model_path)
    info = validate_model(model_path, adapter=adapter)  # the file itself first: raises ModelValidationError
    if labels_path is None:
        try:
            labels_path = find_labels(model_path)
        except FileNotFoundError:
            labels_path = None
    with tempfile.TemporaryDirectory(prefix="signlearn-labels-") as tmp:
        if labels_path is None:
            # No map given: the project's vocabulary, whose order is the Kaggle index map.
            labels_path = Path(tmp) / LABELS_FILENAMES[0]
            labels_path.write_text(json.dumps({sign: i for i, sign in enumerate(vocabulary())}))
        return _register_checked(
            model_path=model_path,
            labels_path=Path(labels_path),
            info=info,
            source=source,
            card=card,
            version=version,
            name=name,
            notes=notes,
            extra_files=extra_files,
            input_aspect=input_aspect,
        )


def _register_checked(
    *, model_path, labels_path, info, source, card, version, name, notes, extra_files, input_aspect
):
    if not labels_path.is_file():
        raise ModelValidationError(f"no label map at {labels_path}")
    _check_labels(labels_path)
    sha = file_sha256(model_path)
    existing = ModelVersion.objects.filter(sha256=sha).first()
    if existing:
        return existing
    card = dict(card or {})
    if not card and (model_path.parent / CARD_FILENAME).is_file():
        card = json.loads((model_path.parent / CARD_FILENAME).read_text())
    if info.adapter != KAGGLE:
        card["adapter"] = info.adapter
    name = name or str(card.get("name") or info.name)
    version = _unique_version(
        version or str(card.get("version") or f"{slugify(name)[:30] or 'model'}-{sha[:8]}"), sha
    )
    input_aspect = input_aspect or card.get("input_aspect")
    numeric = isinstance(input_aspect, int | float) and not isinstance(input_aspect, bool)
    if input_aspect is not None and not (numeric and input_aspect > 0):
        raise ModelValidationError(f"input aspect must be a positive width / height, got {input_aspect!r}")
    mv = ModelVersion(
        version=version,
        name=name[:120],
        card=card,
        sha256=sha,
        input_aspect=input_aspect,
        size_bytes=model_path.stat().st_size,
        source=source,
        notes=notes,
    )
    with open(model_path, "rb") as fh:
        mv.file.save(MODEL_FILENAME, File(fh), save=False)
    with open(labels_path, "rb") as fh:
        mv.labels.save(LABELS_FILENAMES[0], File(fh), save=False)
    folder = Path(mv.file.path).parent
    (folder / REGISTRY_CARD_FILENAME).write_text(
        json.dumps({**card, "version": version, "sha256": sha}, indent=2)
    )
    for extra in extra_files:
        shutil.copyfile(extra, folder / Path(extra).name)
    mv.save()
    log.info("registered model %s (%s, %s)", mv.version, source, sha[:12])
    return mv


def _unique_version(version: str, sha: str) -> str:
    version = version[:50]
    if ModelVersion.objects.filter(version=version).exists():
        version = f"{version[:41]}-{sha[:8]}"
    return version


def model_version_register_upload(
    *,
    model_file,
    labels_file=None,
    card: dict | None = None,
    version: str = "",
    notes: str = "",
    input_aspect: float | None = None,
) -> ModelVersion:
    """An admin upload: write to a temp folder, validate and register (source uploaded)."""
    with tempfile.TemporaryDirectory(prefix="signlearn-upload-") as tmp:
        model_path = Path(tmp) / MODEL_FILENAME
        _write_upload(model_file, model_path)
        labels_path = None
        if labels_file is not None:
            labels_path = Path(tmp) / LABELS_FILENAMES[0]
            _write_upload(labels_file, labels_path)
        # Without a card, name it after the uploaded file, never after the temporary folder.
        stem = Path(getattr(model_file, "name", "") or "").stem
        name = "" if (card or {}).get("name") else (stem if stem not in ("", "model") else "uploaded-model")
        return model_version_register(
            model_path=model_path,
            labels_path=labels_path,
            card=card,
            version=version,
            name=name,
            source=ModelVersion.Source.UPLOADED,
            notes=notes,
            input_aspect=input_aspect,
        )


def _write_upload(upload, path: Path) -> None:
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


SHIPPED_NOTE = "shipped configuration"


@dataclass
class ShippedRegistration:
    members: list[tuple[ModelVersion, float]]
    combine: str
    activated: bool  # this call made it the active configuration


def model_version_register_shipped(*, activate_if_none: bool = True) -> ShippedRegistration:
    """Register the shipped configuration (settings.SIGNLEARN_MODEL_DIR, ml.configuration): each member
    model with its input aspect and adapter, then make it the active configuration if none is active.

    `make run` and the web container do this on every start. Activating it changes no prediction (it
    is what serves while nothing is active) but puts it in the activation log, so the gate, monitoring
    and rollback have a starting point. A new release's configuration replaces an older shipped one
    that is still active as it was shipped; a configuration an admin chose is left alone.
    """
    configuration = read_configuration(settings.SIGNLEARN_MODEL_DIR)
    members = []
    for member in configuration.members:
        mv = model_version_register(
            model_path=member.model_path,
            source=ModelVersion.Source.SHIPPED,
            version=member_version(member_classifier(member)),
            input_aspect=member.input_aspect,
            adapter=member.adapter,
            # How it is fed is part of the version, as the registry's classifiers read it from the card.
            card={**member.card(), "test_time_mirror": member.test_time_mirror},
        )
        if (
            mv.input_aspect != member.input_aspect
            or bool(mv.card.get("test_time_mirror")) != member.test_time_mirror
        ):
            # The same file registered earlier (e.g. uploaded by an admin) keeps how it was registered.
            log.warning(
                "shipped member %s was registered before with other settings; they are kept", mv.version
            )
        members.append((mv, member.weight))
    current = active_configuration()
    active = _members_of(current) if current else []
    # Activated by a start-up like this one (older releases wrote "shipped model"), not by an admin.
    as_shipped = current is not None and current.note in (SHIPPED_NOTE, "shipped model")
    changed = [(mv.pk, w) for mv, w in active] != [(mv.pk, w) for mv, w in members] or (
        current is not None and current.combine != configuration.combine
    )
    activate = activate_if_none and (current is None or (as_shipped and changed))
    if activate:
        configuration_activate(
            members=members, combine=configuration.combine, note=SHIPPED_NOTE, override=True
        )
        for mv, _ in members:
            mv.refresh_from_db()  # now active
    return ShippedRegistration(members=members, combine=configuration.combine, activated=activate)


# --- Evaluation sets and runs -----------------------------------------------------------------


def evaluation_set_build_and_queue() -> tuple[EvaluationSet, list[ModelVersion]]:
    """Build a new evaluation set and queue the active configuration's models on it, so the gate
    can compare candidates with what grades now. Returns the set and the models queued."""
    evaluation_set = evaluation_set_build()
    current = active_configuration()
    active = [m for m, _ in _members_of(current)] if current else []
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
        with tutorial.landmarks.open("rb") as fh:
            data = fh.read()
        path = islr_io.landmark_file_path(TUTORIAL_PARTICIPANT_ID, tutorial.pk)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        if np.isnan(islr_io.read_sequence(root / path)).all():
            (root / path).unlink()  # nothing detected: no model could score it
            continue
        rows.append(
            {
                "path": path,
                "participant_id": TUTORIAL_PARTICIPANT_ID,
                "sequence_id": tutorial.pk,
                "sign": tutorial.sign.name,
            }
        )
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


def evaluation_set_latest() -> EvaluationSet | None:
    return EvaluationSet.objects.order_by("-version").first()


def evaluation_run_queue(
    *, model_version: ModelVersion, evaluation_set: EvaluationSet | None = None
) -> EvaluationRun | None:
    """Create (or reset) the run and enqueue it after commit; None when there is no evaluation set."""
    from .tasks import evaluate_model_task

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


# Celery's hard time limit of the evaluation task: a run still marked running after it has no worker.
EVALUATE_SOFT_TIME_LIMIT_S = 1800
EVALUATE_TIME_LIMIT_S = 1900


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


def tutorial_frame_aspects(tutorial_ids) -> dict[int, float]:
    """Width / height of each tutorial video whose size is known (evaluation sequences are tutorials)."""
    sizes = TutorialVideo.objects.filter(pk__in=list(tutorial_ids), width__gt=0, height__gt=0)
    return {pk: width / height for pk, width, height in sizes.values_list("pk", "width", "height")}


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
        matrix = np.stack(probs).astype(np.float32)
        scores = score_probabilities(matrix, targets, labels)
    except Exception as exc:
        run.status = EvaluationRun.Status.FAILED
        run.error = str(exc)[:300]
        run.finished_at = timezone.now()
        run.save()
        raise
    buffer = _npy_bytes(matrix)
    if run.probabilities:
        run.probabilities.delete(save=False)
    run.probabilities.save(
        f"{model_version.sha256[:16]}-v{evaluation_set.version}.npy", ContentFile(buffer), save=False
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


def _npy_bytes(matrix: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, matrix)
    return buffer.getvalue()


def evaluation_targets(evaluation_set: EvaluationSet) -> list[int]:
    index = {sign: i for i, sign in enumerate(vocabulary())}
    with open(Path(settings.MEDIA_ROOT) / evaluation_set.directory / "train.csv", newline="") as fh:
        return [index[row["sign"]] for row in csv.DictReader(fh)]


def configuration_scores(
    *, members: list[tuple[ModelVersion, float]], combine: str, evaluation_set: EvaluationSet
) -> Scores | None:
    """Scores of a (possibly ensemble) configuration from its members' stored probabilities, or None
    when a member has no finished run on this set."""
    runs = {
        r.model_version_id: r
        for r in EvaluationRun.objects.filter(
            evaluation_set=evaluation_set,
            model_version__in=[m for m, _ in members],
            status=EvaluationRun.Status.DONE,
        )
    }
    if any(m.pk not in runs for m, _ in members):
        return None
    if len(members) == 1:
        run = runs[members[0][0].pk]
        return Scores(n=run.n, top1=run.top1, top10=run.top10)
    matrices = []
    for mv, _ in members:
        with runs[mv.pk].probabilities.open("rb") as fh:
            matrices.append(np.load(fh))
    combined = combine_probabilities(matrices, [w for _, w in members], combine)
    return score_probabilities(combined, evaluation_targets(evaluation_set), vocabulary())


# --- Activation ---------------------------------------------------------------------------------


@dataclass
class GateResult:
    passed: bool
    message: str
    candidate: Scores | None = None
    active: Scores | None = None


def _members_of(configuration: ActiveConfiguration) -> list[tuple[ModelVersion, float]]:
    return [(m.model_version, m.weight) for m in configuration.members.select_related("model_version")]


def activation_gate(*, members: list[tuple[ModelVersion, float]], combine: str) -> GateResult:
    """Would activating this configuration make grading worse on the latest evaluation set?

    Worse = lower top-10 (what passing an attempt needs), or equal top-10 and lower top-1.
    Unevaluated members fail the gate: a model is evaluated before it can be activated, and so is
    the active configuration, which it must not be worse than.
    """
    evaluation_set = evaluation_set_latest()
    if evaluation_set is None:
        return GateResult(
            False, "no evaluation set yet: build one from the evaluation tutorials, or override"
        )
    candidate = configuration_scores(members=members, combine=combine, evaluation_set=evaluation_set)
    if candidate is None:
        missing = [
            m.version
            for m, _ in members
            if not EvaluationRun.objects.filter(
                model_version=m, evaluation_set=evaluation_set, status=EvaluationRun.Status.DONE
            ).exists()
        ]
        return GateResult(
            False, f"not evaluated on evaluation set v{evaluation_set.version}: {', '.join(missing)}"
        )
    current = active_configuration()
    if current is None:
        return GateResult(
            True, f"top-10 {candidate.top10:.3f}, top-1 {candidate.top1:.3f}; nothing active", candidate
        )
    active = configuration_scores(
        members=_members_of(current), combine=current.combine, evaluation_set=evaluation_set
    )
    if active is None:
        # Never swap in a model that might be worse: the active one is scored on each new set
        # (evaluation_set_build_and_queue), so this only waits for that run to finish.
        return GateResult(
            False,
            f"top-10 {candidate.top10:.3f}, but the active configuration ({current.label}) is not evaluated "
            f"on evaluation set v{evaluation_set.version} yet: evaluate it first, or override",
            candidate,
        )
    worse = candidate.top10 < active.top10 or (
        candidate.top10 == active.top10 and candidate.top1 < active.top1
    )
    message = (
        f"on evaluation set v{evaluation_set.version} ({candidate.n} sequences): top-10 {candidate.top10:.3f} "
        f"vs active {active.top10:.3f}, top-1 {candidate.top1:.3f} vs active {active.top1:.3f}"
    )
    return GateResult(
        not worse, ("worse than the active configuration " if worse else "") + message, candidate, active
    )


@transaction.atomic
def configuration_activate(
    *,
    members: list[tuple[ModelVersion, float]],
    combine: str = COMBINE_MEAN,
    user=None,
    override: bool = False,
    override_reason: str = "",
    note: str = "",
) -> ActiveConfiguration:
    """Make this model (or ensemble) the one that grades, if the gate allows it or it is overridden.

    Raises GateError with the gate's numbers when the candidate is worse or unevaluated and there is
    no override. Workers see the change on their next task (registry.selectors.active_predictor).
    """
    if not members:
        raise ValueError("choose at least one model")
    if len(members) > MAX_ENSEMBLE_MEMBERS:
        raise ValueError(f"an ensemble has at most {MAX_ENSEMBLE_MEMBERS} models")
    if len({m.pk for m, _ in members}) != len(members):
        raise ValueError("a model appears twice in the ensemble")
    if combine not in COMBINE_MODES:
        raise ValueError(f"combine must be one of {COMBINE_MODES}")
    if any(w <= 0 for _, w in members):
        raise ValueError("weights must be positive")
    gate = activation_gate(members=members, combine=combine)
    if not gate.passed and not override:
        raise GateError(gate.message)
    return _activate(
        members=members,
        combine=combine,
        user=user,
        note=note,
        override_reason=(override_reason or "override") if not gate.passed else "",
    )


def _activate(*, members, combine, user, note, override_reason) -> ActiveConfiguration:
    ActiveConfiguration.objects.select_for_update().filter(is_active=True).update(is_active=False)
    configuration = ActiveConfiguration.objects.create(
        combine=combine,
        is_active=True,
        activated_at=timezone.now(),
        activated_by=user,
        note=note[:200],
        override_reason=override_reason[:300],
    )
    ConfigurationMember.objects.bulk_create(
        [ConfigurationMember(configuration=configuration, model_version=m, weight=w) for m, w in members]
    )
    member_ids = [m.pk for m, _ in members]
    ModelVersion.objects.filter(pk__in=member_ids).update(status=ModelVersion.Status.ACTIVE)
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exclude(pk__in=member_ids).update(
        status=ModelVersion.Status.RETIRED
    )
    log.info("activated configuration #%s: %s", configuration.pk, configuration.label)
    return configuration


@transaction.atomic
def configuration_rollback(*, user=None, to: ActiveConfiguration | None = None) -> ActiveConfiguration:
    """One click back: activate a copy of the previous configuration (or `to`), without the gate,
    since it graded before."""
    current = ActiveConfiguration.objects.select_for_update().filter(is_active=True).first()
    if to is None:
        history = ActiveConfiguration.objects.order_by("-activated_at", "-id")
        if current is not None:
            history = history.filter(
                Q(activated_at__lt=current.activated_at)
                | Q(activated_at=current.activated_at, id__lt=current.pk)
            )
        to = history.first()
        if to is None:
            raise ValueError("no earlier configuration to roll back to")
    return _activate(
        members=_members_of(to),
        combine=to.combine,
        user=user,
        note=f"rollback to #{to.pk}",
        override_reason="",
    )


# --- Training data export -----------------------------------------------------------------------


def anonymous_learner_id(learner_id: int) -> int:
    """A stable participant id that does not reveal the learner (keyed hash of the primary key)."""
    key = settings.SIGNLEARN_EXPORT_ID_SECRET.encode()
    digest = hmac.new(key, f"learner:{learner_id}".encode(), hashlib.sha256).digest()
    return LEARNER_ID_OFFSET + int.from_bytes(digest[:8], "big") % LEARNER_ID_OFFSET


def anonymous_sequence_id(attempt_id: int) -> int:
    key = settings.SIGNLEARN_EXPORT_ID_SECRET.encode()
    digest = hmac.new(key, f"attempt:{attempt_id}".encode(), hashlib.sha256).digest()
    return LEARNER_ID_OFFSET + int.from_bytes(digest[:8], "big") % LEARNER_ID_OFFSET


@dataclass
class ExportResult:
    root: Path
    n_tutorials: int
    n_attempts: int
    n_learners: int

    @property
    def n_sequences(self) -> int:
        return self.n_tutorials + self.n_attempts


def exportable_attempts():
    """Attempts whose learner consents now and whose sign is known: passed at rank 1 (and not marked
    unusable by an admin), or labelled with a sign by an admin. Landmarks only, never video."""
    # A phrase clip holds several signs: it is never one training sequence, whatever its label.
    consented = Attempt.objects.filter(learner__training_consent=True, sign__isnull=False).exclude(
        landmarks=""
    )
    auto = Q(result__passed=True, result__rank=1, training_label__isnull=True)
    labelled = Q(training_label__sign__isnull=False)
    return consented.filter(auto | labelled).select_related("sign", "training_label__sign").order_by("id")


def training_data_export(*, out_dir: Path, include_tutorials: bool = True) -> ExportResult:
    """Write the Kaggle ISLR layout (train.csv + parquet) of curated tutorials and consented attempts.

    Evaluation tutorials are left out (the gate must score sequences never trained on). Consent is
    read at export time, so a revoked consent removes that learner's sequences from this export on.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    n_tutorials = 0
    if include_tutorials:
        tutorials = (
            TutorialVideo.objects.filter(is_evaluation=False).exclude(landmarks="").select_related("sign")
        )
        for tutorial in tutorials.order_by("id"):
            rows.append(
                _export_file(
                    tutorial.landmarks, out_dir, TUTORIAL_PARTICIPANT_ID, tutorial.pk, tutorial.sign.name
                )
            )
            n_tutorials += 1
    learners = set()
    n_attempts = 0
    for attempt in exportable_attempts():
        label = getattr(attempt, "training_label", None)
        sign = label.sign.name if label is not None and label.sign_id else attempt.sign.name
        participant = anonymous_learner_id(attempt.learner_id)
        rows.append(
            _export_file(attempt.landmarks, out_dir, participant, anonymous_sequence_id(attempt.pk), sign)
        )
        learners.add(attempt.learner_id)
        n_attempts += 1
    islr_io.write_train_csv(rows, out_dir)  # header even when empty, so loaders see a valid dataset
    # As in the Kaggle download: the sign -> index map next to train.csv.
    (out_dir / SIGN_MAP_FILENAME).write_text(
        json.dumps({sign: i for i, sign in enumerate(vocabulary())}, indent=0)
    )
    (out_dir / "export.json").write_text(
        json.dumps(
            {
                "created_at": timezone.now().isoformat(),
                "tutorials": n_tutorials,
                "attempts": n_attempts,
                "learners": len(learners),
                "participant_ids": f"{TUTORIAL_PARTICIPANT_ID} = tutorial clips; learners: keyed hashes",
            },
            indent=1,
        )
    )
    return ExportResult(
        root=out_dir, n_tutorials=n_tutorials, n_attempts=n_attempts, n_learners=len(learners)
    )


def _export_file(field_file, out_dir: Path, participant_id: int, sequence_id: int, sign: str) -> dict:
    path = islr_io.landmark_file_path(participant_id, sequence_id)
    (out_dir / path).parent.mkdir(parents=True, exist_ok=True)
    with field_file.open("rb") as src, open(out_dir / path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return {"path": path, "participant_id": participant_id, "sequence_id": sequence_id, "sign": sign}


def attempt_label_set(*, attempt: Attempt, sign: Sign | None, user=None) -> AttemptLabel:
    """Record what an attempt really shows (or that it is unusable: sign=None) for training."""
    label, _ = AttemptLabel.objects.update_or_create(
        attempt=attempt, defaults={"sign": sign, "labelled_by": user}
    )
    return label


# --- Retraining ---------------------------------------------------------------------------------

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
    # with the Apache-2.0 reference model: see ml.train.teacher_targets.
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
    from .tasks import train_candidate_task

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
    python = train_python()
    exported = training_data_export(out_dir=work / "data")
    _progress(
        run,
        stage="export data",
        progress=0.05,
        log_line=f"exported {exported.n_tutorials} tutorial and {exported.n_attempts} attempt sequences "
        f"({exported.n_learners} consenting learners)",
    )
    if exported.n_sequences < 2:
        raise ValueError(f"only {exported.n_sequences} sequences to train on")
    command = [python, "-m", "ml", "train", "--data", str(work / "data"), "--run-dir", str(work / "run")]
    command += ["--split", params["split"], "--epochs", str(params["epochs"]), "--seed", str(params["seed"])]
    command += ["--quiet"]
    # The training code reads the sign map from SIGNLEARN_ISLR_DIR: point it at the exported dataset,
    # which carries the map from this database, so the trainer needs no shared ISLR folder.
    data_env = {"SIGNLEARN_ISLR_DIR": str(work / "data")}
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
    _run_logged(
        run,
        command,
        log_path=work / "train.log",
        stage="train",
        span=(0.05, 0.85),
        epochs=int(params["epochs"]),
        history=work / "run" / "history.csv",
        extra_env=data_env,
    )
    metrics = json.loads((work / "run" / "metrics.json").read_text())
    split = json.loads((work / "run" / "train.json").read_text()).get("split", params["split"])
    version = f"trained-{timezone.now():%Y%m%d}-r{run.pk}"
    card = {
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
    (work / "card.json").write_text(json.dumps(card, indent=1))
    model_dir = work / "model"
    command = [python, "-m", "ml", "export", str(work / "run"), "-o", str(model_dir)]
    command += ["--card", str(work / "card.json"), "--quantize", params["quantize"], "--parity-n", "5"]
    _run_logged(
        run,
        command,
        log_path=work / "export.log",
        stage="export tflite",
        span=(0.85, 0.9),
        extra_env=data_env,
    )
    plots = [
        work / "run" / name for name in ("curves.png", "part_weights.png") if (work / "run" / name).exists()
    ]
    full_card = json.loads((model_dir / CARD_FILENAME).read_text())
    full_card["plots"] = [p.name for p in plots]
    mv = model_version_register(
        model_path=model_dir / MODEL_FILENAME,
        labels_path=model_dir / LABELS_FILENAMES[0],
        card=full_card,
        version=version,
        source=ModelVersion.Source.TRAINED,
        notes=f"training run {run.pk}",
        extra_files=plots,
    )
    _progress(run, stage="evaluate", progress=0.95, log_line=f"registered candidate {mv.version}")
    if evaluation_set_latest() is not None:
        evaluation = evaluation_run_execute(model_version=mv)
        run.log += (
            f"gate: top-1 {evaluation.top1:.3f} top-10 {evaluation.top10:.3f} on {evaluation.n} sequences\n"
        )
    else:
        run.log += "no evaluation set: the candidate is not evaluated yet\n"
    return mv
