"""Who may open what: every URL of the site (pages, media, API, admin), generated from the URL conf, for
four people: anonymous, another family, a staff member without permissions, and the owner.

A URL the table below does not classify fails the test, so a new view cannot ship unreviewed. The
objects are made directly (no worker, no MediaPipe) with tiny generated media files.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import make_learner
from core.testing.clips import PNG_1PX, tiny_clip
from lessons.models import Lesson, Phrase, Sign, TutorialVideo
from practice.models import Attempt, AttemptResult

pytestmark = pytest.mark.django_db

ACTORS = ("anon", "other", "staff", "owner")
LOGIN = "login"  # 302 to the site's login page
ADMIN_LOGIN = "admin login"  # 302 to the admin's login page


def routes() -> list[tuple[str, str | None]]:
    """(route, name) of every URL pattern, includes flattened."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                assert isinstance(pattern, URLPattern)
                yield prefix + str(pattern.pattern), pattern.name

    return list(walk(get_resolver().url_patterns, ""))


@dataclass(frozen=True)
class Case:
    """One request and what each actor gets: a status code, LOGIN or ADMIN_LOGIN."""

    url: str  # formatted with the world's ids
    expected: tuple  # in ACTORS order
    method: str = "get"


def case(url: str, anon, other, staff, owner, *, method: str = "get") -> Case:
    return Case(url, (anon, other, staff, owner), method)


def for_learner(url: str) -> list[Case]:
    """An API endpoint that acts for the account's active learner, or the one `?learner=` names:
    every account has its own active learner; Hamlet's id is 404 to everyone else (accounts.current)."""
    return [case(url, 401, 200, 200, 200), case(url + "?learner={learner}", 401, 404, 404, 200)]


PUBLIC = (200, 200, 200, 200)
OWN = "owner's"  # below: another family and staff without permissions get 404, the owner 200

# route (as the URL conf spells it) -> the requests that cover it
PAGES = {
    "healthz": [case("/healthz", *PUBLIC)],
    "readyz": [case("/readyz", *PUBLIC)],
    "accounts/signup/": [case("/accounts/signup/", 200, 302, 302, 302)],
    "accounts/login/": [case("/accounts/login/", *PUBLIC)],
    "accounts/logout/": [case("/accounts/logout/", 302, 302, 302, 302, method="post")],
    "accounts/password-reset/": [case("/accounts/password-reset/", *PUBLIC)],
    "accounts/password-reset/done/": [case("/accounts/password-reset/done/", *PUBLIC)],
    "accounts/reset/<uidb64>/<token>/": [case("/accounts/reset/{uid}/bad-token/", *PUBLIC)],
    "accounts/reset/done/": [case("/accounts/reset/done/", *PUBLIC)],
    "accounts/profiles/": [case("/accounts/profiles/", LOGIN, 200, 200, 200)],
    "accounts/profiles/<int:learner_id>/edit/": [
        case("/accounts/profiles/{learner}/edit/", LOGIN, 404, 404, 200)
    ],
    "accounts/profiles/<int:learner_id>/switch/": [
        case("/accounts/profiles/{learner}/switch/", LOGIN, 404, 404, 302, method="post")
    ],
    "practice/signs/<str:name>/attempts/": [
        case("/practice/signs/hello/attempts/", LOGIN, 405, 405, 405),
        case("/practice/signs/hello/attempts/", LOGIN, 302, 302, 302, method="post"),  # no file: a message
    ],
    "practice/signs/<str:name>/landmark-attempts/": [
        case("/practice/signs/hello/landmark-attempts/", LOGIN, 405, 405, 405),
        case("/practice/signs/hello/landmark-attempts/", LOGIN, 400, 400, 400, method="post"),  # no landmarks
    ],
    "practice/attempts/<int:pk>/": [case("/practice/attempts/{attempt}/", LOGIN, 404, 404, 200)],
    "practice/attempts/<int:pk>/status/": [
        case("/practice/attempts/{attempt}/status/", LOGIN, 404, 404, 200)
    ],
    "practice/attempts/<int:pk>/media/<str:kind>/": [
        case("/practice/attempts/{attempt}/media/video/", LOGIN, 404, 404, 200),
        case("/practice/attempts/{attempt}/media/replay/", LOGIN, 404, 404, 200),
        case("/practice/attempts/{attempt}/media/thumbnail/", LOGIN, 404, 404, 200),
        case("/practice/attempts/{attempt}/media/landmarks/", LOGIN, 404, 404, 404),  # not media
    ],
    "dashboard/": [case("/dashboard/", LOGIN, 200, 200, 200)],
    "dashboard/<int:learner_id>/": [case("/dashboard/{learner}/", LOGIN, 404, 404, 200)],
    "dashboard/attempts/<int:attempt_id>/thumbnail.png": [
        case("/dashboard/attempts/{attempt}/thumbnail.png", LOGIN, 404, 404, 200)
    ],
    "family/": [case("/family/", LOGIN, 200, 200, 200)],
    "review/": [case("/review/", LOGIN, 200, 200, 200)],
    "review/session/": [case("/review/session/", LOGIN, 302, 302, 302)],  # no session started: back
    "review/session/start/": [case("/review/session/start/", LOGIN, 302, 302, 302, method="post")],
    "data/profiles/<int:learner_id>/export.csv": [
        case("/data/profiles/{learner}/export.csv", LOGIN, 404, 404, 200)
    ],
    "data/profiles/<int:learner_id>/delete/": [
        case("/data/profiles/{learner}/delete/", LOGIN, 404, 404, 200)
    ],
    "data/account/delete/": [case("/data/account/delete/", LOGIN, 200, 200, 200)],
    "": [case("/", *PUBLIC)],
    "learn/": [case("/learn/", LOGIN, 200, 200, 200)],
    "learn/lessons/<slug:slug>/": [case("/learn/lessons/{lesson}/", LOGIN, 200, 200, 200)],
    "learn/phrases/<slug:slug>/": [case("/learn/phrases/{phrase}/", LOGIN, 200, 200, 200)],
    "media/phrases/<slug:slug>/": [case("/media/phrases/{phrase}/", LOGIN, 200, 200, 200)],
    "practice/phrases/<slug:slug>/attempts/": [
        case("/practice/phrases/{phrase}/attempts/", LOGIN, 405, 405, 405),
        case("/practice/phrases/{phrase}/attempts/", LOGIN, 302, 302, 302, method="post"),  # no file
    ],
    "signs/": [case("/signs/", *PUBLIC)],
    "signs/<int:index>/": [case("/signs/{index}/", 302, 302, 302, 302)],
    "signs/<str:name>/": [case("/signs/hello/", LOGIN, 200, 200, 200)],
    "media/tutorials/<int:tutorial_id>/": [case("/media/tutorials/{tutorial}/", LOGIN, 200, 200, 200)],
}

API = {
    "api/schema/": [case("/api/schema/", *PUBLIC)],
    "api/docs/": [case("/api/docs/", *PUBLIC)],
    "api/v1/auth/token/": [case("/api/v1/auth/token/", 405, 405, 405, 405)],
    "api/v1/signs/": [case("/api/v1/signs/", *PUBLIC)],
    "api/v1/signs/<str:name>/": [case("/api/v1/signs/hello/", *PUBLIC)],
    "api/v1/phrases/": [case("/api/v1/phrases/", *PUBLIC)],
    "api/v1/phrases/<int:pk>/": [case("/api/v1/phrases/{phrase_id}/", *PUBLIC)],
    "api/v1/tutorials/<int:pk>/video/": [case("/api/v1/tutorials/{tutorial}/video/", 401, 200, 200, 200)],
    "api/v1/course/": for_learner("/api/v1/course/"),
    "api/v1/lessons/<slug:slug>/": [case("/api/v1/lessons/{lesson}/?learner={learner}", 401, 404, 404, 200)],
    "api/v1/learners/": [case("/api/v1/learners/", 401, 200, 200, 200)],
    "api/v1/learners/<int:pk>/": [case("/api/v1/learners/{learner}/", 401, 404, 404, 200)],
    "api/v1/learners/<int:pk>/select/": [
        case("/api/v1/learners/{learner}/select/", 401, 404, 404, 200, method="post")
    ],
    "api/v1/progress/": [case("/api/v1/progress/?learner={learner}", 401, 404, 404, 200)],
    "api/v1/review/": [case("/api/v1/review/?learner={learner}", 401, 404, 404, 200)],
    "api/v1/family/": [case("/api/v1/family/", 401, 200, 200, 200)],
    "api/v1/attempts/": for_learner("/api/v1/attempts/"),
    "api/v1/attempts/<int:pk>/": [case("/api/v1/attempts/{attempt}/", 401, 404, 404, 200)],
    "^api/": [case("/api/v1/nothing-here/", 404, 404, 404, 404)],
}

# The admin: anyone but staff is sent to its login page; staff without permissions see the index and
# nothing else. The owner is a family, so not staff either.
NOT_STAFF = (ADMIN_LOGIN, ADMIN_LOGIN)


def admin_case(url: str, staff, *, method: str = "get") -> Case:
    return Case(url, (ADMIN_LOGIN, ADMIN_LOGIN, staff, ADMIN_LOGIN), method)


ADMIN = {
    "admin/": [admin_case("/admin/", 200)],
    "admin/login/": [case("/admin/login/", 200, 200, 302, 200)],
    "admin/logout/": [
        case("/admin/logout/", 302, 302, 302, 302, method="post")
    ],  # ends only your own session
    "admin/password_change/": [admin_case("/admin/password_change/", 200)],
    "admin/password_change/done/": [admin_case("/admin/password_change/done/", 200)],
    "admin/autocomplete/": [admin_case("/admin/autocomplete/", 403)],
    "admin/jsi18n/": [admin_case("/admin/jsi18n/", 200)],
    "admin/auth/user/<id>/password/": [admin_case("/admin/auth/user/{user}/password/", 403)],
    # The registry's model monitoring reads attempts, so practice serves it (needs view_modelversion).
    "admin/practice/attempt/monitoring/": [admin_case("/admin/practice/attempt/monitoring/", 403)],
    "admin/registry/modelversion/upload/": [admin_case("/admin/registry/modelversion/upload/", 403)],
    "admin/registry/modelversion/activate/": [admin_case("/admin/registry/modelversion/activate/", 403)],
    "admin/registry/modelversion/<int:pk>/plot/<str:name>": [
        admin_case("/admin/registry/modelversion/1/plot/curves.png", 403)
    ],
    "admin/registry/activeconfiguration/rollback/": [
        admin_case("/admin/registry/activeconfiguration/rollback/", 403, method="post")
    ],
    "admin/registry/evaluationset/build/": [
        admin_case("/admin/registry/evaluationset/build/", 403, method="post")
    ],
    "admin/registry/trainingrun/start/": [
        admin_case("/admin/registry/trainingrun/start/", 403),
        admin_case("/admin/registry/trainingrun/start/", 403, method="post"),
    ],
    "admin/registry/attemptlabel/review/": [
        admin_case("/admin/registry/attemptlabel/review/", 403),
        admin_case("/admin/registry/attemptlabel/review/", 403, method="post"),
    ],
    r"admin/^(?P<app_label>auth|authtoken|accounts|lessons|registry|practice)/$": [
        admin_case(f"/admin/{app}/", 404)
        for app in ("auth", "authtoken", "accounts", "lessons", "practice", "registry")
    ],
    "admin/(?P<url>.*)$": [admin_case("/admin/nothing-here/", 404)],
    # "view on site": no model here has a public page
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        admin_case("/admin/r/{attempt_type}/{attempt}/", 404)
    ],
}


def model_admin_cases() -> dict[str, list[Case]]:
    """Django's own views of each registered model: every one refused to staff without permissions
    (Django checks the model permission), the object's bare URL only redirects to its change page."""
    cases = {}
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin/{opts.app_label}/{opts.model_name}/"
        first = model.objects.first()
        pk = first.pk if first is not None else 0
        cases[base] = [admin_case(f"/{base}", 403)]
        cases[f"{base}add/"] = [admin_case(f"/{base}add/", 403)]
        cases[f"{base}<path:object_id>/change/"] = [admin_case(f"/{base}{pk}/change/", 403)]
        cases[f"{base}<path:object_id>/delete/"] = [admin_case(f"/{base}{pk}/delete/", 403)]
        # Django looks the object up before the permission: no object, back to the index
        cases[f"{base}<path:object_id>/history/"] = [
            admin_case(f"/{base}{pk}/history/", 403 if first else 302)
        ]
        cases[f"{base}<path:object_id>/"] = [admin_case(f"/{base}{pk}/", 302)]  # to .../change/
    return cases


@pytest.fixture
def world(curriculum, hamlet, ophelia):
    """Hamlet's family has an attempt with its clip, replay and thumbnail; there is one tutorial."""
    staff = make_learner("guildenstern", "Guildenstern")
    staff.user.is_staff = True
    staff.user.save()
    hello = Sign.objects.get(name="hello")
    attempt = Attempt.objects.create(learner=hamlet, sign=hello, status=Attempt.Status.GRADED)
    attempt.video.save("clip.webm", ContentFile(tiny_clip("webm")), save=False)
    attempt.replay.save("replay.mp4", ContentFile(tiny_clip("mp4")), save=False)
    attempt.thumbnail.save("thumbnail.png", ContentFile(PNG_1PX), save=False)
    attempt.save()
    AttemptResult.objects.create(
        attempt=attempt,
        passed=True,
        rank=1,
        xp=10,
        top10=[{"sign": "hello", "index": hello.index, "score": 0.9}],
        detected={"face": 1.0, "left_hand": 0.5, "pose": 1.0, "right_hand": 0.9},
        n_frames=10,
        model_version="test-model",
    )
    tutorial = TutorialVideo(sign=hello, title="Hello")
    tutorial.file.save("hello.mp4", ContentFile(tiny_clip("mp4")), save=True)
    phrase = Phrase.objects.order_by("unit__order", "order").first()
    phrase.video.save("phrase.mp4", ContentFile(tiny_clip("mp4")), save=True)
    return {
        "users": {"anon": None, "other": ophelia.user, "staff": staff.user, "owner": hamlet.user},
        "ids": {
            "learner": hamlet.pk,
            "user": hamlet.user.pk,
            "uid": "MQ",
            "attempt": attempt.pk,
            "attempt_type": ContentType.objects.get_for_model(Attempt).pk,
            "tutorial": tutorial.pk,
            "index": hello.index,
            "lesson": Lesson.objects.order_by("unit__order", "order").first().slug,
            "phrase": phrase.slug,
            "phrase_id": phrase.pk,
        },
    }


def outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
    return response.status_code


def test_every_url_is_classified_and_answers_each_person_as_expected(world):
    table = {**PAGES, **API, **ADMIN, **model_admin_cases()}
    unclassified = [route for route, _ in routes() if route not in table]
    assert unclassified == [], "classify these URLs in the authorisation matrix"
    stale = sorted(set(table) - {route for route, _ in routes()})
    assert stale == [], "these routes no longer exist"

    clients = {actor: Client() for actor in ACTORS}
    got, wanted = {}, {}
    for cases in table.values():
        for case_ in cases:
            url = case_.url.format(**world["ids"])
            for actor, expected in zip(ACTORS, case_.expected, strict=True):
                user = world["users"][actor]
                # logged in again where a request (a logout) ended the session
                if user is not None and SESSION_KEY not in clients[actor].session:
                    clients[actor].force_login(user)
                response = getattr(clients[actor], case_.method)(url)
                key = f"{case_.method.upper()} {url} as {actor}"
                got[key], wanted[key] = outcome(response), expected
    wrong = [f"{key}: got {got[key]}, expected {wanted[key]}" for key in got if got[key] != wanted[key]]
    assert wrong == [], "\n".join(wrong)
