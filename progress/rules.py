"""The rule book: pure functions of stored events, so progress can be recomputed from history.

DESIGN §4. Everything here is plain Python on plain values; tests are tables of cases.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fsrs import Card, Rating, Scheduler

from ml.grading import MISSED_RANK as MISS_RANK  # noqa: F401  (progress.services averages with it)
from ml.grading import TOP_K


class LessonState(StrEnum):
    LOCKED = "locked"
    UNLOCKED = "unlocked"
    COMPLETED = "completed"


@dataclass(frozen=True)
class RankOutcome:
    xp: int
    rating: str  # FSRS rating name: Again, Hard, Good, Easy


# (highest rank included, outcome), checked in order; rank None = not in the top-10.
RANK_TABLE: tuple[tuple[int, RankOutcome], ...] = (
    (1, RankOutcome(xp=20, rating="Easy")),
    (3, RankOutcome(xp=15, rating="Good")),
    (10, RankOutcome(xp=10, rating="Hard")),
)
EFFORT_OUTCOME = RankOutcome(xp=2, rating="Again")


def outcome_for_rank(rank: int | None) -> RankOutcome:
    """XP and review rating for the rank of the intended sign in the top-10 (None = not in it)."""
    if rank is None:
        return EFFORT_OUTCOME
    if rank < 1:
        raise ValueError(f"rank must be 1 or more, got {rank}")
    for highest, outcome in RANK_TABLE:
        if rank <= highest:
            return outcome
    return EFFORT_OUTCOME


def is_pass(rank: int | None) -> bool:
    return rank is not None and 1 <= rank <= TOP_K


def required_signs(sign_ids: Sequence[int], taught_sign_ids: set[int]) -> list[int]:
    """The signs a lesson (or unit) needs passed: those it can teach, i.e. that have a tutorial video.

    A parent cannot learn a sign nobody shows them, so such a sign never holds back the course; while
    none of the signs has a video yet (a fresh install), all of them count.
    """
    taught = [sign_id for sign_id in sign_ids if sign_id in taught_sign_ids]
    return taught or list(sign_ids)


def lesson_is_complete(lesson_sign_ids: Sequence[int], passed_sign_ids: set[int]) -> bool:
    """A lesson is complete when each of its signs has passed at least once (an empty lesson never is)."""
    return bool(lesson_sign_ids) and all(sign_id in passed_sign_ids for sign_id in lesson_sign_ids)


def lesson_states(lessons: Sequence[Sequence[int]], passed_sign_ids: set[int]) -> list[LessonState]:
    """State of each lesson in course order, given each lesson's sign ids.

    The first lesson is always open; completing a lesson unlocks the next one. A completed lesson
    stays completed even if an earlier one is not (e.g. after the curriculum was re-ordered).
    """
    states: list[LessonState] = []
    previous_complete = True
    for sign_ids in lessons:
        complete = lesson_is_complete(sign_ids, passed_sign_ids)
        if complete:
            states.append(LessonState.COMPLETED)
        elif previous_complete:
            states.append(LessonState.UNLOCKED)
        else:
            states.append(LessonState.LOCKED)
        previous_complete = complete
    return states


MASTERY_MAX_RANK = 3
MASTERY_DAYS = 3


def is_mastery_pass(rank: int | None) -> bool:
    """A pass that counts towards mastery: rank 1-3 (DESIGN §4)."""
    return rank is not None and 1 <= rank <= MASTERY_MAX_RANK


def sign_is_mastered(mastery_days: Iterable[date]) -> bool:
    """Mastered after passes at rank <= 3 on three different local days."""
    return len(set(mastery_days)) >= MASTERY_DAYS


class SignStatus(StrEnum):
    NEW = "new"
    LEARNING = "learning"
    MASTERED = "mastered"


def sign_status(*, attempts: int, mastered: bool) -> SignStatus:
    if mastered:
        return SignStatus.MASTERED
    return SignStatus.LEARNING if attempts else SignStatus.NEW


# --- XP and levels ------------------------------------------------------------------------------
# Reaching level n+1 from level n costs LEVEL_BASE_XP + LEVEL_STEP_XP * (n - 1): 100, 150, 200, ...
# so early levels come quickly (a few days of practice) and later ones keep meaning something.
LEVEL_BASE_XP = 100
LEVEL_STEP_XP = 50


@dataclass(frozen=True)
class LevelInfo:
    level: int
    xp_total: int
    level_start_xp: int  # total XP at which this level began
    next_level_xp: int  # total XP at which the next level begins

    @property
    def xp_into_level(self) -> int:
        return self.xp_total - self.level_start_xp

    @property
    def xp_to_next(self) -> int:
        return self.next_level_xp - self.xp_total

    @property
    def percent(self) -> int:
        return int(100 * self.xp_into_level / (self.next_level_xp - self.level_start_xp))


def xp_for_level(level: int) -> int:
    """Total XP needed to reach `level` (level 1 needs none)."""
    if level < 1:
        raise ValueError(f"levels start at 1, got {level}")
    steps = level - 1
    return LEVEL_BASE_XP * steps + LEVEL_STEP_XP * steps * (steps - 1) // 2


def level_for_xp(xp_total: int) -> LevelInfo:
    if xp_total < 0:
        raise ValueError(f"XP cannot be negative, got {xp_total}")
    level = 1
    while xp_for_level(level + 1) <= xp_total:
        level += 1
    return LevelInfo(
        level=level,
        xp_total=xp_total,
        level_start_xp=xp_for_level(level),
        next_level_xp=xp_for_level(level + 1),
    )


# --- Daily goal ---------------------------------------------------------------------------------
DEFAULT_DAILY_XP_GOAL = 50


@dataclass(frozen=True)
class GoalProgress:
    xp: int
    goal: int

    @property
    def met(self) -> bool:
        return self.xp >= self.goal

    @property
    def percent(self) -> int:
        """Share of the goal reached, 0-100 (a goal of 0 counts as met)."""
        if self.goal <= 0:
            return 100
        return min(100, int(100 * self.xp / self.goal))


def goal_progress(*, xp_today: int, goal: int) -> GoalProgress:
    return GoalProgress(xp=xp_today, goal=goal)


# --- Streaks ------------------------------------------------------------------------------------
# A streak counts consecutive local days with at least one graded attempt. The day of an attempt is
# its date in the zone the learner was in when practising, so a later move does not rewrite history.
FREEZE_EVERY_DAYS = 7  # one streak freeze earned each time the streak reaches a multiple of this
MAX_FREEZES = 2  # freezes held at most (as in most streak apps: a safety net, not a bank)


def local_date(instant: datetime, time_zone: str) -> date:
    """Calendar date of an aware instant in a time zone (DST-correct via the tz database)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


@dataclass(frozen=True)
class ActiveDay:
    """A local day with practice: its date, the zone it was counted in, first and last attempt."""

    date: date
    time_zone: str
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class StreakState:
    current: int = 0  # streak length ending at last_day (frozen days keep it but do not count)
    longest: int = 0
    freezes: int = 0  # freezes available
    freezes_used: int = 0
    last_day: ActiveDay | None = None
    frozen_dates: tuple[date, ...] = ()


def days_apart(previous: ActiveDay, day: ActiveDay) -> int:
    """Calendar days from `previous` to `day`, forgiving travel.

    Flying east across many zones can skip a local date although no day was really missed; two days
    count as consecutive if they are consecutive in either of the two zones involved.
    """
    gap = (day.date - previous.date).days
    if previous.time_zone == day.time_zone:
        return gap
    in_previous_zone = (local_date(day.first_at, previous.time_zone) - previous.date).days
    in_new_zone = (day.date - local_date(previous.last_at, day.time_zone)).days
    return min(gap, max(in_previous_zone, 1), max(in_new_zone, 1))


def streak_step(state: StreakState, day: ActiveDay) -> StreakState:
    """The streak after one more active day (days must come in date order)."""
    previous = state.last_day
    if previous is not None and day.date <= previous.date:
        return state  # same day again (or travelled back across the date line): nothing new
    current, freezes, used, frozen = 1, state.freezes, state.freezes_used, state.frozen_dates
    if previous is not None:
        gap = days_apart(previous, day)
        missed = gap - 1
        if missed <= 0:
            current = state.current + 1
        elif missed <= freezes:
            current = state.current + 1
            freezes -= missed
            used += missed
            frozen = frozen + tuple(previous.date + timedelta(days=i) for i in range(1, missed + 1))
        else:
            current = 1
    if current % FREEZE_EVERY_DAYS == 0:
        freezes = min(MAX_FREEZES, freezes + 1)
    return StreakState(
        current=current,
        longest=max(state.longest, current),
        freezes=freezes,
        freezes_used=used,
        last_day=day,
        frozen_dates=frozen,
    )


def streak_fold(days: Iterable[ActiveDay]) -> StreakState:
    """Streak from the whole history of active days."""
    state = StreakState()
    for day in sorted(days, key=lambda d: (d.date, d.first_at)):
        state = streak_step(state, day)
    return state


def streak_shown(*, current: int, freezes: int, last_active: date | None, today: date) -> int:
    """The streak to show on `today` (learner's local date): alive while the gap can still be bridged.

    A streak is not lost until a day is really missed: yesterday's streak still shows today (practise
    to extend it), and missed days are covered by the freezes held.
    """
    if last_active is None:
        return 0
    missed = (today - last_active).days - 1
    return current if missed <= freezes else 0


def streak_current(state: StreakState, today: date) -> int:
    last_active = state.last_day.date if state.last_day else None
    return streak_shown(current=state.current, freezes=state.freezes, last_active=last_active, today=today)


# --- Badges -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadgeFacts:
    signs_passed: int = 0
    longest_streak: int = 0
    completed_units: frozenset[str] = frozenset()  # unit slugs
    perfect_lessons: int = 0
    reviews: int = 0


SIGNS_PASSED_BADGES = (
    (1, "first-sign"),
    (10, "signs-10"),
    (50, "signs-50"),
    (100, "signs-100"),
    (250, "signs-250"),
)
STREAK_BADGES = ((7, "streak-7"), (30, "streak-30"))
UNIT_BADGE_PREFIX = "unit-"

BADGE_TITLES = {
    "first-sign": ("First sign", "Passed your very first sign."),
    "signs-10": ("10 signs", "Passed 10 different signs."),
    "signs-50": ("50 signs", "Passed 50 different signs."),
    "signs-100": ("100 signs", "Passed 100 different signs."),
    "signs-250": ("All 250 signs", "Passed every sign in the course."),
    "streak-7": ("7-day streak", "Practised seven days in a row."),
    "streak-30": ("30-day streak", "Practised thirty days in a row."),
    "perfect-lesson": ("Perfect lesson", "Passed every sign of a lesson on the first try."),
    "first-review": ("First review", "Finished your first spaced review."),
}


def badge_title(code: str, unit_titles: dict[str, str] | None = None) -> tuple[str, str]:
    if code.startswith(UNIT_BADGE_PREFIX):
        title = (unit_titles or {}).get(
            code.removeprefix(UNIT_BADGE_PREFIX), code.removeprefix(UNIT_BADGE_PREFIX)
        )
        return (f"Unit done: {title}", f"Passed every sign in the unit {title}.")
    return BADGE_TITLES.get(code, (code, ""))


def badges_earned(facts: BadgeFacts) -> set[str]:
    """Badge codes the facts qualify for (badges are never taken away, so callers only add)."""
    codes = {code for threshold, code in SIGNS_PASSED_BADGES if facts.signs_passed >= threshold}
    codes |= {code for threshold, code in STREAK_BADGES if facts.longest_streak >= threshold}
    codes |= {UNIT_BADGE_PREFIX + slug for slug in facts.completed_units}
    if facts.perfect_lessons:
        codes.add("perfect-lesson")
    if facts.reviews:
        codes.add("first-review")
    return codes


def units_completed(unit_sign_ids: dict[str, Sequence[int]], passed_sign_ids: set[int]) -> frozenset[str]:
    """Slugs of units whose every sign has passed (an empty unit never counts)."""
    return frozenset(slug for slug, ids in unit_sign_ids.items() if lesson_is_complete(ids, passed_sign_ids))


def perfect_lesson_count(lessons: Sequence[Sequence[int]], first_try_passed_ids: set[int]) -> int:
    """Lessons whose every sign passed on the learner's first attempt at it."""
    return sum(lesson_is_complete(ids, first_try_passed_ids) for ids in lessons)


# --- Weakest signs ------------------------------------------------------------------------------
def weakness_key(*, attempts: int, passes: int, rank_sum: int) -> tuple[float, float, int]:
    """Sort key, weakest first: lowest pass rate, then worst mean rank (a miss counts as rank 11),
    then the most attempts (more evidence that the sign is hard)."""
    if not attempts:
        return (1.0, 0.0, 0)
    return (passes / attempts, -(rank_sum / attempts), -attempts)


def sign_is_weak(*, attempts: int, passes: int, rank_sum: int) -> bool:
    """Worth practising: some attempt missed, or the mean rank is worse than mastery needs."""
    return attempts > 0 and (passes < attempts or rank_sum / attempts > MASTERY_MAX_RANK)


# --- Spaced review (FSRS) -----------------------------------------------------------------------
# Fuzzing off: the same history always yields the same schedule, so recompute equals incremental.
SCHEDULER = Scheduler(enable_fuzzing=False)


def review_rating(rank: int | None) -> Rating:
    return Rating[outcome_for_rank(rank).rating]


def card_review(card: Card, *, rank: int | None, at: datetime) -> Card:
    """The card after one graded attempt at its sign at `at` (any aware instant)."""
    reviewed, _log = SCHEDULER.review_card(card, review_rating(rank), review_datetime=at.astimezone(UTC))
    return reviewed


# --- Phrases ------------------------------------------------------------------------------------
# A phrase attempt grades 2-4 signs in one clip; each verdict is {"sign", "rank", ...} where rank is the
# sign's rank among all signs in its own span of the clip (1-250), in signing order.
PHRASE_PASS_BONUS_XP = 10  # on top of each sign's XP, when every sign was found: fluency is the point


def phrase_sign_rank(rank: int | None) -> int | None:
    """A phrase sign's rank as a single-sign review counts it: 1-10, or None (not in its top-10)."""
    return rank if rank is not None and 1 <= rank <= TOP_K else None


def phrase_passed(verdicts: Sequence[dict]) -> bool:
    """Passed when every sign is in its span's top-10 (the alignment keeps them in order)."""
    return bool(verdicts) and all(phrase_sign_rank(v["rank"]) is not None for v in verdicts)


def phrase_xp(verdicts: Sequence[dict]) -> int:
    """Each sign's XP as if practised alone, plus PHRASE_PASS_BONUS_XP when the phrase passed."""
    xp = sum(outcome_for_rank(phrase_sign_rank(v["rank"])).xp for v in verdicts)
    return xp + (PHRASE_PASS_BONUS_XP if phrase_passed(verdicts) else 0)


def phrase_sign_reviews(verdicts: Sequence[dict]) -> list[tuple[str, int | None]]:
    """(sign, rank) once per distinct sign, in first-signed order: one review of each of its signs.

    A sign signed twice in the phrase ("DAD ... DAD") is still one review, at its worse rank (a miss
    anywhere is a miss), so a phrase never counts a sign twice.
    """
    reviews: dict[str, int | None] = {}
    for verdict in verdicts:
        rank = phrase_sign_rank(verdict["rank"])
        if verdict["sign"] not in reviews:
            reviews[verdict["sign"]] = rank
        else:
            earlier = reviews[verdict["sign"]]
            reviews[verdict["sign"]] = None if rank is None or earlier is None else max(earlier, rank)
    return list(reviews.items())


def phrase_is_mastered(pass_days: Iterable[date]) -> bool:
    """A phrase is mastered once passed on MASTERY_DAYS different local days (as signs need)."""
    return len(set(pass_days)) >= MASTERY_DAYS
