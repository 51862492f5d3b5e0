"""Reading the registry: the predictor that grades now, evaluation summaries, monitoring numbers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone

from ml.configuration import configuration_ensemble, read_configuration, recorded_label
from ml.ensemble import Ensemble
from ml.inference import SignClassifier

from .models import ActiveConfiguration, ModelVersion

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


# Per process: interpreters per model file (sha256) and the predictor for the active configuration,
# keyed by (configuration id, activated_at) so a new activation or a rollback is seen on the next call.
_lock = threading.Lock()
_classifiers: dict[str, SignClassifier] = {}
_cached: dict[str, object] = {"key": None, "predictor": None}


def model_version_classifier(*, model_version: ModelVersion) -> SignClassifier:
    """The process-wide interpreter for one registered model file, built on first use."""
    with _lock:
        classifier = _classifiers.get(model_version.sha256)
        if classifier is None:
            model_path = Path(model_version.file.path)
            classifier = SignClassifier(
                model_path,
                labels_path=model_version.labels.path,
                card_path=model_path.parent / CARD_FILENAME,
                input_aspect=model_version.input_aspect,
            )
            _classifiers[model_version.sha256] = classifier
        return classifier


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
    with _lock:
        _classifiers.clear()
        _cached.update(key=None, predictor=None)


def active_configuration() -> ActiveConfiguration | None:
    return (
        ActiveConfiguration.objects.filter(is_active=True).prefetch_related("members__model_version").first()
    )


# --- Monitoring ---------------------------------------------------------------------------------

MISSED_RANK = 11  # "not in the top-10" counts as rank 11 in the mean rank
CONFIDENCE_BINS = 10


@dataclass
class WeekStats:
    week: date  # Monday
    finished: int  # graded + failed attempts attributed to the version
    graded: int
    passed: int
    no_hands: int
    no_person: int
    mean_rank: float | None  # intended sign's rank, misses counted as MISSED_RANK
    confidence: tuple[float, float, float] | None  # top-1 score: 25th, 50th, 75th percentile

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None

    @property
    def no_hands_share(self) -> float | None:
        return self.no_hands / self.finished if self.finished else None

    @property
    def no_person_share(self) -> float | None:
        return self.no_person / self.finished if self.finished else None


@dataclass
class VersionMonitoring:
    version: str
    weeks: dict[date, WeekStats]
    confidence_histogram: list[int]  # top-1 score in CONFIDENCE_BINS equal bins over 0..1


@dataclass
class Monitoring:
    weeks: list[date]
    versions: list[VersionMonitoring]
    activations: list[tuple[datetime, str]]  # (when, configuration label)


def week_start(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def monitoring_weekly(*, weeks: int = 12, now: datetime | None = None) -> Monitoring:
    """Per model version and week: pass rate, mean rank, no-hands/no-person share, confidence.

    Graded attempts count for the version on their result; failed ones (no result) for the
    configuration active when they finished, from the activation log. Pass rate is over graded
    attempts; the failure shares are over all finished ones.
    """
    from practice.models import Attempt, AttemptResult

    now = now or timezone.now()
    first_week = week_start(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time.min, tzinfo=UTC)
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]
    log = [
        (c.activated_at, c.label)
        for c in ActiveConfiguration.objects.order_by("activated_at", "id").prefetch_related(
            "members__model_version"
        )
    ]
    samples: dict[str, dict[date, dict]] = {}
    confidences: dict[str, list[float]] = {}

    def bucket(version: str, moment: datetime) -> dict:
        per_week = samples.setdefault(version, {})
        return per_week.setdefault(
            week_start(moment),
            {"graded": 0, "passed": 0, "failed": 0, "no_hands": 0, "no_person": 0, "ranks": [], "conf": []},
        )

    results = AttemptResult.objects.filter(graded_at__gte=since).values_list(
        "model_version", "graded_at", "passed", "rank", "top10"
    )
    for version, graded_at, passed, rank, top10 in results.iterator():
        b = bucket(version, graded_at)
        b["graded"] += 1
        b["passed"] += bool(passed)
        b["ranks"].append(rank if rank else MISSED_RANK)
        if top10:
            score = float(top10[0].get("score", 0.0))
            b["conf"].append(score)
            confidences.setdefault(version, []).append(score)
    failed = Attempt.objects.filter(status=Attempt.Status.FAILED, finished_at__gte=since).values_list(
        "finished_at", "failure_reason"
    )
    before_registry = shipped_version()  # what graded while nothing was active
    for finished_at, reason in failed.iterator():
        b = bucket(_version_at(log, finished_at, before_registry), finished_at)
        b["failed"] += 1
        b["no_hands"] += reason == Attempt.FailureReason.NO_HANDS
        b["no_person"] += reason == Attempt.FailureReason.NO_PERSON

    versions = []
    for version in sorted(samples, key=lambda v: min(samples[v])):
        stats = {}
        for week, b in samples[version].items():
            conf = b["conf"]
            stats[week] = WeekStats(
                week=week,
                finished=b["graded"] + b["failed"],
                graded=b["graded"],
                passed=b["passed"],
                no_hands=b["no_hands"],
                no_person=b["no_person"],
                mean_rank=float(np.mean(b["ranks"])) if b["ranks"] else None,
                confidence=tuple(float(q) for q in np.percentile(conf, [25, 50, 75])) if conf else None,
            )
        histogram = np.histogram(confidences.get(version, []), bins=CONFIDENCE_BINS, range=(0.0, 1.0))[0]
        versions.append(
            VersionMonitoring(version=version, weeks=stats, confidence_histogram=[int(c) for c in histogram])
        )
    return Monitoring(
        weeks=week_list, versions=versions, activations=[(t, label) for t, label in log if t >= since]
    )


def _version_at(log: list[tuple[datetime, str]], moment: datetime, before: str) -> str:
    version = before
    for activated_at, label in log:
        if activated_at > moment:
            break
        version = label
    return version
