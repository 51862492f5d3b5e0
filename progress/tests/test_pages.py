"""Review session, CSV export, weekly digest."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lessons.models import Sign
from progress.digest import digest_send_all
from progress.models import LearnerProgress
from progress.tasks import send_weekly_digests_task

from .history import attempt_graded, utc

pytestmark = pytest.mark.django_db


def sign(name: str) -> Sign:
    return Sign.objects.get(name=name)


@pytest.fixture
def due_three(curriculum, hamlet):
    """Three signs missed an hour ago: their cards are due again within minutes."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for i, name in enumerate(["hello", "bye", "please"]):
        attempt_graded(learner=hamlet, sign=sign(name), rank=None, at=an_hour_ago + timedelta(minutes=i))
    return hamlet


def test_nav_and_review_queue_show_the_due_count(due_three, hamlet_client):
    page = hamlet_client.get(reverse("review-queue")).content.decode()
    assert "3 signs due" in page
    assert 'class="nav-count" title="3 signs due">3<' in page


def test_review_session_walks_the_due_signs_through_the_practice_panel(due_three, hamlet_client):
    response = hamlet_client.post(reverse("review-session-start"), {"mode": "review"})
    assert response.status_code == 302 and response["Location"] == reverse("review-session")

    page = hamlet_client.get(reverse("review-session")).content.decode()
    assert "Sign 1 of 3: <strong>Hello</strong>" in page
    assert 'name="is_review" value="True"' in page  # the practice panel posts review attempts

    # An attempt made in the session (here graded directly) moves the session on.
    attempt_graded(learner=due_three, sign=sign("hello"), rank=2, at=timezone.now(), is_review=True)
    page = hamlet_client.get(reverse("review-session")).content.decode()
    assert "Sign 2 of 3: <strong>Bye</strong>" in page

    hamlet_client.post(reverse("review-session"), {"skip": sign("bye").pk})
    attempt_graded(learner=due_three, sign=sign("please"), rank=1, at=timezone.now(), is_review=True)
    page = hamlet_client.get(reverse("review-session")).content.decode()
    assert "Session done: 2 of 3 signs practised" in page
    assert LearnerProgress.objects.get(learner=due_three).reviews == 2


def test_practise_these_starts_a_session_of_the_given_signs(due_three, hamlet_client):
    hamlet_client.post(
        reverse("review-session-start"), {"mode": "practice", "sign": [sign("bye").pk, sign("no").pk, "x"]}
    )
    page = hamlet_client.get(reverse("review-session")).content.decode()
    assert "Practice session" in page and "Sign 1 of 2: <strong>Bye</strong>" in page
    assert 'name="is_review" value="True"' not in page


def test_csv_export_has_one_row_per_attempt_in_local_time(curriculum, ophelia, client):
    at = utc(2024, 5, 2, 3, 30)  # 23:30 on May 1 in New York
    attempt_graded(learner=ophelia, sign=sign("hello"), rank=2, at=at)
    attempt_graded(learner=ophelia, sign=sign("bye"), rank=None, at=at + timedelta(hours=1), is_review=True)
    client.force_login(ophelia.user)
    response = client.get(reverse("learner-export", args=[ophelia.pk]))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["sign"], r["local_date"], r["passed"], r["rank"], r["xp"], r["is_review"]) for r in rows] == [
        ("hello", "2024-05-01", "1", "2", "15", "0"),
        ("bye", "2024-05-02", "0", "", "2", "1"),
    ]
    assert rows[0]["practised_at_local"] == "2024-05-01T23:30:00-04:00"
    assert rows[0]["unit"] == "First Words"


def test_weekly_digest_once_per_account_and_week(curriculum, hamlet, ophelia):
    now = timezone.now()
    attempt_graded(learner=hamlet, sign=sign("hello"), rank=1, at=now - timedelta(days=2))
    attempt_graded(learner=hamlet, sign=sign("bye"), rank=None, at=now - timedelta(days=1))
    attempt_graded(learner=hamlet, sign=sign("yes"), rank=2, at=now - timedelta(days=9))  # last week
    # Ophelia has not practised: nothing to tell her.
    assert send_weekly_digests_task() == 1
    assert digest_send_all() == 0  # a second run the same week sends nothing
    (message,) = mail.outbox
    assert message.to == ["hamlet@example.org"]
    assert message.subject == "Your SignLearn week: 22 XP"
    assert "XP this week: 22 (2 attempts)" in message.body
    assert "New signs: Hello\n" in message.body
    # "bye" (missed) and "yes" (Good on a new card: next learning step in 10 minutes) are due; "hello"
    # (Easy on a new card) is not due for 8 days.
    assert "Signs due for review: 2" in message.body


def test_a_new_learner_is_told_what_will_appear_not_congratulated(hamlet_client, curriculum):
    review = hamlet_client.get(reverse("review-queue")).content.decode()
    assert "Nothing to review yet" in review and "Well done" not in review
    dashboard = hamlet_client.get(reverse("dashboard")).content.decode()
    assert "will show up here once you have tried a few" in dashboard and "No weak signs" not in dashboard
    assert "Practised on 0 days" in dashboard
