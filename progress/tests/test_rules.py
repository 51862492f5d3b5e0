from datetime import UTC, datetime, timedelta
from datetime import date as D
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card, State

from progress.rules import (
    ActiveDay,
    BadgeFacts,
    LessonState,
    badges_earned,
    card_review,
    goal_progress,
    is_mastery_pass,
    lesson_is_complete,
    lesson_states,
    level_for_xp,
    local_date,
    outcome_for_rank,
    perfect_lesson_count,
    review_rating,
    sign_is_mastered,
    streak_current,
    streak_fold,
    units_completed,
    weakness_key,
    xp_for_level,
)

L, U, C = LessonState.LOCKED, LessonState.UNLOCKED, LessonState.COMPLETED


@pytest.mark.parametrize(
    ("rank", "xp", "rating"),
    [
        (1, 20, "Easy"),
        (2, 15, "Good"),
        (3, 15, "Good"),
        (4, 10, "Hard"),
        (10, 10, "Hard"),
        (None, 2, "Again"),
        (11, 2, "Again"),
    ],
)
def test_outcome_for_rank_follows_the_design_table(rank, xp, rating):
    outcome = outcome_for_rank(rank)
    assert (outcome.xp, outcome.rating) == (xp, rating)


def test_rank_zero_is_a_bug_not_a_grade():
    with pytest.raises(ValueError):
        outcome_for_rank(0)


@pytest.mark.parametrize(
    ("lessons", "passed", "expected"),
    [
        ([[1, 2], [3], [4]], set(), [U, L, L]),
        ([[1, 2], [3], [4]], {1}, [U, L, L]),
        ([[1, 2], [3], [4]], {1, 2}, [C, U, L]),
        ([[1, 2], [3], [4]], {1, 2, 3}, [C, C, U]),
        ([[1, 2], [3], [4]], {1, 2, 3, 4}, [C, C, C]),
        # Completed later lesson stays completed even when an earlier one is not (curriculum re-ordered).
        ([[1, 2], [3], [4]], {3}, [U, C, U]),
        ([[1], [], [2]], {1}, [C, U, L]),
        ([], set(), []),
    ],
)
def test_lesson_states_unlock_in_order(lessons, passed, expected):
    assert lesson_states(lessons, passed) == expected


@pytest.mark.parametrize(
    ("signs", "passed", "complete"),
    [([1, 2], {1, 2}, True), ([1, 2], {1}, False), ([], {1}, False), ([5], {5, 6}, True)],
)
def test_lesson_is_complete_needs_every_sign_passed(signs, passed, complete):
    assert lesson_is_complete(signs, passed) is complete


# --- XP, levels, daily goal -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xp", "level", "start", "next_at", "percent"),
    [
        (0, 1, 0, 100, 0),
        (99, 1, 0, 100, 99),
        (100, 2, 100, 250, 0),
        (249, 2, 100, 250, 99),
        (250, 3, 250, 450, 0),
        (450, 4, 450, 700, 0),
        (700, 5, 700, 1000, 0),
        (1000, 6, 1000, 1350, 0),
    ],
)
def test_levels_need_100_then_50_more_xp_each(xp, level, start, next_at, percent):
    info = level_for_xp(xp)
    assert (info.level, info.level_start_xp, info.next_level_xp, info.percent) == (
        level,
        start,
        next_at,
        percent,
    )
    assert info.xp_to_next == next_at - xp


def test_negative_xp_and_level_zero_are_bugs():
    with pytest.raises(ValueError):
        level_for_xp(-1)
    with pytest.raises(ValueError):
        xp_for_level(0)


@pytest.mark.parametrize(
    ("xp", "goal", "met", "percent"),
    [(0, 50, False, 0), (49, 50, False, 98), (50, 50, True, 100), (120, 50, True, 100), (10, 0, True, 100)],
)
def test_daily_goal(xp, goal, met, percent):
    progress = goal_progress(xp_today=xp, goal=goal)
    assert (progress.met, progress.percent) == (met, percent)


# --- Mastery ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "counts"), [(1, True), (2, True), (3, True), (4, False), (10, False), (None, False)]
)
def test_mastery_passes_are_rank_three_or_better(rank, counts):
    assert is_mastery_pass(rank) is counts


@pytest.mark.parametrize(
    ("days", "mastered"),
    [
        ([], False),
        ([D(2024, 5, 1)] * 5, False),  # five good passes on one day are still one day
        ([D(2024, 5, 1), D(2024, 5, 2)], False),
        ([D(2024, 5, 1), D(2024, 5, 2), D(2024, 5, 2), D(2024, 6, 30)], True),
    ],
)
def test_mastery_needs_three_different_days(days, mastered):
    assert sign_is_mastered(days) is mastered


# --- Local days: midnight and DST ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        ("2024-03-10T04:59:00+00:00", "America/New_York", D(2024, 3, 9)),  # 23:59 EST
        ("2024-03-10T05:00:00+00:00", "America/New_York", D(2024, 3, 10)),  # midnight EST
        # After the spring-forward the offset is -4: a fixed -5 would still say March 10.
        ("2024-03-11T04:00:00+00:00", "America/New_York", D(2024, 3, 11)),
        ("2024-03-11T03:59:00+00:00", "America/New_York", D(2024, 3, 10)),
        # Fall back: back to -5, so 04:30 UTC is still the 3rd.
        ("2024-11-04T04:30:00+00:00", "America/New_York", D(2024, 11, 3)),
        ("2024-11-04T05:00:00+00:00", "America/New_York", D(2024, 11, 4)),
        ("2024-03-31T23:30:00+00:00", "Europe/London", D(2024, 4, 1)),  # 00:30 BST
        ("2024-01-31T23:30:00+00:00", "Europe/London", D(2024, 1, 31)),  # 23:30 GMT
        (
            "2024-04-06T13:15:00+00:00",
            "Australia/Lord_Howe",
            D(2024, 4, 7),
        ),  # +11 before its half-hour DST ends
        ("2024-04-07T13:15:00+00:00", "Australia/Lord_Howe", D(2024, 4, 7)),  # +10:30 after: 23:45
        ("2024-05-01T10:00:00+00:00", "Pacific/Kiritimati", D(2024, 5, 2)),  # +14
        ("2024-05-01T10:00:00+00:00", "Pacific/Pago_Pago", D(2024, 4, 30)),  # -11
    ],
)
def test_local_date_follows_the_zone_and_its_dst_rules(instant, zone, expected):
    assert local_date(datetime.fromisoformat(instant), zone) == expected


def test_local_date_refuses_naive_instants():
    with pytest.raises(ValueError):
        local_date(datetime(2024, 5, 1, 12), "UTC")


# --- Streaks ------------------------------------------------------------------------------------


def day(iso: str, zone: str = "UTC", hour: int = 12) -> ActiveDay:
    """An active day practised at `hour` local time."""
    d = D.fromisoformat(iso)
    at = datetime(d.year, d.month, d.day, hour, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return ActiveDay(date=d, time_zone=zone, first_at=at, last_at=at)


def run(first: str, n: int) -> list[ActiveDay]:
    start = D.fromisoformat(first)
    return [day((start + timedelta(days=i)).isoformat()) for i in range(n)]


def days_from(instants: list[str], zone: str) -> list[ActiveDay]:
    """Group attempt instants into active days as the DailyActivity rows do."""
    grouped: dict = {}
    for text in instants:
        at = datetime.fromisoformat(text)
        d = local_date(at, zone)
        first, last = grouped.get(d, (at, at))
        grouped[d] = (min(first, at), max(last, at))
    return [ActiveDay(date=d, time_zone=zone, first_at=f, last_at=la) for d, (f, la) in grouped.items()]


@pytest.mark.parametrize(
    ("days", "current", "longest", "freezes", "frozen"),
    [
        ([], 0, 0, 0, []),
        (run("2024-05-01", 1), 1, 1, 0, []),
        (run("2024-05-01", 3), 3, 3, 0, []),
        (run("2024-05-01", 2) + run("2024-05-04", 1), 1, 2, 0, []),  # May 3 missed, no freeze yet
        (run("2024-05-01", 6), 6, 6, 0, []),
        (run("2024-05-01", 7), 7, 7, 1, []),  # a 7-day streak earns one freeze
        (run("2024-05-01", 7) + run("2024-05-09", 1), 8, 8, 0, ["2024-05-08"]),  # the freeze covers May 8
        (
            run("2024-05-01", 7) + run("2024-05-10", 1),
            1,
            7,
            1,
            [],
        ),  # two missed days: one freeze is not enough
        (run("2024-05-01", 14), 14, 14, 2, []),
        (run("2024-05-01", 21), 21, 21, 2, []),  # at most two freezes held
        (run("2024-05-01", 14) + run("2024-05-17", 1), 15, 15, 0, ["2024-05-15", "2024-05-16"]),
        # Frozen days keep the streak but do not count: 7 + freeze + 6 = 13, the 14th earns a freeze again.
        (run("2024-05-01", 7) + run("2024-05-09", 7), 14, 14, 1, ["2024-05-08"]),
        (list(reversed(run("2024-05-01", 3))), 3, 3, 0, []),  # order of the input does not matter
    ],
)
def test_streak_over_active_days(days, current, longest, freezes, frozen):
    state = streak_fold(days)
    assert (state.current, state.longest, state.freezes) == (current, longest, freezes)
    assert [d.isoformat() for d in state.frozen_dates] == frozen


@pytest.mark.parametrize(
    ("days", "today", "shown"),
    [
        ([], "2024-05-01", 0),
        (run("2024-05-01", 3), "2024-05-03", 3),  # practised today
        (run("2024-05-01", 3), "2024-05-04", 3),  # not yet today: still alive
        (run("2024-05-01", 3), "2024-05-05", 0),  # a day missed without a freeze
        (run("2024-05-01", 7), "2024-05-09", 7),  # May 8 missed, the freeze will cover it
        (run("2024-05-01", 7), "2024-05-10", 0),  # two missed, one freeze
        (run("2024-05-01", 14), "2024-05-17", 14),  # two missed, two freezes
    ],
)
def test_streak_shown_today(days, today, shown):
    assert streak_current(streak_fold(days), D.fromisoformat(today)) == shown


@pytest.mark.parametrize(
    ("instants", "zone", "current"),
    [
        # 23:59 and 00:01 local are two days.
        (["2024-05-01T23:59:00+00:00", "2024-05-02T00:01:00+00:00"], "UTC", 2),
        # 23:30 and 01:30 UTC are the same evening in New York (19:30, 21:30 EDT).
        (["2024-05-01T23:30:00+00:00", "2024-05-02T01:30:00+00:00"], "America/New_York", 1),
        # Every evening at 23:30 New York time across the spring-forward night: three days.
        (
            ["2024-03-09T04:30:00+00:00", "2024-03-10T04:30:00+00:00", "2024-03-11T03:30:00+00:00"],
            "America/New_York",
            3,
        ),
        # 23:30 EST on the 9th, then 04:30 UTC on the 11th is 00:30 EDT on the 11th: the 10th was missed.
        (["2024-03-10T04:30:00+00:00", "2024-03-11T04:30:00+00:00"], "America/New_York", 1),
        # Same UTC clock at the fall-back: 23:30 EDT on Nov 2, 23:30 EST on Nov 3.
        (["2024-11-03T03:30:00+00:00", "2024-11-04T04:30:00+00:00"], "America/New_York", 2),
    ],
)
def test_streak_days_are_local_days(instants, zone, current):
    assert streak_fold(days_from(instants, zone)).current == current


def test_travel_east_across_the_date_line_does_not_break_the_streak():
    # Monday 20:00 in London, then Wednesday 07:00 in Tokyo = Tuesday 23:00 in London.
    monday = day("2024-05-06", "Europe/London", hour=20)
    wednesday = day("2024-05-08", "Asia/Tokyo", hour=7)
    assert streak_fold([monday, wednesday]).current == 2


def test_travel_west_repeating_a_date_counts_it_once():
    # Monday 21:00 in Tokyo, then Monday 18:00 in Los Angeles (a later instant, the same date).
    tokyo = day("2024-05-06", "Asia/Tokyo", hour=21)
    los_angeles = day("2024-05-06", "America/Los_Angeles", hour=18)
    tuesday = day("2024-05-07", "America/Los_Angeles", hour=9)
    assert streak_fold([tokyo, los_angeles, tuesday]).current == 2


def test_travel_does_not_hide_a_really_missed_day():
    # Monday 08:00 London, then Wednesday 23:00 Tokyo = Wednesday 15:00 London: Tuesday was missed.
    monday = day("2024-05-06", "Europe/London", hour=8)
    wednesday = day("2024-05-08", "Asia/Tokyo", hour=23)
    assert streak_fold([monday, wednesday]).current == 1


# --- Badges -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "codes"),
    [
        (BadgeFacts(), set()),
        (BadgeFacts(signs_passed=1), {"first-sign"}),
        (BadgeFacts(signs_passed=9), {"first-sign"}),
        (BadgeFacts(signs_passed=10), {"first-sign", "signs-10"}),
        (BadgeFacts(signs_passed=100), {"first-sign", "signs-10", "signs-50", "signs-100"}),
        (BadgeFacts(signs_passed=250), {"first-sign", "signs-10", "signs-50", "signs-100", "signs-250"}),
        (BadgeFacts(longest_streak=6), set()),
        (BadgeFacts(longest_streak=7), {"streak-7"}),
        (BadgeFacts(longest_streak=30), {"streak-7", "streak-30"}),
        (BadgeFacts(completed_units=frozenset({"first-words"})), {"unit-first-words"}),
        (BadgeFacts(perfect_lessons=2), {"perfect-lesson"}),
        (BadgeFacts(reviews=1), {"first-review"}),
    ],
)
def test_badges(facts, codes):
    assert badges_earned(facts) == codes


def test_units_completed_and_perfect_lessons():
    units = {"a": [1, 2, 3], "b": [4], "empty": []}
    assert units_completed(units, {1, 2, 3}) == {"a"}
    assert units_completed(units, {1, 2, 4}) == {"b"}
    assert perfect_lesson_count([[1, 2], [3], [4, 5]], {1, 2, 3, 4}) == 2


def test_weakest_signs_sort_by_pass_rate_then_mean_rank():
    records = {
        "never": weakness_key(attempts=4, passes=0, rank_sum=44),
        "half_bad_rank": weakness_key(attempts=2, passes=1, rank_sum=11 + 9),
        "half_good_rank": weakness_key(attempts=2, passes=1, rank_sum=11 + 1),
        "always": weakness_key(attempts=3, passes=3, rank_sum=3),
        "never_once": weakness_key(attempts=1, passes=0, rank_sum=11),
    }
    assert sorted(records, key=records.get) == [
        "never",
        "never_once",
        "half_bad_rank",
        "half_good_rank",
        "always",
    ]


# --- FSRS schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rank", "rating"), [(1, "Easy"), (2, "Good"), (3, "Good"), (4, "Hard"), (None, "Again")]
)
def test_review_rating_comes_from_the_rank(rank, rating):
    assert review_rating(rank).name == rating


def test_fsrs_schedule_for_a_fixed_series_of_ranks():
    """Each attempt made when the card is due; learning steps 1 and 10 minutes, retention 0.9."""
    t = datetime(2024, 5, 1, 9, tzinfo=UTC)
    card = Card(card_id=1, due=t)
    seen = []
    for rank in [None, 5, 2, 2, 1, None, 3]:
        at = card.due
        card = card_review(card, rank=rank, at=at)
        seen.append((card.state, card.step, card.due - at))

    minute, day_ = timedelta(minutes=1), timedelta(days=1)
    assert seen[0] == (State.Learning, 0, minute)  # Again: back to the first step
    assert seen[1] == (State.Learning, 0, 5.5 * minute)  # Hard on step 0: between the two steps
    assert seen[2] == (State.Learning, 1, 10 * minute)  # Good: next step
    assert seen[3] == (State.Review, None, day_)  # Good on the last step: graduates, S ~0.28 -> 1 day
    state, step, interval = seen[4]  # Easy one day later: a much longer interval
    assert (state, step) == (State.Review, None) and interval >= 3 * day_
    assert seen[5] == (State.Relearning, 0, 10 * minute)  # Again in review: a lapse, relearn in 10 min
    state, step, interval = seen[6]
    assert (state, step) == (State.Review, None) and day_ <= interval < seen[4][2]


def test_first_attempt_schedules_by_initial_stability():
    t = datetime(2024, 5, 1, 9, tzinfo=UTC)
    easy = card_review(Card(card_id=1, due=t), rank=1, at=t)
    # Easy on a new card: initial stability w[3] = 8.2956 days; at 90 % retention interval = S -> 8 days.
    assert (easy.state, easy.due - t) == (State.Review, timedelta(days=8))
    good = card_review(Card(card_id=1, due=t), rank=2, at=t)
    assert (good.state, good.step, good.due - t) == (State.Learning, 1, timedelta(minutes=10))


@pytest.mark.parametrize(
    ("signs", "taught", "required"),
    [
        ([1, 2, 3], {1, 2, 3}, [1, 2, 3]),
        ([1, 2, 3], {1, 3, 9}, [1, 3]),  # sign 2 has no tutorial video: nobody can learn it here
        ([1, 2], set(), [1, 2]),  # no video at all yet (fresh install): every sign counts
        ([], {1}, []),
    ],
)
def test_a_sign_without_a_tutorial_video_is_not_required(signs, taught, required):
    from progress.rules import required_signs

    assert required_signs(signs, taught) == required
