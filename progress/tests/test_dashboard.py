"""Dashboard figures against a hand-computed history, and query counts independent of its length."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import Sign
from progress.selectors import family_overview, learner_dashboard, review_queue

from .history import attempt_graded, utc

pytestmark = pytest.mark.django_db

NOW = utc(2024, 5, 10, 12)  # a Friday


@pytest.fixture
def three_days(curriculum, hamlet):
    """May 8-10, 09:00 UTC. Hand-computed XP: 22, 17, 45 = 84."""
    hello, bye, please = (Sign.objects.get(name=n) for n in ("hello", "bye", "please"))
    history = [
        (utc(2024, 5, 8, 9, 0), hello, 1),  # 20 XP
        (utc(2024, 5, 8, 9, 1), bye, None),  # 2
        (utc(2024, 5, 9, 9, 0), hello, 2),  # 15
        (utc(2024, 5, 9, 9, 1), bye, None),  # 2
        (utc(2024, 5, 10, 9, 0), hello, 3),  # 15: third day at rank <= 3, hello is mastered
        (utc(2024, 5, 10, 9, 1), bye, 5),  # 10
        (utc(2024, 5, 10, 9, 2), please, 1),  # 20
    ]
    for at, sign, rank in history:
        attempt_graded(learner=hamlet, sign=sign, rank=rank, at=at)
    return hamlet


def test_dashboard_figures_match_the_hand_computed_history(three_days):
    board = learner_dashboard(learner=three_days, now=NOW)
    assert board.today == date(2024, 5, 10)
    assert (board.level.level, board.level.xp_total, board.level.xp_to_next) == (1, 84, 16)
    assert (board.attempts, board.passes, board.pass_rate) == (7, 5, 71)
    assert (board.streak, board.streak_longest, board.freezes) == (3, 3, 0)
    assert (board.goal.xp, board.goal.goal, board.goal.percent, board.goal.met) == (45, 50, 90, False)
    assert (board.signs_total, board.signs_mastered, board.signs_learning, board.signs_new) == (
        250,
        1,
        2,
        247,
    )
    # bye is still in FSRS learning steps (minutes); hello and please are in review, due days later.
    assert board.signs_due == 1

    assert [(p.date.day, p.xp, p.total) for p in board.xp_series[-3:]] == [
        (8, 22, 22),
        (9, 17, 39),
        (10, 45, 84),
    ]
    assert board.xp_series[0].date == date(2024, 4, 11) and board.xp_last_30 == 84
    assert board.active_days_in_calendar == 3
    cells = {cell.date: cell for week in board.calendar for cell in week}
    assert (cells[date(2024, 5, 10)].xp, cells[date(2024, 5, 10)].intensity) == (45, 2)
    assert cells[date(2024, 5, 11)].in_future and board.calendar[0][0].date.weekday() == 0

    first_words = board.units[0]
    assert (first_words.unit.slug, first_words.attempts, first_words.passes, first_words.pass_rate) == (
        "first-words",
        7,
        5,
        71,
    )
    assert (first_words.signs_passed, first_words.signs_total) == (3, 13)
    assert all(unit.pass_rate is None for unit in board.units[1:])

    assert [(w.sign.name, w.attempts, w.passes, round(w.mean_rank, 2)) for w in board.weakest] == [
        ("bye", 3, 1, 9.0)
    ]
    assert [a.sign.name for a in board.recent] == ["please", "bye", "hello", "bye", "hello", "bye", "hello"]
    assert [b.code for b in board.badges] == ["first-sign"]


def test_streak_shown_tomorrow_and_lost_after_a_missed_day(three_days):
    assert learner_dashboard(learner=three_days, now=NOW + timedelta(days=1)).streak == 3
    assert learner_dashboard(learner=three_days, now=NOW + timedelta(days=2)).streak == 0


def test_review_queue_lists_due_signs_and_upcoming(three_days):
    queue = review_queue(learner=three_days, now=NOW)
    assert [item.sign.name for item in queue.due] == ["bye"]
    assert {item.sign.name for item in queue.upcoming} == {"hello", "please"}
    # Eight days after the Easy first pass, "please" is due too (initial stability 8.3 days).
    later = review_queue(learner=three_days, now=utc(2024, 5, 18, 9, 3))
    assert "please" in [item.sign.name for item in later.due]


def test_family_overview_shows_each_profile(three_days):
    from accounts.services import learner_create

    learner_create(user=three_days.user, display_name="Grandma", time_zone="Australia/Sydney")
    members = family_overview(user=three_days.user, now=NOW)
    assert [(m.learner.display_name, m.level.xp_total, m.streak, m.xp_week, m.due) for m in members] == [
        ("Hamlet", 84, 3, 84, 1),
        ("Grandma", 0, 0, 0, 0),
    ]


def test_dashboard_page_shows_the_numbers_without_javascript(three_days, client):
    client.force_login(three_days.user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ('data-testid="xp-total">84 ', 'data-testid="attempts">7<', "Level 1", "Practise these"):
        assert text in html
    assert html.count('<svg class="chart ') == 5 and html.count('role="img"') == 5


def test_dashboard_and_data_are_private_to_the_account(three_days, ophelia, client):
    client.force_login(ophelia.user)
    for name in ("learner-dashboard", "learner-export", "profile-delete"):
        assert client.get(reverse(name, args=[three_days.pk])).status_code == 404
    attempt = three_days.attempts.first()
    assert client.get(reverse("attempt-thumbnail", args=[attempt.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("dashboard")).status_code == 302


def history(learner, n_days: int, per_day: int) -> None:
    names = ["hello", "bye", "please", "thankyou", "yes", "no", "mom", "dad"]
    signs = list(Sign.objects.filter(name__in=names))
    start = timezone.now() - timedelta(days=n_days)
    for d in range(n_days):
        for k in range(per_day):
            rank = [1, 4, None, 2][(d + k) % 4]
            attempt_graded(
                learner=learner,
                sign=signs[(d * per_day + k) % len(signs)],
                rank=rank,
                at=start + timedelta(days=d, minutes=k),
            )


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["dashboard", "family", "review-queue"])
def test_query_count_does_not_grow_with_history(
    curriculum, hamlet, ophelia, client, url_name, django_assert_max_num_queries
):
    client.force_login(hamlet.user)
    history(hamlet, n_days=2, per_day=2)
    short = count_queries(client, reverse(url_name))
    history(ophelia, n_days=2, per_day=2)  # someone else's history changes nothing either
    history(hamlet, n_days=40, per_day=4)
    long = count_queries(client, reverse(url_name))
    assert long == short
    with django_assert_max_num_queries(14):
        client.get(reverse(url_name))


def test_cached_dashboard_fragment_follows_new_attempts(curriculum, hamlet, client):
    client.force_login(hamlet.user)
    attempt_graded(learner=hamlet, sign=Sign.objects.get(name="hello"), rank=1, at=timezone.now())
    first = client.get(reverse("dashboard")).content.decode()
    assert "XP over the last 30 days: 20<" in first
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("dashboard")).content.decode().count("XP over the last 30 days: 20<") == 1
    cached_queries = len(ctx.captured_queries)

    attempt_graded(learner=hamlet, sign=Sign.objects.get(name="bye"), rank=2, at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("dashboard")).content.decode()
    assert "XP over the last 30 days: 35<" in page and "Bye" in page
    assert len(ctx.captured_queries) == cached_queries + 5  # the history part (with phrases) was rebuilt
