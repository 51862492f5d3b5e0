"""The course map and lesson pages: each lesson locked, unlocked or completed for the active learner."""

import pytest
from django.urls import reverse

from accounts.services import learner_create
from lessons.models import Lesson, Phrase, Unit
from practice.models import Attempt, AttemptResult
from progress.rules import outcome_for_rank

pytestmark = pytest.mark.django_db


def first_lesson_passed(learner, *, rank: int) -> None:
    """Every sign of the first lesson passed at `rank` (results written directly)."""
    first = Lesson.objects.order_by("unit__order", "order").first()
    for sign in first.signs.all():
        attempt = Attempt.objects.create(learner=learner, sign=sign, status=Attempt.Status.GRADED)
        AttemptResult.objects.create(
            attempt=attempt,
            passed=True,
            rank=rank,
            xp=outcome_for_rank(rank).xp,
            top10=[],
            detected={},
            model_version="t",
        )


def test_course_map_shows_first_lesson_open_and_the_rest_locked(hamlet_client, curriculum):
    cards = [
        card for unit in hamlet_client.get(reverse("course-map")).context["units"] for card in unit.lessons
    ]
    assert [card.state.value for card in cards[:3]] == ["unlocked", "locked", "locked"]
    assert len(cards) == Lesson.objects.count()


def test_passing_every_sign_of_the_first_lesson_unlocks_the_second(hamlet_client, hamlet, curriculum):
    first_lesson_passed(hamlet, rank=1)
    cards = [
        card for unit in hamlet_client.get(reverse("course-map")).context["units"] for card in unit.lessons
    ]
    assert [card.state.value for card in cards[:3]] == ["completed", "unlocked", "locked"]


def test_progress_belongs_to_the_active_profile_only(hamlet_client, hamlet, curriculum):
    first_lesson_passed(hamlet, rank=2)
    learner_create(user=hamlet.user, display_name="Gertrude", select=True)
    cards = [
        card for unit in hamlet_client.get(reverse("course-map")).context["units"] for card in unit.lessons
    ]
    assert cards[0].state.value == "unlocked"


def test_course_map_query_count_does_not_grow_with_lessons(
    hamlet_client, curriculum, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        hamlet_client.get(reverse("course-map"))


def test_a_sign_without_a_tutorial_video_does_not_hold_back_its_lesson(hamlet_client, hamlet, curriculum):
    from django.core.files.base import ContentFile

    from lessons.models import TutorialVideo

    first = Lesson.objects.order_by("unit__order", "order").first()
    *taught, untaught = list(first.signs.all())
    for sign in taught:  # every sign but the last has a tutorial video, and is passed
        tutorial = TutorialVideo(sign=sign)
        tutorial.file.save("clip.mp4", ContentFile(b"not played here"))
        attempt = Attempt.objects.create(learner=hamlet, sign=sign, status=Attempt.Status.GRADED)
        AttemptResult.objects.create(
            attempt=attempt, passed=True, rank=1, xp=20, top10=[], detected={}, model_version="t"
        )
    cards = [
        card for unit in hamlet_client.get(reverse("course-map")).context["units"] for card in unit.lessons
    ]
    assert [card.state.value for card in cards[:2]] == ["completed", "unlocked"]
    page = hamlet_client.get(reverse("sign-detail", args=[untaught.name])).content.decode()
    assert "its lesson does not need it passed" in page and "Add one" not in page  # parents get no admin link


def test_the_course_map_shows_each_units_phrases_after_its_lessons(hamlet_client, curriculum):
    page = hamlet_client.get(reverse("course-map")).content.decode()
    unit = Unit.objects.get(slug="daily-routines")
    last_lesson = unit.lessons.order_by("order").last()
    dad_go_bed = Phrase.objects.get(slug="dad-go-bed")
    assert page.index(last_lesson.title) < page.index(reverse("phrase-detail", args=[dad_go_bed.slug]))
    assert page.index(reverse("phrase-detail", args=[dad_go_bed.slug])) < page.index("Food and Mealtime")
    assert "“Dad is going to bed.”" in page
    assert page.count('class="lesson-card phrase-card"') == Phrase.objects.count()
