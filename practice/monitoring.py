"""Monitoring the served models on live practice: per model version and week, pass rate, mean rank,
no-hands/no-person failures and top-1 confidence. A read of attempts, so it lives here rather than in
the model registry, whose activation log it maps failed attempts onto."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from django.utils import timezone

from ml.grading import MISSED_RANK
from registry.models import ActiveConfiguration
from registry.selectors import shipped_version

from .models import Attempt, AttemptResult

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


@dataclass
class _Bucket:
    """What one version did in one week, before it is summarised."""

    graded: int = 0
    passed: int = 0
    failed: int = 0
    no_hands: int = 0
    no_person: int = 0
    ranks: list[int] = field(default_factory=list)
    conf: list[float] = field(default_factory=list)

    def stats(self, week: date) -> WeekStats:
        return WeekStats(
            week=week,
            finished=self.graded + self.failed,
            graded=self.graded,
            passed=self.passed,
            no_hands=self.no_hands,
            no_person=self.no_person,
            mean_rank=float(np.mean(self.ranks)) if self.ranks else None,
            confidence=tuple(float(q) for q in np.percentile(self.conf, [25, 50, 75])) if self.conf else None,
        )


def monitoring_weekly(*, weeks: int = 12, now: datetime | None = None) -> Monitoring:
    """Per model version and week: pass rate, mean rank, no-hands/no-person share, confidence.

    Graded attempts count for the version on their result; failed ones (no result) for the
    configuration active when they finished, from the activation log. Pass rate is over graded
    attempts; the failure shares are over all finished ones.
    """
    now = now or timezone.now()
    first_week = week_start(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time.min, tzinfo=UTC)
    log = [
        (c.activated_at, c.label)
        for c in ActiveConfiguration.objects.order_by("activated_at", "id").prefetch_related(
            "members__model_version"
        )
    ]
    samples: dict[str, dict[date, _Bucket]] = {}
    confidences: dict[str, list[float]] = {}

    def bucket(version: str, moment: datetime) -> _Bucket:
        return samples.setdefault(version, {}).setdefault(week_start(moment), _Bucket())

    results = AttemptResult.objects.filter(graded_at__gte=since).values_list(
        "model_version", "graded_at", "passed", "rank", "top10"
    )
    for version, graded_at, passed, rank, top10 in results.iterator():
        b = bucket(version, graded_at)
        b.graded += 1
        b.passed += bool(passed)
        b.ranks.append(rank if rank else MISSED_RANK)
        if top10:
            score = float(top10[0].get("score", 0.0))
            b.conf.append(score)
            confidences.setdefault(version, []).append(score)
    failed = Attempt.objects.filter(status=Attempt.Status.FAILED, finished_at__gte=since).values_list(
        "finished_at", "failure_reason"
    )
    before_registry = shipped_version()  # what graded while nothing was active
    for finished_at, reason in failed.iterator():
        b = bucket(_version_at(log, finished_at, before_registry), finished_at)
        b.failed += 1
        b.no_hands += reason == Attempt.FailureReason.NO_HANDS
        b.no_person += reason == Attempt.FailureReason.NO_PERSON

    versions = []
    for version in sorted(samples, key=lambda v: min(samples[v])):
        histogram = np.histogram(confidences.get(version, []), bins=CONFIDENCE_BINS, range=(0.0, 1.0))[0]
        versions.append(
            VersionMonitoring(
                version=version,
                weeks={week: b.stats(week) for week, b in samples[version].items()},
                confidence_histogram=[int(c) for c in histogram],
            )
        )
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]
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
