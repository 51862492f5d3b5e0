import pytest
from django.urls import reverse

from lessons.models import Lesson, Sign

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
