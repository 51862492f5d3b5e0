"""Signs, tutorial videos, the course map and lessons over the API."""

import pytest
from django.core.files.base import ContentFile

from core.testing.clips import tiny_clip
from lessons.models import Lesson, Sign, TutorialVideo

from .conftest import graded_attempt

pytestmark = pytest.mark.django_db
CLIP = tiny_clip("mp4")


@pytest.fixture
def hello_tutorial(curriculum):
    tutorial = TutorialVideo(sign=Sign.objects.get(name="hello"), title="Hello, slowly", duration_s=2.5)
    tutorial.file.save("hello.mp4", ContentFile(CLIP), save=True)
    return tutorial


def test_signs_are_listed_alphabetically_in_pages_of_50(anon_api, curriculum):
    body = anon_api.get("/api/v1/signs/").json()
    assert body["count"] == 250
    assert len(body["results"]) == 50
    names = [sign["name"] for sign in body["results"]]
    assert names == sorted(names)
    last = anon_api.get("/api/v1/signs/", {"page": 5}).json()
    assert len(last["results"]) == 50 and last["next"] is None
    assert anon_api.get("/api/v1/signs/", {"page": 6}).json()["code"] == "not_found"


def test_sign_filters(anon_api, curriculum, hello_tutorial):
    hello = anon_api.get("/api/v1/signs/", {"q": "hello"}).json()["results"]
    assert [sign["name"] for sign in hello] == ["hello"]
    with_video = anon_api.get("/api/v1/signs/", {"has_video": "true"}).json()
    assert [sign["name"] for sign in with_video["results"]] == ["hello"]
    assert anon_api.get("/api/v1/signs/", {"has_video": "false"}).json()["count"] == 249
    unit = Sign.objects.get(name="hello").lesson.unit
    in_unit = anon_api.get("/api/v1/signs/", {"unit": unit.slug}).json()
    assert in_unit["count"] == Sign.objects.filter(lesson__unit=unit).count()
    assert "hello" in {sign["name"] for sign in in_unit["results"]}
    bad = anon_api.get("/api/v1/signs/", {"has_video": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and "has_video" in bad.json()["errors"]


def test_sign_detail_has_its_tutorial_url_which_serves_the_clip(anon_api, hamlet_api, hello_tutorial):
    sign = anon_api.get("/api/v1/signs/hello/").json()
    hello = Sign.objects.select_related("lesson__unit").get(name="hello")
    assert sign["index"] == hello.index
    assert sign["lesson"] == hello.lesson.slug and sign["unit"] == hello.lesson.unit.slug
    [tutorial] = sign["tutorials"]
    assert tutorial["title"] == "Hello, slowly" and tutorial["duration_s"] == 2.5
    assert tutorial["url"] == f"http://testserver/api/v1/tutorials/{hello_tutorial.pk}/video/"

    assert anon_api.get(tutorial["url"]).status_code == 401  # clips are for signed-in learners
    response = hamlet_api.get(tutorial["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == CLIP
    assert hamlet_api.get("/api/v1/tutorials/999999/video/").json()["code"] == "not_found"


def test_course_map_shows_lesson_states_for_the_active_learner(hamlet_api, hamlet, curriculum):
    first, second, third = Lesson.objects.order_by("unit__order", "order")[:3]

    def states():
        course = hamlet_api.get("/api/v1/course/").json()
        lessons = [lesson for unit in course["units"] for lesson in unit["lessons"]]
        assert course["learner"] == hamlet.pk
        assert len(lessons) == Lesson.objects.count()
        return [(lesson["slug"], lesson["state"], lesson["passed"]) for lesson in lessons[:3]]

    assert states() == [(first.slug, "unlocked", 0), (second.slug, "locked", 0), (third.slug, "locked", 0)]
    signs = list(first.signs.all())
    for sign in signs:
        graded_attempt(hamlet, sign, rank=2)
    graded_attempt(hamlet, second.signs.first(), rank=None)  # tried, not passed
    assert states() == [
        (first.slug, "completed", len(signs)),
        (second.slug, "unlocked", 0),
        (third.slug, "locked", 0),
    ]
    unit = hamlet_api.get("/api/v1/course/").json()["units"][0]
    assert unit["completed"] == 1


def test_lesson_detail_with_state_and_signs(hamlet_api, curriculum):
    first = Lesson.objects.order_by("unit__order", "order").first()
    body = hamlet_api.get(f"/api/v1/lessons/{first.slug}/").json()
    assert body["state"] == "unlocked" and body["unit"] == first.unit.slug
    assert [sign["name"] for sign in body["signs"]] == list(
        first.signs.order_by("order").values_list("name", flat=True)
    )
    assert hamlet_api.get("/api/v1/lessons/no-such-lesson/").status_code == 404


def test_course_for_another_of_the_accounts_learners(hamlet_api, hamlet, ophelia, curriculum):
    from accounts.services import learner_create

    child = learner_create(user=hamlet.user, display_name="Young Hamlet")
    first = Lesson.objects.order_by("unit__order", "order").first()
    for sign in first.signs.all():
        graded_attempt(child, sign, rank=1)
    child_view = hamlet_api.get("/api/v1/course/", {"learner": child.pk}).json()
    assert child_view["learner"] == child.pk
    assert child_view["units"][0]["lessons"][0]["state"] == "completed"
    assert hamlet_api.get("/api/v1/course/").json()["units"][0]["lessons"][0]["state"] == "unlocked"
    # another family's learner id is not found, and a malformed one is invalid
    assert hamlet_api.get("/api/v1/course/", {"learner": ophelia.pk}).json()["code"] == "not_found"
    assert hamlet_api.get("/api/v1/course/", {"learner": "x"}).json()["code"] == "invalid"


def test_an_account_without_a_learner_profile_is_told_to_create_one(curriculum, django_user_model):
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("yorick", password="alas poor yorick")
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/course/")
    assert response.status_code == 409
    assert response.json()["code"] == "no_learner"


def test_the_course_lists_each_units_phrases_after_its_lessons(hamlet_api, curriculum):
    from lessons.models import Phrase

    units = {unit["slug"]: unit for unit in hamlet_api.get("/api/v1/course/").json()["units"]}
    assert [p["gloss"] for p in units["daily-routines"]["phrases"]] == [
        "DAD GO BED",
        "MILK PLEASE",
        "BATH FINISH",
    ]
    assert sum(len(unit["phrases"]) for unit in units.values()) == Phrase.objects.count()
    first = units["daily-routines"]["phrases"][0]
    assert (
        first["id"] == Phrase.objects.get(slug="dad-go-bed").pk and first["meaning"] == "Dad is going to bed."
    )
