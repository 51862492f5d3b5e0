"""The model monitoring page in the admin: weekly charts of how each served model version does on live
practice (practice.monitoring), linked from the model registry's list of versions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.response import TemplateResponse

from ml.grading import MISSED_RANK
from registry.admin import require_permission
from registry.models import ModelVersion

from . import charts
from .monitoring import Monitoring, WeekStats, monitoring_weekly

PERCENT = [0.0, 0.25, 0.5, 0.75, 1.0]


@dataclass(frozen=True)
class WeeklyChart:
    title: str
    value: Callable[[WeekStats], float | None]
    band: Callable[[WeekStats], tuple[float, float] | None] | None = None
    y_min: float = 0
    y_max: float = 1
    y_ticks: tuple = tuple(PERCENT)
    y_format: str = "{:.0%}"


WEEKLY_CHARTS = [
    WeeklyChart("Pass rate (graded attempts)", lambda s: s.pass_rate),
    WeeklyChart(
        f"Mean rank of the intended sign (not in top-10 = {MISSED_RANK})",
        lambda s: s.mean_rank,
        y_min=1,
        y_max=MISSED_RANK,
        y_ticks=tuple(range(1, MISSED_RANK + 1, 2)),
        y_format="{:.0f}",
    ),
    WeeklyChart("Failed for no hands (share of finished attempts)", lambda s: s.no_hands_share),
    WeeklyChart("Failed for no person (share of finished attempts)", lambda s: s.no_person_share),
    WeeklyChart(
        "Top-1 confidence: median, band = 25th–75th percentile",
        lambda s: s.confidence[1] if s.confidence else None,
        band=lambda s: (s.confidence[0], s.confidence[2]) if s.confidence else None,
    ),
]


def monitoring_view(request, *, admin_site):
    """For staff who may view the registry's model versions (the page is linked from their list)."""
    require_permission(request, ModelVersion, "view")
    weeks = int(request.GET.get("weeks", "12")) if request.GET.get("weeks", "12").isdigit() else 12
    context = {
        **admin_site.each_context(request),
        "title": "Model monitoring",
        "opts": ModelVersion._meta,  # the page belongs to the model versions in the breadcrumbs
        **monitoring_charts(monitoring_weekly(weeks=max(2, min(weeks, 104)))),
    }
    return TemplateResponse(request, "admin/practice/monitoring.html", context)


def monitoring_charts(monitoring: Monitoring) -> dict:
    """The monitoring page's SVG charts: one line per model version over the weeks."""
    weeks = monitoring.weeks
    versions = monitoring.versions[: len(charts.PALETTE)]
    markers = [
        ((moment.date() - weeks[0]).days / 7, f"activated {label} on {moment:%Y-%m-%d %H:%M}")
        for moment, label in monitoring.activations
    ]
    return {
        "charts": [_weekly_chart(chart, monitoring, markers) for chart in WEEKLY_CHARTS],
        "histograms": [
            charts.bar_chart(
                title=f"{v.version[:40]}: top-1 confidence",
                labels=[f"{i / 10:.1f}" for i in range(len(v.confidence_histogram))],
                values=v.confidence_histogram,
                color=charts.PALETTE[i % len(charts.PALETTE)],
            )
            for i, v in enumerate(versions)
        ],
        "table": [
            {"version": v.version, "weeks": [{"week": w, "stats": v.weeks[w]} for w in weeks if w in v.weeks]}
            for v in versions
        ],
        "empty": not versions,
    }


def _weekly_chart(chart: WeeklyChart, monitoring: Monitoring, markers: list[tuple[float, str]]) -> str:
    weeks = monitoring.weeks
    series = []
    for v in monitoring.versions[: len(charts.PALETTE)]:
        stats = [v.weeks.get(w) for w in weeks]
        bands = [chart.band(s) if s and chart.band else None for s in stats]
        series.append(
            charts.Series(
                v.version,
                [chart.value(s) if s else None for s in stats],
                [b[0] if b else None for b in bands] if chart.band else None,
                [b[1] if b else None for b in bands] if chart.band else None,
            )
        )
    return charts.line_chart(
        title=chart.title,
        x_labels=[w.strftime("%d %b") for w in weeks],
        series=series,
        y_min=chart.y_min,
        y_max=chart.y_max,
        y_ticks=list(chart.y_ticks),
        y_format=chart.y_format,
        markers=markers,
    )
