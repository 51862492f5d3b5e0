"""Reading the registry: the predictor that grades now, the signs in model order, evaluation scores and
the activation gate's verdict. Nothing here writes; the writes are in registry.services."""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from lessons.models import Sign, TutorialVideo
from ml.configuration import configuration_ensemble, read_configuration, recorded_label
from ml.ensemble import Ensemble, Scores, combine_probabilities, score_probabilities
from ml.inference import SignClassifier, shared_classifier, shared_classifiers_clear

from .models import ActiveConfiguration, EvaluationRun, EvaluationSet, ModelVersion

CARD_FILENAME = "model_card.json"


@dataclass(kw_only=True)
class Predictor(Ensemble):
    """The active configuration, ready to classify: one model or a weighted ensemble.

    `version` is what every result records: the model version, or each member's version and weight.
    Not thread-safe (LiteRT interpreters are not); one per process, which is what Celery prefork and
    gunicorn sync workers give.
    """

    version: str
    configuration_id: int | None = None


# Per process: the predictor for the active configuration, keyed by (configuration id, activated_at) so
# a new activation or a rollback is seen on the next call (interpreters: ml.inference.shared_classifier).
_lock = threading.Lock()
_cached: dict[str, object] = {"key": None, "predictor": None}


def model_version_classifier(*, model_version: ModelVersion) -> SignClassifier:
    """The process-wide interpreter for one registered model file (ml's one cache), built on first use."""
    model_path = Path(model_version.file.path)
    return shared_classifier(
        model_path,
        labels_path=model_version.labels.path,
        card_path=model_path.parent / CARD_FILENAME,
        input_aspect=model_version.input_aspect,
    )


def configuration_predictor(*, configuration: ActiveConfiguration) -> Predictor:
    members = list(configuration.members.select_related("model_version"))
    if not members:
        raise ValueError(f"configuration {configuration.pk} has no members")
    classifiers = [(model_version_classifier(model_version=m.model_version), m.weight) for m in members]
    return Predictor(
        version=configuration.label,
        labels=list(classifiers[0][0].labels),
        members=classifiers,
        combine=configuration.combine,
        configuration_id=configuration.pk,
    )


def shipped_version() -> str:
    """What results graded by the shipped configuration record, before and after it is registered: a
    model's name and version ("signlearn-seed 1.2.0"), or the ensemble's label of its members' (as
    ActiveConfiguration.label), so a result says which models graded it."""
    return recorded_label(read_configuration(settings.SIGNLEARN_MODEL_DIR))


def shipped_predictor() -> Predictor:
    """The configuration in settings.SIGNLEARN_MODEL_DIR (ml.configuration), used while none is active."""
    ensemble = configuration_ensemble(read_configuration(settings.SIGNLEARN_MODEL_DIR))
    return Predictor(
        version=shipped_version(), labels=ensemble.labels, members=ensemble.members, combine=ensemble.combine
    )


def active_predictor() -> Predictor:
    """The predictor for the configuration active right now (one cheap query per call).

    Workers call this per task, so an activation in the admin takes effect on the next attempt
    without a restart; interpreters are built once per process per model file.
    """
    key = ActiveConfiguration.objects.filter(is_active=True).values_list("id", "activated_at").first()
    if key is None:
        key = ("shipped", str(settings.SIGNLEARN_MODEL_DIR))
    with _lock:
        if _cached["key"] == key and _cached["predictor"] is not None:
            return _cached["predictor"]
    if key[0] == "shipped":
        predictor = shipped_predictor()
    else:
        predictor = configuration_predictor(configuration=ActiveConfiguration.objects.get(pk=key[0]))
    with _lock:
        _cached["key"] = key
        _cached["predictor"] = predictor
    return predictor


def predictor_cache_clear() -> None:
    """Forget the cached predictor and interpreters (tests; a process never needs it)."""
    shared_classifiers_clear()
    with _lock:
        _cached.update(key=None, predictor=None)


def active_configuration() -> ActiveConfiguration | None:
    return (
        ActiveConfiguration.objects.filter(is_active=True).prefetch_related("members__model_version").first()
    )


def configuration_members(*, configuration: ActiveConfiguration) -> list[tuple[ModelVersion, float]]:
    """Its models with their weights, as configuration_activate takes them."""
    return [(m.model_version, m.weight) for m in configuration.members.select_related("model_version")]


def vocabulary() -> list[str]:
    """The project's signs in model-output order (lessons.Sign.index)."""
    return list(Sign.objects.order_by("index").values_list("name", flat=True))


# --- Evaluation ---------------------------------------------------------------------------------


def evaluation_set_latest() -> EvaluationSet | None:
    return EvaluationSet.objects.order_by("-version").first()


def evaluation_set_get(*, version: int | None = None) -> EvaluationSet | None:
    """The set with this number, or the latest when none is given."""
    if version is None:
        return evaluation_set_latest()
    return EvaluationSet.objects.filter(version=version).first()


def evaluation_runs_done(*, evaluation_set: EvaluationSet | None):
    """The finished runs on a set, best first (the activation page's table)."""
    return (
        EvaluationRun.objects.filter(evaluation_set=evaluation_set, status=EvaluationRun.Status.DONE)
        .select_related("model_version")
        .order_by("-top10", "-top1")
    )


def tutorial_frame_aspects(tutorial_ids) -> dict[int, float]:
    """Width / height of each tutorial video whose size is known (evaluation sequences are tutorials)."""
    sizes = TutorialVideo.objects.filter(pk__in=list(tutorial_ids), width__gt=0, height__gt=0)
    return {pk: width / height for pk, width, height in sizes.values_list("pk", "width", "height")}


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


# --- The activation gate ------------------------------------------------------------------------


@dataclass
class GateResult:
    passed: bool
    message: str
    candidate: Scores | None = None
    active: Scores | None = None


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
        done = evaluation_runs_done(evaluation_set=evaluation_set)
        missing = [m.version for m, _ in members if not done.filter(model_version=m).exists()]
        return GateResult(
            False, f"not evaluated on evaluation set v{evaluation_set.version}: {', '.join(missing)}"
        )
    current = active_configuration()
    if current is None:
        return GateResult(
            True, f"top-10 {candidate.top10:.3f}, top-1 {candidate.top1:.3f}; nothing active", candidate
        )
    active = configuration_scores(
        members=configuration_members(configuration=current),
        combine=current.combine,
        evaluation_set=evaluation_set,
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
