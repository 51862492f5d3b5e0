import pytest
from django.urls import reverse

from accounts.services import learner_create
from lessons.models import Lesson, Sign
from practice.models import Attempt, AttemptResult

PUBLIC_PAGES = ["home", "explorer", "login", "signup", "password_reset"]
LOGIN_PAGES = [
    ("course-map", {}),
    ("lesson-detail", {"slug": "__first__"}),
    ("sign-detail", {"name": "hello"}),
    ("profiles", {}),
]


def resolve(name, kwargs):
    if kwargs.get("slug") == "__first__":
        kwargs = {"slug": Lesson.objects.order_by("unit__order", "order").first().slug}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_render_for_anonymous_visitors(client, curriculum, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), LOGIN_PAGES)
def test_learning_pages_send_anonymous_visitors_to_login(client, curriculum, name, kwargs):
    url = resolve(name, kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "kwargs"), LOGIN_PAGES)
def test_learning_pages_render_for_a_learner(hamlet_client, curriculum, name, kwargs):
    assert hamlet_client.get(resolve(name, kwargs)).status_code == 200


def test_course_map_shows_first_lesson_open_and_the_rest_locked(hamlet_client, curriculum):
    cards = course_map_cards(hamlet_client)
    assert [card.state.value for card in cards[:3]] == ["unlocked", "locked", "locked"]
    assert len(cards) == Lesson.objects.count()


def first_lesson_passed(learner, *, rank: int, xp: int) -> None:
    """A graded, passed attempt at every sign of the course's first lesson."""
    first = Lesson.objects.order_by("unit__order", "order").first()
    for sign in first.signs.all():
        attempt = Attempt.objects.create(learner=learner, sign=sign, status=Attempt.Status.GRADED)
        AttemptResult.objects.create(
            attempt=attempt, passed=True, rank=rank, xp=xp, top10=[], detected={}, model_version="t"
        )


def course_map_cards(client) -> list:
    return [card for unit in client.get(reverse("course-map")).context["units"] for card in unit.lessons]


def test_passing_every_sign_of_the_first_lesson_unlocks_the_second(hamlet_client, hamlet, curriculum):
    first_lesson_passed(hamlet, rank=1, xp=20)
    cards = course_map_cards(hamlet_client)
    assert [card.state.value for card in cards[:3]] == ["completed", "unlocked", "locked"]


def test_progress_belongs_to_the_active_profile_only(hamlet_client, hamlet, curriculum):
    first_lesson_passed(hamlet, rank=2, xp=15)
    learner_create(user=hamlet.user, display_name="Gertrude", select=True)
    assert course_map_cards(hamlet_client)[0].state.value == "unlocked"


def test_course_map_query_count_does_not_grow_with_lessons(
    hamlet_client, curriculum, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        hamlet_client.get(reverse("course-map"))


def test_explorer_lists_all_signs_and_searches(client, curriculum):
    assert client.get(reverse("explorer")).context["n_signs"] == 250
    response = client.get(reverse("explorer"), {"q": "milk"})
    names = [sign.name for signs in response.context["letters"].values() for sign in signs]
    assert "milk" in names and len(names) < 250


def test_explorer_filters_by_unit_and_video(client, curriculum):
    lesson = Lesson.objects.order_by("unit__order", "order").first()
    response = client.get(reverse("explorer"), {"unit": lesson.unit.slug, "video": "no"})
    names = {sign.name for signs in response.context["letters"].values() for sign in signs}
    assert names == set(Sign.objects.filter(lesson__unit=lesson.unit).values_list("name", flat=True))
    assert client.get(reverse("explorer"), {"video": "yes"}).context["n_signs"] == 0


def test_unknown_sign_is_404(hamlet_client, curriculum):
    assert hamlet_client.get("/signs/notasign/").status_code == 404


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


def test_all_signs_are_alphabetical_whatever_their_case(client, curriculum):
    letters = client.get(reverse("explorer")).context["letters"]
    assert list(letters)[0] == "A"
    assert "TV" in [sign.name for sign in letters["T"]]


def test_a_sign_url_in_another_case_leads_to_the_sign(hamlet_client, curriculum):
    assert hamlet_client.get("/signs/Hello/").url == reverse("sign-detail", args=["hello"])
    assert hamlet_client.get("/signs/tv/").url == reverse("sign-detail", args=["TV"])
    assert hamlet_client.get("/signs/Notasign/").status_code == 404


def test_pages_have_a_favicon_that_is_served(client, curriculum):
    from django.contrib.staticfiles import finders

    assert 'rel="icon"' in client.get(reverse("home")).content.decode()
    assert finders.find("img/favicon.svg")
