"""The real Celery worker as pytest fixtures, loaded once for the whole suite by the root conftest.py.

One fixture definition means one worker process per session, whichever app's tests ask for it (a
conftest that imported these fixtures would start a second worker on the same broker, and a test that
kills or reads the log of "its" worker could see the other one take its message).
"""

from pathlib import Path

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def grading_model_dir() -> Path:
    """The model the worker grades with by default (registry fallback); skip if it is absent."""
    folder = Path(settings.SIGNLEARN_MODEL_DIR)
    if not (folder / "model.tflite").exists():
        pytest.skip(f"needs a model at {folder}/model.tflite (set SIGNLEARN_MODEL_DIR to a model folder)")
    return folder


@pytest.fixture(scope="session")
def worker_process(django_db_setup, django_db_blocker, tmp_path_factory, grading_model_dir):
    """One real worker for the session (tests may kill it; `celery_worker` starts it again)."""
    from core.testing.worker import WorkerProcess

    broker_folder = None
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        broker_folder = settings.BROKER_DIR  # this session's own folder (settings/test.py)
    else:
        from core.testing.worker import celery_app

        celery_app().control.purge()  # leftovers of an earlier run would point at rows that no longer exist
    worker = WorkerProcess(log_dir=tmp_path_factory.mktemp("worker-logs"), broker_folder=broker_folder)
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(worker_process, transactional_db):
    """A running worker; tests using it commit for real (transactional_db) so the worker sees rows."""
    return worker_process.ensure_running()
