"""Phrase attempts over API v1 and the page endpoint: creation, refusals, the per-sign result, the
one-target constraint. Graded in this process with the shipped model (the registry's default)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from lessons.models import Phrase, Sign
from practice.conftest import PHRASE_SLUG
from practice.grading import attempt_grade
from practice.models import Attempt

pytestmark = pytest.mark.usefixtures("curriculum")


@pytest.fixture
def phrase() -> Phrase:
    return Phrase.objects.get(slug=PHRASE_SLUG)


def test_a_swapped_sign_is_not_passed_and_the_page_shows_each_verdict(
    hamlet_client, hamlet, dad_go_bed_landmarks, sent_tasks
):
    from practice.phrases import phrase_attempt_create_from_landmarks

    dad, milk, bed = (Sign.objects.get(name=n) for n in ("dad", "milk", "bed"))
    swapped = Phrase.objects.create(unit=Phrase.objects.get(slug=PHRASE_SLUG).unit, slug="dad-milk-bed",
                                    order=99, gloss="DAD MILK BED", meaning="test")  # fmt: skip
    for position, sign in enumerate((dad, milk, bed), start=1):
        swapped.items.create(sign=sign, position=position)
    attempt = phrase_attempt_create_from_landmarks(learner=hamlet, phrase=swapped, data=dad_go_bed_landmarks)

    attempt = attempt_grade(attempt_id=attempt.pk)

    assert [(s["sign"], s["found"]) for s in attempt.result.signs] == [
        ("dad", True),
        ("milk", False),
        ("bed", True),
    ]
    assert attempt.result.passed is False
    page = hamlet_client.get(f"/practice/attempts/{attempt.pk}/").content.decode()
    assert page.count('data-found="true"') == 2 and page.count('data-found="false"') == 1
    assert "2 of 3 signs found" in page and "“Milk”" in page
    assert 'class="phrase-timeline"' in page


def test_phrase_attempt_refusals_are_400_with_stable_codes(
    api, phrase, sent_tasks, django_capture_on_commit_callbacks
):
    one_frame = [[[0.5, 0.5, 0.0]] * 543]
    cases = [
        ({"phrase": 999999, "landmarks": one_frame}, "unknown_phrase"),
        ({"phrase": "dad-go-bed", "landmarks": one_frame}, "unknown_phrase"),
        ({"phrase": phrase.pk, "sign": "dad", "landmarks": one_frame}, "invalid"),
        ({"phrase": phrase.pk}, "invalid"),
        ({"phrase": phrase.pk, "landmarks": [[[1, 2]]]}, "invalid_landmarks"),
    ]
    for body, code in cases:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/attempts/", body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, code), body
    assert not Attempt.objects.exists() and not sent_tasks


def test_a_phrase_clip_may_be_longer_than_a_sign_clip(api, hamlet_client, phrase, bad_clips, sent_tasks):
    """17 s: refused for one sign (15 s at most), accepted for a phrase (20 s at most)."""
    long_clip = bad_clips["too_long"]

    def clip():
        return SimpleUploadedFile("long.mp4", long_clip.read_bytes())

    as_sign = api.post("/api/v1/attempts/", {"sign": "dad", "video": clip()}, format="multipart")
    assert (as_sign.status_code, as_sign.json()["code"]) == (400, "too_long")
    as_phrase = api.post("/api/v1/attempts/", {"phrase": phrase.pk, "video": clip()}, format="multipart")
    assert as_phrase.status_code == 202
    page = hamlet_client.post(
        f"/practice/phrases/{phrase.slug}/attempts/", {"video": clip()}, HTTP_ACCEPT="application/json"
    )
    assert page.status_code == 202 and page.json()["status"] == "queued"
    assert Attempt.objects.filter(phrase=phrase, sign__isnull=True).count() == 2


def test_an_attempt_targets_exactly_one_sign_or_one_phrase(hamlet, phrase):
    dad = Sign.objects.get(name="dad")
    for fields in ({}, {"sign": dad, "phrase": phrase}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(learner=hamlet, **fields)
    Attempt.objects.create(learner=hamlet, sign=dad)
    Attempt.objects.create(learner=hamlet, phrase=phrase)


def test_another_family_cannot_see_a_phrase_attempt(client, hamlet, ophelia, phrase):
    attempt = Attempt.objects.create(learner=hamlet, phrase=phrase, status=Attempt.Status.GRADED)
    client.force_login(ophelia.user)
    for url in (
        f"/practice/attempts/{attempt.pk}/",
        f"/practice/attempts/{attempt.pk}/status/",
        f"/practice/attempts/{attempt.pk}/media/video/",
    ):
        assert client.get(url).status_code == 404, url
    client.force_login(hamlet.user)
    assert client.get(f"/practice/attempts/{attempt.pk}/status/").status_code == 200


def test_the_phrase_list_and_detail_endpoints_give_the_signs_in_order(api, phrase):
    listed = api.get("/api/v1/phrases/", {"unit": "daily-routines"}).json()
    assert [p["slug"] for p in listed["results"]] == ["dad-go-bed", "milk-please", "bath-finish"]
    body = api.get(f"/api/v1/phrases/{phrase.pk}/").json()
    assert (body["gloss"], body["meaning"], body["unit"], body["video_url"]) == (
        "DAD GO BED",
        "Dad is going to bed.",
        "daily-routines",
        None,
    )
    assert [(s["position"], s["name"]) for s in body["signs"]] == [(1, "dad"), (2, "go"), (3, "bed")]
    assert api.get("/api/v1/phrases/999999/").status_code == 404
