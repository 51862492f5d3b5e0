"""API v1 attempts: shapes, stable error codes (400, never 500), and ownership."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from ml.islr_io import write_sequence
from practice.conftest import BAD_CLIP_CODES, as_json
from practice.grading import attempt_grade
from practice.models import Attempt

pytestmark = pytest.mark.usefixtures("curriculum")


def video(path, name="clip.mp4"):
    return SimpleUploadedFile(name, path.read_bytes())


def test_video_attempt_is_accepted_then_read_back(api, rain_clip, sent_tasks):
    response = api.post("/api/v1/attempts/", {"sign": "rain", "video": video(rain_clip)}, format="multipart")
    assert response.status_code == 202
    assert response.json() == {"id": Attempt.objects.get().pk, "status": "queued"}
    body = api.get(f"/api/v1/attempts/{response.json()['id']}/").json()
    assert (body["sign"], body["status"], body["failure_reason"], body["result"]) == (
        "rain",
        "queued",
        None,
        None,
    )


def test_graded_attempt_has_the_documented_result(api, hamlet, cloud_landmarks, pinned_model, sent_tasks):
    response = api.post(
        "/api/v1/attempts/", {"sign": "cloud", "landmarks": as_json(cloud_landmarks)}, format="json"
    )
    assert response.status_code == 202
    attempt_grade(attempt_id=response.json()["id"])
    body = api.get(f"/api/v1/attempts/{response.json()['id']}/").json()
    result = body["result"]
    assert body["status"] == "graded"
    assert set(result) == {"passed", "rank", "xp", "top10", "detected", "model_version", "signs"}
    assert result["signs"] == []  # per-sign verdicts are for phrase attempts
    assert (result["passed"], result["rank"], result["xp"]) == (True, 1, 20)
    assert set(result["top10"][0]) == {"sign", "score"} and result["top10"][0]["sign"] == "cloud"
    assert result["model_version"] == "gislr-kittu89-test"
    listing = api.get("/api/v1/attempts/").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == body["id"]


def test_landmarks_files_parquet_and_json(api, cloud_landmarks, tmp_path, sent_tasks):
    write_sequence(cloud_landmarks, tmp_path / "seq.parquet")
    parquet = SimpleUploadedFile("seq.parquet", (tmp_path / "seq.parquet").read_bytes())
    assert (
        api.post("/api/v1/attempts/", {"sign": "cloud", "landmarks": parquet}, format="multipart").status_code
        == 202
    )
    json_file = SimpleUploadedFile("seq.json", json.dumps(as_json(cloud_landmarks)).encode())
    assert (
        api.post(
            "/api/v1/attempts/", {"sign": "cloud", "landmarks": json_file}, format="multipart"
        ).status_code
        == 202
    )
    assert [a.source for a in Attempt.objects.all()] == ["landmarks", "landmarks"]
    assert all(a.landmarks.name.endswith(".parquet") for a in Attempt.objects.all())


@pytest.mark.parametrize(
    ("payload", "fmt", "code"),
    [
        ({"sign": "unicorn", "landmarks": [[[0.5, 0.5, 0.0]] * 543]}, "json", "unknown_sign"),
        ({"landmarks": [[[0.5, 0.5, 0.0]] * 543]}, "json", "invalid"),
        ({"sign": "cloud"}, "json", "invalid"),
        ({"sign": "cloud", "landmarks": [[[0.5, 0.5]] * 543]}, "json", "invalid_landmarks"),
        ({"sign": "cloud", "landmarks": []}, "json", "invalid_landmarks"),
        ({"sign": "cloud", "landmarks": "[[1, 2"}, "json", "invalid_landmarks"),
        ([1, 2, 3], "json", "invalid"),
    ],
)
def test_bad_requests_are_400_with_a_stable_code(api, payload, fmt, code):
    response = api.post("/api/v1/attempts/", payload, format=fmt)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code and response.json()["detail"]
    assert Attempt.objects.count() == 0


@pytest.mark.parametrize(("clip", "code"), BAD_CLIP_CODES)
def test_bad_videos_are_400_with_their_reason(api, bad_clips, clip, code):
    response = api.post(
        "/api/v1/attempts/", {"sign": "rain", "video": video(bad_clips[clip])}, format="multipart"
    )
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_oversized_video_is_too_large(api, rain_clip, settings):
    settings.SIGNLEARN_MAX_UPLOAD_BYTES = 10_000
    response = api.post("/api/v1/attempts/", {"sign": "rain", "video": video(rain_clip)}, format="multipart")
    assert (response.status_code, response.json()["code"]) == (413, "too_large")


def test_malformed_json_body_is_400(api):
    response = api.post(
        "/api/v1/attempts/", data=io.BytesIO(b"{not json").read(), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_another_account_gets_404_and_anonymous_401(api, ophelia, cloud_landmarks, sent_tasks):
    attempt_id = api.post(
        "/api/v1/attempts/", {"sign": "cloud", "landmarks": as_json(cloud_landmarks[:5])}, format="json"
    ).json()["id"]
    other = APIClient()
    other.force_authenticate(ophelia.user)
    response = other.get(f"/api/v1/attempts/{attempt_id}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert other.get("/api/v1/attempts/").json()["count"] == 0
    assert APIClient().get(f"/api/v1/attempts/{attempt_id}/").status_code == 401
