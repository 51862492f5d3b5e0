"""A broker or cache outage during an upload: the clip is kept and graded later, or refused with 503.

The outage is real: the Celery app (or the cache) points at a local port where nothing listens.
"""

import socket
from contextlib import contextmanager

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from core.testing.worker import use_broker_url
from practice.models import Attempt
from practice.recovery import attempts_requeue_stuck

pytestmark = pytest.mark.usefixtures("curriculum")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def broker_down():
    """The Celery app's broker is unreachable (connection refused) inside the block."""
    from core.testing.worker import celery_app

    app = celery_app()

    saved = app.conf.broker_url, app.conf.broker_transport_options
    use_broker_url(f"redis://127.0.0.1:{closed_port()}/0", {"visibility_timeout": 60})
    try:
        yield
    finally:
        use_broker_url(*saved)


@pytest.fixture
def api(hamlet):
    client = APIClient()
    client.force_authenticate(hamlet.user)
    return client


def clip(path) -> SimpleUploadedFile:
    return SimpleUploadedFile("clip.mp4", path.read_bytes())


def post_api(api, rain_clip):
    return api.post("/api/v1/attempts/", {"sign": "rain", "video": clip(rain_clip)}, format="multipart")


def post_form(client, rain_clip):
    url = reverse("attempt-submit", args=["rain"])
    return client.post(url, {"video": clip(rain_clip)}, headers={"accept": "application/json"})


@pytest.mark.parametrize("via", ["api", "web form"])
def test_upload_during_a_broker_outage_is_kept_and_sent_when_it_returns(
    api, hamlet_client, rain_clip, monkeypatch, django_capture_on_commit_callbacks, via
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = post_api(api, rain_clip) if via == "api" else post_form(hamlet_client, rain_clip)

    assert response.status_code == 202
    attempt = Attempt.objects.get()
    assert (attempt.status, attempt.queued_at) == (Attempt.Status.UPLOADED, None)  # stored, not queued
    assert default_storage.exists(attempt.video.name)

    sent: list[int] = []  # the broker is back: the periodic requeue sends it
    monkeypatch.setattr("practice.tasks.grade_attempt_task.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_requeue_stuck() == 1
    assert sent == [attempt.pk]
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.QUEUED and default_storage.exists(attempt.video.name)


def test_requeue_during_the_outage_keeps_the_attempt_for_the_next_run(
    api, rain_clip, django_capture_on_commit_callbacks
):
    with broker_down():
        with django_capture_on_commit_callbacks(execute=True):
            post_api(api, rain_clip)
        with django_capture_on_commit_callbacks(execute=True):
            assert attempts_requeue_stuck() == 1  # tried, and failed to send
    assert Attempt.objects.get().status == Attempt.Status.UPLOADED


@pytest.fixture
def cache_down(settings):
    location = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }


@pytest.mark.parametrize("via", ["api", "web form"])
def test_upload_when_the_rate_limit_cache_is_down_is_refused_with_503(
    api, hamlet_client, rain_clip, cache_down, sent_tasks, via
):
    stored = stored_clips()
    response = post_api(api, rain_clip) if via == "api" else post_form(hamlet_client, rain_clip)
    assert response.status_code == 503
    assert response.json()["code"] == "cache_unavailable"
    assert not Attempt.objects.exists() and sent_tasks == [] and stored_clips() == stored


def stored_clips() -> list[str]:
    return default_storage.listdir("attempts/video")[1] if default_storage.exists("attempts/video") else []
