"""Server-side SVG charts for the dashboard: no JavaScript, no CDN, numbers also in the page text.

Each function takes selector dataclasses and returns markup safe to put in a template. Text inside
the SVG goes through `escape`; every chart has role="img" and a label that states its numbers.
"""

from collections.abc import Sequence
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .rules import GoalProgress
from .selectors import DayCell, UnitRate, XpPoint

ACCENT = "#1f7a74"
ACCENT_SOFT = "#dff1ee"
OK = "#2e7d32"
WARN = "#c77c02"
LINE = "#e2ded5"
MUTED = "#5b6b73"
TEXT = "#1f2a30"
FROZEN = "#8ec5e8"
HEAT = ("#ebe7df", "#b9dfd8", "#6fbdb2", "#2f958b", "#155a55")  # intensity 0-4
FONT = 'font-family="system-ui, sans-serif"'


def _short(d: date) -> str:
    return f"{d:%b} {d.day}"


def _svg(width: int, height: int, label: str, body: list[str], css_class: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        + "".join(body)
        + "</svg>"
    )


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (at least 10)."""
    for step in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return max(step * ((value + step - 1) // step), step)
    return value


def xp_chart(series: Sequence[XpPoint]) -> SafeString:
    """Daily XP as bars and the running total as a line (right-hand scale)."""
    width, height = 640, 220
    left, right, top, bottom = 40, 56, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(series), 1)
    day_max = _nice_max(max((p.xp for p in series), default=0))
    total_lo = series[0].total - series[0].xp if series else 0
    total_hi = max(series[-1].total if series else 0, total_lo + 10)
    slot = plot_w / n
    body = []
    for i in range(5):  # grid lines and left labels
        value = day_max * i // 4
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">{value}</text>'
        )
    points = []
    for i, p in enumerate(series):
        x = left + i * slot
        h = plot_h * p.xp / day_max
        if p.xp:
            body.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                f'rx="2" fill="{ACCENT}"><title>{_short(p.date)}: {p.xp} XP</title></rect>'
            )
        ty = top + plot_h - plot_h * (p.total - total_lo) / (total_hi - total_lo)
        points.append(f"{x + slot / 2:.1f},{ty:.1f}")
        if i % 7 == 0 or (i == n - 1 and i % 7 >= 4):
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" fill="{MUTED}">{_short(p.date)}</text>'
            )
    if points:
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{WARN}" stroke-width="2.5"/>')
        last_x, last_y = points[-1].split(",")
        body.append(f'<circle cx="{last_x}" cy="{last_y}" r="4" fill="{WARN}"/>')
        body.append(
            f'<text x="{width - right + 6}" y="{float(last_y) + 4:.1f}" font-size="12" font-weight="600" fill="{WARN}">{series[-1].total}</text>'
        )
        body.append(
            f'<text x="{width - right + 6}" y="{top + plot_h + 4}" font-size="11" fill="{MUTED}">{total_lo}</text>'
        )
    earned = sum(p.xp for p in series)
    label = f"XP per day over the last {len(series)} days: {earned} XP earned, total now {series[-1].total if series else 0}"
    return _svg(width, height, label, body, "xp-chart")


def calendar_heatmap(weeks: Sequence[Sequence[DayCell]]) -> SafeString:
    """Practice days as a calendar grid: columns are weeks (Monday on top), darker = more XP."""
    cell, gap, left, top = 16, 4, 32, 20
    width = left + len(weeks) * (cell + gap)
    height = top + 7 * (cell + gap) + 4
    body = []
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        body.append(
            f'<text x="{left - 5}" y="{top + row * (cell + gap) + cell - 3}" font-size="10" text-anchor="end" fill="{MUTED}">{name}</text>'
        )
    month_starts = [
        col
        for col, week in enumerate(weeks)
        if col == 0 or week[0].date.month != weeks[col - 1][0].date.month
    ]
    if len(month_starts) > 1 and month_starts[1] < 3:
        month_starts.pop(0)  # the first column's month would collide with the next name
    active = 0
    for col, week in enumerate(weeks):
        x = left + col * (cell + gap)
        if col in month_starts:
            body.append(f'<text x="{x}" y="{top - 6}" font-size="11" fill="{MUTED}">{week[0].date:%b}</text>')
        for row, day in enumerate(week):
            if day.in_future:
                continue
            y = top + row * (cell + gap)
            fill = FROZEN if day.frozen and not day.attempts else HEAT[day.intensity]
            active += bool(day.attempts)
            what = (
                f"{day.xp} XP, {day.attempts} attempt{'s' if day.attempts != 1 else ''}"
                if day.attempts
                else ("streak freeze used" if day.frozen else "no practice")
            )
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="3" fill="{fill}">'
                f"<title>{day.date:%a} {_short(day.date)}: {what}</title></rect>"
            )
    n_days = sum(1 for week in weeks for day in week if not day.in_future)
    return _svg(
        width, height, f"Practice calendar: practised on {active} of the last {n_days} days", body, "heatmap"
    )


def goal_ring(goal: GoalProgress, *, streak: int) -> SafeString:
    """Today's XP against the daily goal as a ring, the streak in the middle."""
    size, radius, stroke = 150, 60, 14
    c = size / 2
    circumference = 2 * 3.14159265 * radius
    done = circumference * goal.percent / 100
    colour = OK if goal.met else ACCENT
    body = [
        f'<circle cx="{c}" cy="{c}" r="{radius}" fill="none" stroke="{LINE}" stroke-width="{stroke}"/>',
        f'<circle cx="{c}" cy="{c}" r="{radius}" fill="none" stroke="{colour}" stroke-width="{stroke}" '
        f'stroke-linecap="round" stroke-dasharray="{done:.1f} {circumference:.1f}" '
        f'transform="rotate(-90 {c} {c})"/>'
        if goal.xp
        else "",
        f'<text x="{c}" y="{c - 8}" font-size="28" font-weight="700" text-anchor="middle" fill="{TEXT}">{streak}</text>',
        f'<text x="{c}" y="{c + 10}" font-size="12" text-anchor="middle" fill="{MUTED}">day streak</text>',
        f'<text x="{c}" y="{c + 30}" font-size="13" font-weight="600" text-anchor="middle" fill="{colour}">'
        f"{goal.xp} / {goal.goal} XP</text>",
    ]
    label = f"Daily goal: {goal.xp} of {goal.goal} XP today ({goal.percent} %). Streak: {streak} days."
    return _svg(size, size, label, body, "goal-ring")


def sign_status_bar(*, mastered: int, learning: int, new: int) -> SafeString:
    """All signs of the course split into mastered / learning / not started."""
    width, height = 640, 34
    total = max(mastered + learning + new, 1)
    body, x = [], 0.0
    for count, colour, name in (
        (mastered, OK, "mastered"),
        (learning, WARN, "learning"),
        (new, LINE, "not started"),
    ):
        w = width * count / total
        if count:
            body.append(
                f'<rect x="{x:.1f}" y="4" width="{w:.1f}" height="26" fill="{colour}"><title>{count} {name}</title></rect>'
            )
            if w > 40:
                text_colour = "#fff" if colour != LINE else MUTED
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="22" font-size="13" font-weight="600" text-anchor="middle" fill="{text_colour}">{count}</text>'
                )
        x += w
    label = f"Signs: {mastered} mastered, {learning} learning, {new} not started"
    return _svg(width, height, label, body, "status-bar")


def unit_pass_rates(units: Sequence[UnitRate]) -> SafeString:
    """Pass rate of attempts per unit as horizontal bars (units not practised yet are greyed)."""
    row, label_w, bar_w = 30, 230, 300
    width, height = label_w + bar_w + 64, row * len(units) + 8
    body = []
    for i, unit in enumerate(units):
        y = 4 + i * row
        title = unit.unit.title if len(unit.unit.title) <= 30 else unit.unit.title[:29] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y + 19}" font-size="15" text-anchor="end" fill="{TEXT}">{escape(title)}</text>'
        )
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="20" rx="5" fill="{LINE}"/>')
        rate = unit.pass_rate
        if rate is None:
            body.append(
                f'<text x="{label_w + bar_w + 8}" y="{y + 19}" font-size="15" fill="{MUTED}">–</text>'
            )
            continue
        colour = OK if rate >= 70 else (WARN if rate >= 40 else "#b3261e")
        body.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * rate / 100:.1f}" height="20" rx="5" fill="{colour}">'
            f"<title>{escape(unit.unit.title)}: {rate} % of {unit.attempts} attempts passed</title></rect>"
        )
        body.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 19}" font-size="15" font-weight="600" fill="{TEXT}">{rate} %</text>'
        )
    practised = [u for u in units if u.attempts]
    label = "Pass rate per unit: " + (
        "; ".join(f"{u.unit.title} {u.pass_rate} %" for u in practised) if practised else "no attempts yet"
    )
    return _svg(width, height, label, body, "unit-rates")
