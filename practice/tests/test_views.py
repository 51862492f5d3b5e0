"""The practice panel and attempt pages: upload, status polling, results, and who may see what."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lessons.models import Sign
from practice.grading import attempt_grade
from practice.models import Attempt
from practice.services import attempt_create_from_landmarks

pytestmark = pytest.mark.usefixtures("curriculum")


def clip_upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile("recording.webm", path.read_bytes(), content_type="video/webm")


@pytest.fixture
def graded(hamlet, cloud_landmarks, pinned_model, sent_tasks) -> Attempt:
    attempt = attempt_create_from_landmarks(
        learner=hamlet, sign=Sign.objects.get(name="cloud"), data=cloud_landmarks
    )
    return attempt_grade(attempt_id=attempt.pk)


def test_sign_page_has_recorder_upload_and_recent_tries(hamlet_client, graded):
    page = hamlet_client.get(reverse("sign-detail", args=["cloud"])).content.decode()
    assert "data-recorder" in page and 'data-action="record"' in page
    assert f'action="{reverse("attempt-submit", args=["cloud"])}"' in page
    assert "Your recent tries" in page and "passed · rank 1" in page
    assert "js/practice.js" in page and "csrfmiddlewaretoken" in page


def test_upload_without_javascript_redirects_to_the_attempt(
    hamlet_client, rain_clip, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = hamlet_client.post(
            reverse("attempt-submit", args=["rain"]), {"video": clip_upload(rain_clip)}
        )
    attempt = Attempt.objects.get()
    assert response.status_code == 302 and response.url == reverse("attempt-detail", args=[attempt.pk])
    assert sent_tasks == [attempt.pk]
    page = hamlet_client.get(response.url).content.decode()
    assert "Waiting for a grader" in page and 'http-equiv="refresh"' in page


def test_upload_from_the_script_gets_json(hamlet_client, rain_clip, bad_clips, sent_tasks):
    url = reverse("attempt-submit", args=["rain"])
    accepted = hamlet_client.post(
        url, {"video": clip_upload(rain_clip)}, headers={"accept": "application/json"}
    )
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "queued" and body["status_url"] == reverse("attempt-status", args=[body["id"]])

    refused = hamlet_client.post(
        url, {"video": clip_upload(bad_clips["corrupt"])}, headers={"accept": "application/json"}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unreadable_video"
    missing = hamlet_client.post(url, {}, headers={"accept": "application/json"})
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_upload"
    assert Attempt.objects.count() == 1


def test_the_web_form_shares_the_apis_upload_limit(hamlet, hamlet_client, rain_clip, sent_tasks, settings):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"uploads": "2/min"}}
    url = reverse("attempt-submit", args=["rain"])
    json_ = {"accept": "application/json"}
    assert hamlet_client.post(url, {"video": clip_upload(rain_clip)}, headers=json_).status_code == 202
    api = APIClient()
    api.force_authenticate(hamlet.user)
    assert api.post("/api/v1/attempts/", {"sign": "rain", "video": clip_upload(rain_clip)}).status_code == 202

    throttled = hamlet_client.post(url, {"video": clip_upload(rain_clip)}, headers=json_)
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert "try again in" in throttled.json()["detail"]
    page = hamlet_client.post(url, {"video": clip_upload(rain_clip)}, follow=True).content.decode()
    assert "That is a lot of clips in a short time" in page
    assert Attempt.objects.count() == 2  # nothing stored past the limit


def test_refused_upload_without_javascript_shows_a_message(hamlet_client, bad_clips):
    response = hamlet_client.post(
        reverse("attempt-submit", args=["rain"]), {"video": clip_upload(bad_clips["too_long"])}, follow=True
    )
    assert response.status_code == 200 and "limit is 15 s" in response.content.decode()


def test_status_carries_the_rendered_result_once_graded(hamlet_client, graded):
    body = hamlet_client.get(reverse("attempt-status", args=[graded.pk])).json()
    assert body["status"] == "graded" and body["failure_reason"] is None
    html = body["html"]
    assert "Passed!" in html and "+20 XP" in html and "Spot on" in html
    assert html.count("<li") >= 10 and 'class="is-target"' in html
    assert reverse("attempt-media", args=[graded.pk, "replay"]) in html


def test_failed_attempt_explains_why(hamlet_client, hamlet, cloud_landmarks, pinned_model, sent_tasks):
    data = cloud_landmarks.copy()
    data[:, 468:489] = float("nan")
    data[:, 522:543] = float("nan")
    attempt = attempt_create_from_landmarks(learner=hamlet, sign=Sign.objects.get(name="cloud"), data=data)
    attempt_grade(attempt_id=attempt.pk)
    html = hamlet_client.get(reverse("attempt-status", args=[attempt.pk])).json()["html"]
    assert "We could not see your hands" in html and "We saw your hands in only 0 % of the frames." in html


def test_only_owner_and_staff_see_an_attempt_and_its_media(client, hamlet, ophelia, iago, graded):
    urls = [
        reverse("attempt-detail", args=[graded.pk]),
        reverse("attempt-status", args=[graded.pk]),
        reverse("attempt-media", args=[graded.pk, "replay"]),
        reverse("attempt-media", args=[graded.pk, "thumbnail"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(ophelia.user)
    assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    client.force_login(iago.user)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]
    client.force_login(hamlet.user)
    replay = client.get(urls[2])
    assert replay["Content-Type"] == "video/mp4" and b"ftyp" in b"".join(replay.streaming_content)[:64]
    assert client.get(urls[3])["Content-Type"] == "image/png"
    # no raw clip for a landmarks attempt, and unknown kinds are not files
    assert client.get(reverse("attempt-media", args=[graded.pk, "video"])).status_code == 404
    assert client.get(reverse("attempt-media", args=[graded.pk, "landmarks"])).status_code == 404


def test_result_waits_for_the_replay_drawn_after_the_grade(hamlet_client, graded):
    Attempt.objects.filter(pk=graded.pk).update(replay="")
    body = hamlet_client.get(reverse("attempt-status", args=[graded.pk])).json()
    assert body["status"] == "graded" and body["replay_pending"] is True
    assert "Drawing the side-by-side replay" in body["html"] and "Passed!" in body["html"]
    page = hamlet_client.get(reverse("attempt-detail", args=[graded.pk])).content.decode()
    assert 'http-equiv="refresh"' in page  # the page without script reloads until the replay is there


def test_an_empty_file_is_called_empty(hamlet_client):
    url = reverse("attempt-submit", args=["rain"])
    empty = SimpleUploadedFile("clip.mp4", b"", content_type="video/mp4")
    response = hamlet_client.post(url, {"video": empty}, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_upload", "detail": "The file is empty: choose a video."}


def test_the_model_that_graded_is_shown_to_staff_not_parents(hamlet_client, graded):
    url = reverse("attempt-detail", args=[graded.pk])
    assert "· model " not in hamlet_client.get(url).content.decode()
    graded.learner.user.is_staff = True  # the same family, now also an admin of the site
    graded.learner.user.save()
    assert "· model gislr-kittu89-test" in hamlet_client.get(url).content.decode()


# Moved from accounts/tests/test_accounts.py: the learner's time zone, shown on an attempt's page.
def test_pages_show_times_in_the_learners_time_zone(client, ophelia, curriculum):
    from datetime import UTC, datetime

    from lessons.models import Sign
    from practice.models import Attempt

    # 02:11 UTC on Thursday is 21:11 on Wednesday in New York, where Ophelia practises.
    attempt = Attempt.objects.create(learner=ophelia, sign=Sign.objects.get(name="rain"))
    Attempt.objects.filter(pk=attempt.pk).update(created_at=datetime(2026, 11, 26, 2, 11, tzinfo=UTC))
    client.force_login(ophelia.user)

    page = client.get(reverse("attempt-detail", args=[attempt.pk])).content.decode()

    assert "Nov. 25, 2026, 9:11 p.m." in page and "2:11 a.m." not in page
    assert "Nov 25, 21:11" in client.get(reverse("sign-detail", args=["rain"])).content.decode()
