"""A phrase attempt over API v1, graded sign by sign and counted once into progress (one review per
sign). Moved from practice/tests/test_phrase_attempts.py: it reads progress, the app above practice."""

import pytest

from lessons.models import Phrase
from practice.conftest import PHRASE_SLUG, as_json
from practice.grading import attempt_grade
from progress.models import ProgressEvent, SignProgress
from progress.rules import phrase_xp

pytestmark = pytest.mark.usefixtures("curriculum")


@pytest.fixture
def phrase() -> Phrase:
    return Phrase.objects.get(slug=PHRASE_SLUG)


def test_a_phrase_attempt_is_graded_sign_by_sign_and_read_back(
    api, hamlet, phrase, dad_go_bed_landmarks, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/attempts/",
            {"phrase": phrase.pk, "landmarks": as_json(dad_go_bed_landmarks)},
            format="json",
        )
    assert response.status_code == 202, response.json()
    attempt_id = response.json()["id"]
    assert sent_tasks == [attempt_id]
    queued = api.get(f"/api/v1/attempts/{attempt_id}/").json()
    assert (queued["sign"], queued["phrase"], queued["status"]) == (None, phrase.pk, "queued")

    attempt_grade(attempt_id=attempt_id)

    body = api.get(f"/api/v1/attempts/{attempt_id}/").json()
    result = body["result"]
    assert body["status"] == "graded", body
    assert [s["sign"] for s in result["signs"]] == ["dad", "go", "bed"]
    assert set(result["signs"][0]) == {"sign", "found", "rank", "start_s", "end_s"}
    assert all(s["found"] and 1 <= s["rank"] <= 10 for s in result["signs"]), result["signs"]
    spans = [(s["start_s"], s["end_s"]) for s in result["signs"]]
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))
    assert spans[-1][1] <= len(dad_go_bed_landmarks) / 15 + 0.1  # seconds at the grading rate
    assert result["passed"] is True and result["rank"] is None and result["top10"] == []
    assert result["xp"] == phrase_xp(result["signs"])
    # Counted once, one review per sign
    assert ProgressEvent.objects.get().phrase_id == phrase.pk
    assert sorted(SignProgress.objects.values_list("sign__name", "attempts")) == [
        ("bed", 1),
        ("dad", 1),
        ("go", 1),
    ]
    listed = api.get("/api/v1/attempts/").json()["results"]
    assert [(a["id"], a["phrase"]) for a in listed] == [(attempt_id, phrase.pk)]
