"""Phrase exercises in the curriculum: data file, idempotent loading, course map, phrase page, admin."""

import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from lessons.models import Phrase, PhraseSign, Sign, TutorialVideo, Unit
from lessons.services import DATA_DIR, curriculum_load

pytestmark = pytest.mark.django_db


def test_every_unit_ends_with_two_to_four_phrases_of_signs_already_taught(curriculum):
    taught: set[str] = set()
    for unit in Unit.objects.order_by("order"):
        taught |= set(Sign.objects.filter(lesson__unit=unit).values_list("name", flat=True))
        phrases = list(unit.phrases.order_by("order"))
        assert 2 <= len(phrases) <= 4, unit.slug
        for phrase in phrases:
            names = list(phrase.items.order_by("position").values_list("sign__name", flat=True))
            assert 2 <= len(names) <= 4 and set(names) <= taught, phrase.slug
            assert len(phrase.gloss.split()) == len(names) and phrase.meaning.endswith((".", "?", "!"))
    assert [i.sign.name for i in Phrase.objects.get(gloss="DAD GO BED").items.order_by("position")] == [
        "dad",
        "go",
        "bed",
    ]


def test_loading_twice_keeps_phrases_and_an_admins_phrase(curriculum):
    data = json.loads((DATA_DIR / "curriculum.json").read_text(encoding="utf-8"))
    n_phrases = sum(len(unit["phrases"]) for unit in data["units"])
    assert Phrase.objects.count() == n_phrases
    phrases = list(Phrase.objects.order_by("id").values_list("id", "slug", "unit_id", "order"))
    items = set(PhraseSign.objects.values_list("id", "phrase_id", "sign_id", "position"))
    unit = Unit.objects.get(slug="daily-routines")
    Phrase.objects.filter(slug="dad-go-bed").update(order=7)  # an admin re-ordered it ...
    ours = Phrase.objects.create(
        unit=unit, slug="dad-sleep", order=1, gloss="DAD SLEEP", meaning="Dad sleeps."
    )
    ours.items.create(sign=Sign.objects.get(name="dad"), position=1)
    ours.items.create(sign=Sign.objects.get(name="sleep"), position=2)  # ... and added one in its slot
    PhraseSign.objects.filter(phrase__slug="milk-please", position=2).delete()

    result = curriculum_load()

    assert result.phrases == n_phrases
    assert (
        list(Phrase.objects.exclude(pk=ours.pk).order_by("id").values_list("id", "slug", "unit_id", "order"))
        == phrases
    )
    after = set(PhraseSign.objects.exclude(phrase=ours).values_list("id", "phrase_id", "sign_id", "position"))
    assert {row[1:] for row in after} == {row[1:] for row in items}  # the deleted sign is back
    assert len(after & items) == len(items) - 1  # and nothing else was re-created
    ours.refresh_from_db()
    assert ours.order == len(unit.phrases.all()) and ours.items.count() == 2  # kept, after the data's phrases


def test_the_phrase_page_plays_its_signs_tutorials_back_to_back_then_the_whole_phrase(
    hamlet_client, curriculum
):
    dad_go_bed = Phrase.objects.get(slug="dad-go-bed")
    tutorials = {}
    for name in ("dad", "bed"):  # "go" has no video yet
        tutorial = TutorialVideo(sign=Sign.objects.get(name=name), title=name)
        tutorial.file.save(f"{name}.mp4", ContentFile(b"clip"), save=True)
        tutorials[name] = tutorial
    url = reverse("phrase-detail", args=[dad_go_bed.slug])

    page = hamlet_client.get(url).content.decode()

    clips = [reverse("tutorial-media", args=[tutorials[n].pk]) for n in ("dad", "bed")]
    assert page.index(f'data-clip="{clips[0]}"') < page.index(f'data-clip="{clips[1]}"')
    assert "(no video yet)" in page and "js/phrase.js" in page and "<script>" not in page
    assert f'action="{reverse("phrase-attempt-submit", args=[dad_go_bed.slug])}"' in page
    assert 'data-max-seconds="12"' in page and "phrase-video" not in page

    dad_go_bed.video.save("whole.mp4", ContentFile(b"whole phrase"), save=True)
    assert dad_go_bed.video.name.startswith("phrases/") and "whole" not in dad_go_bed.video.name
    video_url = reverse("phrase-video", args=[dad_go_bed.slug])
    assert f'data-clip="{video_url}"' in hamlet_client.get(url).content.decode()
    assert hamlet_client.get(video_url).status_code == 200
    assert Client().get(video_url).status_code == 302  # signed-in learners only
    assert hamlet_client.get(reverse("phrase-detail", args=["no-such-phrase"])).status_code == 404


def test_admins_add_a_phrase_with_its_signs_inline(client, iago, curriculum):
    client.force_login(iago.user)
    unit = Unit.objects.get(slug="questions-and-little-words")
    mom, where = Sign.objects.get(name="mom"), Sign.objects.get(name="where")
    form = {
        "unit": unit.pk, "slug": "mom-where", "order": 9, "gloss": "MOM WHERE", "meaning": "Where is Mom?",
        "items-TOTAL_FORMS": 2, "items-INITIAL_FORMS": 0, "items-MIN_NUM_FORMS": 2, "items-MAX_NUM_FORMS": 4,
        "items-0-position": 1, "items-0-sign": mom.pk, "items-1-position": 2, "items-1-sign": where.pk,
    }  # fmt: skip

    response = client.post(reverse("admin:lessons_phrase_add"), form)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    phrase = Phrase.objects.get(slug="mom-where")
    assert [i.sign.name for i in phrase.items.order_by("position")] == ["mom", "where"]
    assert client.get(reverse("admin:lessons_phrase_change", args=[phrase.pk])).status_code == 200
    assert client.get(reverse("admin:lessons_phrase_changelist")).status_code == 200
