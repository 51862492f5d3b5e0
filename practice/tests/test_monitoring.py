"""Monitoring the served models on live practice: the weekly numbers, the admin page and its charts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from practice.charts import Series, line_chart
from practice.conftest import make_attempt
from practice.models import Attempt, AttemptResult
from practice.monitoring import monitoring_weekly, week_start
from registry.models import ActiveConfiguration
from registry.services.activation import configuration_activate
from registry.tests.conftest import tiny_sequence_bytes


def _graded(learner, sign, *, rank, score, version, when):
    attempt = make_attempt(learner, sign, tiny_sequence_bytes(rank or 0), rank=rank)
    AttemptResult.objects.filter(attempt=attempt).update(
        model_version=version, top10=[{"sign": sign, "index": 0, "score": score}], graded_at=when
    )


def test_monitoring_numbers_per_version_and_week(iago_client, registered, hamlet):
    now = timezone.now()
    this_week = week_start(now)
    two_weeks_ago = now - timedelta(weeks=2)
    first = configuration_activate(members=[(registered["kittu"], 1.0)], override=True)
    ActiveConfiguration.objects.filter(pk=first.pk).update(activated_at=now - timedelta(weeks=3))
    _graded(hamlet, "dog", rank=1, score=0.9, version="kittu89", when=two_weeks_ago)
    _graded(hamlet, "dog", rank=5, score=0.5, version="kittu89", when=two_weeks_ago)
    _graded(hamlet, "cat", rank=None, score=0.2, version="kittu89", when=two_weeks_ago)
    failed = make_attempt(hamlet, "cat", b"", rank=None, status="failed")
    Attempt.objects.filter(pk=failed.pk).update(failure_reason="no_hands", finished_at=two_weeks_ago)
    _graded(hamlet, "dog", rank=2, score=0.7, version="prabhanjan", when=now)

    monitoring = monitoring_weekly(weeks=4, now=now)
    assert monitoring.weeks[-1] == this_week
    by_version = {v.version: v for v in monitoring.versions}
    week = by_version["kittu89"].weeks[week_start(two_weeks_ago)]
    assert (week.finished, week.graded, week.passed, week.no_hands) == (4, 3, 2, 1)
    assert week.pass_rate == pytest.approx(2 / 3)
    assert week.mean_rank == pytest.approx((1 + 5 + 11) / 3)
    assert week.no_hands_share == 0.25
    assert week.confidence[1] == pytest.approx(0.5)
    assert by_version["kittu89"].confidence_histogram == [0, 0, 1, 0, 0, 1, 0, 0, 0, 1]
    assert by_version["prabhanjan"].weeks[this_week].mean_rank == 2

    page = iago_client.get(reverse("admin:practice_monitoring") + "?weeks=4").content.decode()
    assert page.count('class="registry-chart"') == 5 + 2  # five weekly charts, one histogram per version
    assert "Pass rate (graded attempts)" in page and "kittu89" in page


def test_line_chart_leaves_gaps_and_marks_activations():
    svg = line_chart(
        title="t",
        x_labels=["w1", "w2", "w3", "w4"],
        series=[Series("a", [0.5, None, 0.25, 1.0])],
        y_min=0,
        y_max=1,
        y_ticks=[0, 1],
        markers=[(1.5, "activated b")],
    )
    assert svg.count("<polyline") == 1  # w1 stands alone, w3-w4 is one line
    assert svg.count("<circle") == 3
    assert "activated b" in svg and 'stroke-dasharray="3,3"' in svg
