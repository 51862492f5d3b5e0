"""Who may do what with whose objects: owner, another family's learner, anonymous, staff.

Another family gets 404 (ids reveal nothing); staff may read everything but act for no one (403);
anonymous callers get 401. Every API endpoint that takes an object id or a `?learner=` id is here.
"""

import pytest
from django.core.files.base import ContentFile

from lessons.models import Lesson, Phrase, Sign, TutorialVideo

from .conftest import graded_attempt, token_client

pytestmark = pytest.mark.django_db

ACTORS = ("owner", "other", "anon", "staff")
ONE_FRAME = [[[0.5, 0.5, 0.0]] * 543]


@pytest.fixture
def world(curriculum, hamlet, ophelia, iago):
    hello = Sign.objects.get(name="hello")
    attempt = graded_attempt(hamlet, hello, rank=1)
    phrase = Phrase.objects.get(slug="dad-go-bed")
    phrase_attempt = hamlet.attempts.create(phrase=phrase)
    tutorial = TutorialVideo(sign=hello, title="Hello")
    tutorial.file.save("hello.mp4", ContentFile(b"clip"), save=True)
    return {
        "learner": hamlet.pk,
        "attempt": attempt.pk,
        "phrase": phrase.pk,
        "phrase_attempt": phrase_attempt.pk,
        "tutorial": tutorial.pk,
        "lesson": Lesson.objects.order_by("unit__order", "order").first().slug,
        "clients": {
            "owner": token_client(hamlet),
            "other": token_client(ophelia),
            "anon": token_client(None),
            "staff": token_client(iago),
        },
    }


# (method, url template, body, expected status per actor in ACTORS order)
MATRIX = [
    ("get", "/api/v1/learners/{learner}/", None, (200, 404, 401, 200)),
    ("patch", "/api/v1/learners/{learner}/", {"daily_xp_goal": 60}, (200, 404, 401, 403)),
    ("post", "/api/v1/learners/{learner}/select/", None, (200, 404, 401, 403)),
    ("get", "/api/v1/attempts/{attempt}/", None, (200, 404, 401, 200)),
    ("get", "/api/v1/attempts/?learner={learner}", None, (200, 404, 401, 200)),
    (
        "post",
        "/api/v1/attempts/?learner={learner}",
        {"sign": "hello", "landmarks": ONE_FRAME},
        (202, 404, 401, 403),
    ),
    ("get", "/api/v1/attempts/{phrase_attempt}/", None, (200, 404, 401, 200)),
    (
        "post",
        "/api/v1/attempts/?learner={learner}",
        {"phrase": "{phrase}", "landmarks": ONE_FRAME},
        (202, 404, 401, 403),
    ),
    ("get", "/api/v1/phrases/", None, (200, 200, 200, 200)),  # public curriculum
    ("get", "/api/v1/phrases/{phrase}/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/progress/?learner={learner}", None, (200, 404, 401, 200)),
    ("get", "/api/v1/review/?learner={learner}", None, (200, 404, 401, 200)),
    ("get", "/api/v1/course/?learner={learner}", None, (200, 404, 401, 200)),
    ("get", "/api/v1/lessons/{lesson}/?learner={learner}", None, (200, 404, 401, 200)),
    ("get", "/api/v1/tutorials/{tutorial}/video/", None, (200, 200, 401, 200)),  # curriculum: any account
    ("get", "/api/v1/signs/hello/", None, (200, 200, 200, 200)),  # public vocabulary
]


@pytest.mark.parametrize(
    ("method", "template", "body", "expected"), MATRIX, ids=[f"{m} {t}" for m, t, _, _ in MATRIX]
)
def test_authorization_matrix(world, method, template, body, expected):
    url = template.format(**world)
    if body and body.get("phrase") == "{phrase}":
        body = {**body, "phrase": world["phrase"]}
    got = {}
    for actor in ACTORS:
        response = getattr(world["clients"][actor], method)(url, body, format="json")
        got[actor] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "detail"}, (actor, response.json())
    assert got == dict(zip(ACTORS, expected, strict=True))


def test_reads_by_staff_and_owner_return_the_owners_object(world):
    for actor in ("owner", "staff"):
        client = world["clients"][actor]
        assert client.get(f"/api/v1/learners/{world['learner']}/").json()["display_name"] == "Hamlet"
        assert client.get(f"/api/v1/attempts/{world['attempt']}/").json()["sign"] == "hello"
        assert (
            client.get("/api/v1/progress/", {"learner": world["learner"]}).json()["learner"]
            == world["learner"]
        )


def test_refused_writes_change_nothing(world, hamlet, iago):
    world["clients"]["other"].patch(
        f"/api/v1/learners/{hamlet.pk}/", {"display_name": "Pwned"}, format="json"
    )
    world["clients"]["staff"].patch(
        f"/api/v1/learners/{hamlet.pk}/", {"display_name": "Pwned"}, format="json"
    )
    world["clients"]["staff"].post(f"/api/v1/learners/{hamlet.pk}/select/")
    hamlet.refresh_from_db()
    iago.refresh_from_db()
    assert hamlet.display_name == "Hamlet" and hamlet.is_selected and iago.is_selected
    assert hamlet.attempts.count() == 2  # the world's sign and phrase attempts, nothing new


def test_staff_read_families_only_with_the_view_learner_permission(world, hamlet):
    """Staff status alone reads no family (404, as for another family); accounts.view_learner reads."""
    from django.contrib.auth.models import Permission

    from conftest import make_learner

    staff = make_learner("guildenstern", "Guildenstern")
    staff.user.is_staff = True
    staff.user.save()
    client = token_client(staff)
    urls = [f"/api/v1/learners/{world['learner']}/", f"/api/v1/progress/?learner={world['learner']}"]
    assert [client.get(url).status_code for url in urls] == [404, 404]

    staff.user.user_permissions.add(Permission.objects.get(codename="view_learner"))
    assert [client.get(url).status_code for url in urls] == [200, 200]
    assert client.patch(urls[0], {"daily_xp_goal": 60}, format="json").status_code == 403
