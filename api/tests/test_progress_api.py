"""Progress, dashboard figures, the review queue and the family overview over the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import learner_create
from lessons.models import Sign
from progress.demo import demo_attempt_record as attempt_graded

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_days(curriculum, hamlet):
    """Two days ago hello at rank 1 (20 XP), yesterday bye missed (2), today hello at rank 2 (15) = 37."""
    now = timezone.now()
    hello, bye = Sign.objects.get(name="hello"), Sign.objects.get(name="bye")
    for days_ago, sign, rank in [(2, hello, 1), (1, bye, None), (0, hello, 2)]:
        attempt_graded(learner=hamlet, sign=sign, rank=rank, at=now - timedelta(days=days_ago), grading_s=0)
    return hamlet


def test_progress_figures_match_the_history(hamlet_api, three_days):
    body = hamlet_api.get("/api/v1/progress/").json()
    assert body["learner"] == three_days.pk
    assert body["level"] == {
        "level": 1,
        "xp_total": 37,
        "level_start_xp": 0,
        "next_level_xp": 100,
        "xp_to_next": 63,
        "percent": 37,
    }
    assert (body["attempts"], body["passes"], body["pass_rate"]) == (3, 2, 67)
    assert (body["streak"], body["streak_longest"], body["practised_today"]) == (3, 3, True)
    assert body["goal"] == {"xp": 15, "goal": 50, "percent": 30, "met": False}
    assert body["signs"] == {"total": 250, "mastered": 0, "learning": 2, "new": 248, "due": 1}
    assert [(point["xp"], point["total"]) for point in body["xp_series"][-3:]] == [
        (20, 20),
        (2, 22),
        (15, 37),
    ]
    assert len(body["xp_series"]) == 30
    assert body["calendar"][-1]["date"] == body["today"] and body["calendar"][-1]["xp"] == 15
    assert sum(cell["attempts"] for cell in body["calendar"]) == 3
    assert [(a["sign"], a["rank"], a["xp"], a["passed"]) for a in body["recent"]] == [
        ("hello", 2, 15, True),
        ("bye", None, 2, False),
        ("hello", 1, 20, True),
    ]
    # hello and bye are in the same (first) unit: 3 attempts, 2 passes, 1 sign passed
    hello_unit = Sign.objects.get(name="hello").lesson.unit
    assert hello_unit == Sign.objects.get(name="bye").lesson.unit
    [unit] = [unit for unit in body["units"] if unit["slug"] == hello_unit.slug]
    assert (unit["attempts"], unit["passes"], unit["pass_rate"], unit["signs_passed"]) == (3, 2, 67, 1)
    assert [(badge["code"], badge["title"]) for badge in body["badges"]] == [("first-sign", "First sign")]


def test_a_new_learner_has_zero_progress(hamlet_api, curriculum):
    body = hamlet_api.get("/api/v1/progress/").json()
    assert (body["attempts"], body["pass_rate"], body["streak"], body["recent"]) == (0, None, 0, [])
    assert body["level"]["xp_total"] == 0 and body["signs"]["new"] == 250


def test_review_queue_lists_the_missed_sign_as_due(hamlet_api, three_days):
    body = hamlet_api.get("/api/v1/review/").json()
    assert body["learner"] == three_days.pk
    assert body["count"] == 1
    [due] = body["due"]
    assert (due["sign"], due["attempts"], due["passes"]) == ("bye", 1, 0)
    assert [card["sign"] for card in body["upcoming"]] == ["hello"]


def test_progress_of_another_profile_on_the_account_and_not_of_another_family(
    hamlet_api, hamlet, ophelia, three_days
):
    child = learner_create(user=hamlet.user, display_name="Young Hamlet")
    assert hamlet_api.get("/api/v1/progress/", {"learner": child.pk}).json()["attempts"] == 0
    assert hamlet_api.get("/api/v1/review/", {"learner": child.pk}).json()["count"] == 0
    for url in ("/api/v1/progress/", "/api/v1/review/"):
        response = hamlet_api.get(url, {"learner": ophelia.pk})
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_family_overview_has_one_line_per_profile(hamlet_api, hamlet, three_days):
    learner_create(user=hamlet.user, display_name="Young Hamlet")
    body = hamlet_api.get("/api/v1/family/").json()
    assert [(m["display_name"], m["is_selected"], m["xp_total"], m["streak"]) for m in body] == [
        ("Hamlet", True, 37, 3),
        ("Young Hamlet", False, 0, 0),
    ]
    assert body[0]["xp_week"] == 37 and body[0]["due"] == 1 and body[0]["signs_passed"] == 1
