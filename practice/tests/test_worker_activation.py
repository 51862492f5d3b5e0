"""A real Celery worker switches models when one is activated, without a restart."""

import time

import pytest

from core.testing.worker import worker_broker_folder
from lessons.models import Sign
from ml.islr_io import read_sequence
from practice.models import Attempt
from registry.services.activation import configuration_activate
from registry.tests.conftest import _fresh_predictor_cache  # noqa: F401  (autouse, as in registry/tests)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    from core.testing.worker import WorkerProcess

    process = WorkerProcess(log_dir=tmp_path, broker_folder=worker_broker_folder("celery")).start()
    yield process
    process.stop()


def graded(attempt: Attempt, worker, timeout: float = 120) -> Attempt:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attempt.refresh_from_db()
        if attempt.status in (Attempt.Status.GRADED, Attempt.Status.FAILED):
            return attempt
        time.sleep(0.3)
    raise AssertionError(f"attempt {attempt.pk} still {attempt.status}; worker log:\n{worker.log()[-3000:]}")


def test_worker_grades_with_the_newly_activated_model(curriculum, registered, real_sequences, hamlet, worker):
    from practice.services import attempt_create_from_landmarks

    tv = read_sequence(real_sequences["TV"])
    sign = Sign.objects.get(name="TV")
    configuration_activate(members=[(registered["kittu"], 1.0)], override=True)
    first = graded(attempt_create_from_landmarks(learner=hamlet, sign=sign, data=tv), worker)
    assert first.status == Attempt.Status.GRADED, first.failure_detail
    assert (first.result.model_version, first.result.rank, first.result.top10[0]["sign"]) == (
        "kittu89",
        1,
        "TV",
    )

    configuration_activate(members=[(registered["prabhanjan"], 1.0)], override=True)
    second = graded(attempt_create_from_landmarks(learner=hamlet, sign=sign, data=tv), worker)
    assert (second.result.model_version, second.result.top10[0]["sign"]) == ("prabhanjan", "boat")
    assert second.result.rank != 1
    assert worker.running()  # the same worker process, never restarted
    assert worker.log().count(" ready.") == 1
