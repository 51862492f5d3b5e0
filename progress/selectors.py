"""Reads of a learner's progress: the dashboard, the review queue, the family overview.

Every figure comes from the stored aggregates (LearnerProgress, DailyActivity, SignProgress,
ReviewCard), so the number of queries does not grow with the length of the history.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.utils import timezone

from accounts.models import Learner
from lessons.models import Phrase, Sign, Unit
from practice.models import Attempt

from . import rules
from .models import Badge, DailyActivity, LearnerProgress, PhraseProgress, ReviewCard, SignProgress

XP_SERIES_DAYS = 30
CALENDAR_WEEKS = 18
WEAKEST_SIGNS = 5
RECENT_ATTEMPTS = 8


def learner_today(*, learner: Learner, now: datetime | None = None) -> date:
    return rules.local_date(now or timezone.now(), learner.time_zone)


def review_due_count(*, learner: Learner, now: datetime | None = None) -> int:
    return ReviewCard.objects.filter(learner=learner, due__lte=now or timezone.now()).count()


@dataclass
class DueSign:
    sign: Sign
    due: datetime
    reps: int
    passes: int
    attempts: int


@dataclass
class ReviewQueue:
    due: list[DueSign]
    upcoming: list[DueSign]  # the next cards to come due, soonest first

    @property
    def count(self) -> int:
        return len(self.due)


def review_queue(*, learner: Learner, now: datetime | None = None, upcoming: int = 5) -> ReviewQueue:
    """Due signs, most overdue first, and the next few coming up."""
    now = now or timezone.now()
    cards = ReviewCard.objects.filter(learner=learner).select_related("sign").order_by("due", "sign__index")
    records = {
        sp.sign_id: sp
        for sp in SignProgress.objects.filter(learner=learner).only("sign_id", "attempts", "passes")
    }

    def due_sign(card: ReviewCard) -> DueSign:
        sp = records.get(card.sign_id)
        return DueSign(
            sign=card.sign,
            due=card.due,
            reps=card.reps,
            passes=sp.passes if sp else 0,
            attempts=sp.attempts if sp else 0,
        )

    due = [due_sign(card) for card in cards.filter(due__lte=now)]
    later = [due_sign(card) for card in cards.filter(due__gt=now)[:upcoming]]
    return ReviewQueue(due=due, upcoming=later)


# --- Dashboard ----------------------------------------------------------------------------------
@dataclass
class DayCell:
    date: date
    xp: int
    attempts: int
    frozen: bool = False
    in_future: bool = False

    @property
    def intensity(self) -> int:
        """0-4 shade for the heatmap (0 = no practice)."""
        if not self.attempts:
            return 0
        return 1 + sum(self.xp >= threshold for threshold in (20, 50, 100))


@dataclass
class XpPoint:
    date: date
    xp: int
    total: int  # cumulative XP at the end of the day


@dataclass
class UnitRate:
    unit: Unit
    attempts: int
    passes: int
    signs_passed: int
    signs_total: int

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passes / self.attempts) if self.attempts else None


@dataclass
class WeakSign:
    sign: Sign
    attempts: int
    passes: int
    mean_rank: float  # a miss counts as rank 11
    best_rank: int | None

    @property
    def pass_rate(self) -> int:
        return round(100 * self.passes / self.attempts)


@dataclass
class BadgeView:
    code: str
    title: str
    description: str
    earned_at: datetime


@dataclass
class PhraseRecord:
    """A phrase the learner has tried: how often it passed and whether it is mastered."""

    phrase: Phrase
    attempts: int
    passes: int
    pass_days: int
    mastered: bool

    @property
    def status(self) -> rules.SignStatus:
        return rules.sign_status(attempts=self.attempts, mastered=self.mastered)


@dataclass
class DashboardHistory:
    """The history-derived part of the dashboard: only changes when progress does (cacheable)."""

    xp_series: list[XpPoint]
    calendar: list[list[DayCell]]  # weeks (Monday first) of days
    units: list[UnitRate]
    weakest: list[WeakSign]
    badges: list[BadgeView]
    signs_total: int
    phrases: list[PhraseRecord] = field(default_factory=list)
    phrases_total: int = 0

    @property
    def phrases_mastered(self) -> int:
        return sum(record.mastered for record in self.phrases)

    @property
    def xp_last_30(self) -> int:
        return sum(point.xp for point in self.xp_series)

    @property
    def active_days_in_calendar(self) -> int:
        return sum(1 for week in self.calendar for cell in week if cell.attempts)


@dataclass
class Dashboard:
    learner: Learner
    today: date
    level: rules.LevelInfo
    attempts: int
    passes: int
    streak: int  # as shown today
    streak_longest: int
    freezes: int
    practised_today: bool
    goal: rules.GoalProgress
    signs_mastered: int
    signs_learning: int
    signs_due: int
    recent: list[Attempt]
    version: str  # changes whenever the history part would: a cache key for it
    _progress: LearnerProgress = field(repr=False)
    _now: datetime = field(repr=False)

    @cached_property
    def history(self) -> DashboardHistory:
        """Loaded on first use, so a page whose history fragment is cached runs none of its queries."""
        return learner_dashboard_history(learner=self.learner, progress=self._progress, today=self.today)

    @property
    def signs_new(self) -> int:
        return self.history.signs_total - self.signs_mastered - self.signs_learning

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passes / self.attempts) if self.attempts else None

    # Shortcuts to the history part.
    xp_series = property(lambda self: self.history.xp_series)
    calendar = property(lambda self: self.history.calendar)
    units = property(lambda self: self.history.units)
    weakest = property(lambda self: self.history.weakest)
    badges = property(lambda self: self.history.badges)
    signs_total = property(lambda self: self.history.signs_total)
    phrases = property(lambda self: self.history.phrases)
    phrases_total = property(lambda self: self.history.phrases_total)
    phrases_mastered = property(lambda self: self.history.phrases_mastered)
    xp_last_30 = property(lambda self: self.history.xp_last_30)
    active_days_in_calendar = property(lambda self: self.history.active_days_in_calendar)


@dataclass
class _SignRecord:
    sign_id: int
    name: str
    index: int
    unit_id: int | None
    attempts: int
    passes: int
    rank_sum: int
    best_rank: int | None
    mastered_at: datetime | None


def learner_progress_get(*, learner: Learner) -> LearnerProgress:
    """The stored headline numbers, or zeros for a learner who has not practised yet (not saved)."""
    return LearnerProgress.objects.filter(learner=learner).first() or LearnerProgress(learner=learner)


def learner_dashboard(*, learner: Learner, now: datetime | None = None) -> Dashboard:
    """The parent dashboard in a fixed number of queries: 4 here, 5 more when `history` is used."""
    now = now or timezone.now()
    today = learner_today(learner=learner, now=now)
    progress = learner_progress_get(learner=learner)  # 1 query
    today_row = DailyActivity.objects.filter(learner=learner, date=today).only("xp").first()  # 1
    due = ReviewCard.objects.filter(learner=learner, due__lte=now).count()  # 1
    recent = list(
        Attempt.objects.filter(learner=learner)
        .select_related("sign", "phrase", "result")
        .order_by("-created_at", "-id")[:RECENT_ATTEMPTS]
    )  # 1
    updated = progress.updated_at.timestamp() if progress.updated_at else 0
    return Dashboard(
        learner=learner,
        today=today,
        level=rules.level_for_xp(progress.xp_total),
        attempts=progress.attempts,
        passes=progress.passes,
        streak=rules.streak_shown(
            current=progress.streak_current,
            freezes=progress.streak_freezes,
            last_active=progress.last_active_date,
            today=today,
        ),
        streak_longest=progress.streak_longest,
        freezes=progress.streak_freezes,
        practised_today=today_row is not None,
        goal=rules.goal_progress(xp_today=today_row.xp if today_row else 0, goal=learner.daily_xp_goal),
        signs_mastered=progress.signs_mastered,
        signs_learning=progress.signs_attempted - progress.signs_mastered,
        signs_due=due,
        recent=recent,
        version=f"{learner.pk}-{updated}-{today.isoformat()}",
        _progress=progress,
        _now=now,
    )


def learner_dashboard_history(
    *, learner: Learner, progress: LearnerProgress, today: date
) -> DashboardHistory:
    """XP over time, calendar, per-unit pass rates, weakest signs, badges and phrases (5 queries)."""
    calendar_start = today - timedelta(days=today.weekday() + 7 * (CALENDAR_WEEKS - 1))
    series_start = today - timedelta(days=XP_SERIES_DAYS - 1)
    days = {
        day: (xp, attempts)
        for day, xp, attempts in DailyActivity.objects.filter(
            learner=learner, date__gte=min(calendar_start, series_start)
        ).values_list("date", "xp", "attempts")
    }  # 1
    # Plain tuples, not model instances: up to 250 rows.
    records = [
        _SignRecord(*row)
        for row in SignProgress.objects.filter(learner=learner).values_list(
            "sign_id",
            "sign__name",
            "sign__index",
            "sign__lesson__unit_id",
            "attempts",
            "passes",
            "rank_sum",
            "best_rank",
            "mastered_at",
        )
    ]  # 1 query: at most one row per sign
    unit_totals = list(
        Unit.objects.order_by("course_id", "order").annotate(
            n_signs=Count("lessons__signs", distinct=True), n_phrases=Count("phrases", distinct=True)
        )
    )  # 1
    unit_titles = {unit.slug: unit.title for unit in unit_totals}
    badges = [
        BadgeView(b.code, *rules.badge_title(b.code, unit_titles), earned_at=b.earned_at)
        for b in Badge.objects.filter(learner=learner).order_by("-earned_at", "code")
    ]  # 1
    frozen = {date.fromisoformat(d) for d in progress.frozen_dates}
    return DashboardHistory(
        xp_series=_xp_series(days, start=series_start, today=today, xp_total=progress.xp_total),
        calendar=_calendar(days, start=calendar_start, today=today, frozen=frozen),
        units=_unit_rates(records, unit_totals),
        weakest=_weakest(records),
        badges=badges,
        signs_total=sum(unit.n_signs for unit in unit_totals),
        phrases=learner_phrase_records(learner=learner),  # 1
        phrases_total=sum(unit.n_phrases for unit in unit_totals),
    )


def _calendar(
    days: dict[date, tuple[int, int]], *, start: date, today: date, frozen: set[date]
) -> list[list[DayCell]]:
    """CALENDAR_WEEKS weeks of days from `start` (a Monday), each day's XP and attempts."""
    calendar = []
    for week in range(CALENDAR_WEEKS):
        cells = []
        for weekday in range(7):
            d = start + timedelta(days=7 * week + weekday)
            xp, attempts = days.get(d, (0, 0))
            cells.append(DayCell(date=d, xp=xp, attempts=attempts, frozen=d in frozen, in_future=d > today))
        calendar.append(cells)
    return calendar


def _xp_series(
    days: dict[date, tuple[int, int]], *, start: date, today: date, xp_total: int
) -> list[XpPoint]:
    """XP of each day of the last XP_SERIES_DAYS, with the running total (earlier XP included)."""
    window_xp = sum(xp for d, (xp, _) in days.items() if start <= d <= today)
    running = xp_total - window_xp  # XP earned before the window
    series = []
    for offset in range(XP_SERIES_DAYS):
        d = start + timedelta(days=offset)
        xp = days.get(d, (0, 0))[0]
        running += xp
        series.append(XpPoint(date=d, xp=xp, total=running))
    return series


def _unit_rates(records: list[_SignRecord], unit_totals: list[Unit]) -> list[UnitRate]:
    by_unit: dict[int, list[_SignRecord]] = {}
    for record in records:
        by_unit.setdefault(record.unit_id, []).append(record)
    return [
        UnitRate(
            unit=unit,
            attempts=sum(r.attempts for r in by_unit.get(unit.id, [])),
            passes=sum(r.passes for r in by_unit.get(unit.id, [])),
            signs_passed=sum(1 for r in by_unit.get(unit.id, []) if r.passes),
            signs_total=unit.n_signs,
        )
        for unit in unit_totals
    ]


def _weakest(records: list[_SignRecord]) -> list[WeakSign]:
    """The WEAKEST_SIGNS signs most worth practising (rules.weakness_key), mastered ones left out."""
    weak = sorted(
        (
            r
            for r in records
            if r.mastered_at is None
            and rules.sign_is_weak(attempts=r.attempts, passes=r.passes, rank_sum=r.rank_sum)
        ),
        key=lambda r: (
            rules.weakness_key(attempts=r.attempts, passes=r.passes, rank_sum=r.rank_sum),
            r.index,
        ),
    )
    return [
        WeakSign(
            sign=Sign(pk=r.sign_id, name=r.name, index=r.index),
            attempts=r.attempts,
            passes=r.passes,
            mean_rank=r.rank_sum / r.attempts,
            best_rank=r.best_rank,
        )
        for r in weak[:WEAKEST_SIGNS]
    ]


def learner_phrase_records(*, learner: Learner) -> list[PhraseRecord]:
    """The phrases the learner has tried, in course order (one query)."""
    rows = (
        PhraseProgress.objects.filter(learner=learner)
        .select_related("phrase")
        .order_by("phrase__unit__order", "phrase__order")
    )
    return [
        PhraseRecord(
            phrase=row.phrase,
            attempts=row.attempts,
            passes=row.passes,
            pass_days=len(row.pass_days),
            mastered=row.mastered_at is not None,
        )
        for row in rows
    ]


# --- Family overview ----------------------------------------------------------------------------
@dataclass
class FamilyMember:
    learner: Learner
    level: rules.LevelInfo
    streak: int
    goal: rules.GoalProgress
    signs_passed: int
    signs_mastered: int
    due: int
    xp_week: int  # XP in the last 7 local days including today
    last_active: date | None


def family_overview(*, user: AbstractBaseUser, now: datetime | None = None) -> list[FamilyMember]:
    """One line per learner profile of the account, in three queries whatever the history."""
    now = now or timezone.now()
    learners = list(user.learners.select_related("progress").order_by("created_at", "id"))
    if not learners:
        return []
    todays = {learner.pk: learner_today(learner=learner, now=now) for learner in learners}
    week_rows = DailyActivity.objects.filter(
        learner__in=learners, date__gte=min(todays.values()) - timedelta(days=6)
    ).only("learner_id", "date", "xp")
    week_xp: dict[int, int] = {}
    today_xp: dict[int, int] = {}
    for row in week_rows:
        today = todays[row.learner_id]
        if today - timedelta(days=6) <= row.date <= today:
            week_xp[row.learner_id] = week_xp.get(row.learner_id, 0) + row.xp
        if row.date == today:
            today_xp[row.learner_id] = row.xp
    due = dict(
        ReviewCard.objects.filter(learner__in=learners, due__lte=now)
        .values("learner_id")
        .annotate(n=Count("pk"))
        .values_list("learner_id", "n")
    )
    members = []
    for learner in learners:
        progress = getattr(learner, "progress", None) or LearnerProgress(learner=learner)
        members.append(
            FamilyMember(
                learner=learner,
                level=rules.level_for_xp(progress.xp_total),
                streak=rules.streak_shown(
                    current=progress.streak_current,
                    freezes=progress.streak_freezes,
                    last_active=progress.last_active_date,
                    today=todays[learner.pk],
                ),
                goal=rules.goal_progress(xp_today=today_xp.get(learner.pk, 0), goal=learner.daily_xp_goal),
                signs_passed=progress.signs_passed,
                signs_mastered=progress.signs_mastered,
                due=due.get(learner.pk, 0),
                xp_week=week_xp.get(learner.pk, 0),
                last_active=progress.last_active_date,
            )
        )
    return members


def account_review_due_count(*, user: AbstractBaseUser, now: datetime | None = None) -> int:
    """Due signs of the account's selected learner, in one query (for the navigation bar)."""
    return ReviewCard.objects.filter(
        learner__user=user, learner__is_selected=True, due__lte=now or timezone.now()
    ).count()
