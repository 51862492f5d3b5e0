"""Liveness and readiness endpoints."""

import pytest

from conftest import SHARED_MODELS_DIR
from core.testing.worker import use_broker_url
from signlearn import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_each_part_when_ready(client, settings):
    model_dir = SHARED_MODELS_DIR / "gislr-kittu89"
    if not (model_dir / "model.tflite").exists():
        pytest.skip(f"needs a Kaggle-contract model at {model_dir}")
    settings.SIGNLEARN_MODEL_DIR = model_dir
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "model"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["model"]["info"]["labels"] == 250
    assert body["checks"]["broker"]["info"]["transport"] in {"filesystem", "redis"}


def test_readyz_is_503_and_names_the_part_that_is_not_ready(client, monkeypatch):
    def no_model():
        raise FileNotFoundError("no model.tflite in /nowhere")

    monkeypatch.setattr(health, "_active_predictor", no_model)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["model"] == {
        "ok": False,
        "detail": "FileNotFoundError: no model.tflite in /nowhere",
        "ms": body["checks"]["model"]["ms"],
        "info": {},
    }
    assert body["checks"]["database"]["ok"] is True


@pytest.fixture
def broker_restored():
    """Put the Celery app's broker back as it was after the test (URLs, options and pooled connections),
    so later tests don't inherit a bogus broker."""
    from signlearn.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options
    yield
    use_broker_url(*saved)


def test_readyz_reports_an_unreachable_broker(client, broker_restored, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it).
    use_broker_url("redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(
        health, "_active_predictor", lambda: type("P", (), {"version": "v", "labels": [""]})()
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and "127.0.0.1:1" in broker["detail"]
