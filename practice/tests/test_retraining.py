"""End to end: export -> train (TensorFlow) -> TFLite -> gate -> candidate, on the `trainer` queue
served by a real Celery worker started from the training venv (.venv-train), as in docker-compose."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from conftest import REPO_DIR
from core.testing.worker import worker_broker_folder
from ml.inference import validate_model
from practice.conftest import make_attempt
from registry.models import ModelVersion, TrainingRun
from registry.services.evaluation import evaluation_set_build
from registry.tests.conftest import (
    _fresh_predictor_cache,  # noqa: F401  (autouse, as in registry/tests)
    make_tutorial,
    set_consent,
    tiny_sequence_bytes,
)

TRAIN_PYTHON = REPO_DIR / ".venv-train" / "bin" / "python"

# one_backend: the export's queries run on both backends in test_export.py; this is the TensorFlow run.
pytestmark = [pytest.mark.slow, pytest.mark.one_backend, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trainer_worker(tmp_path):
    """`celery worker -Q trainer` from .venv-train on this test's database, media and broker."""
    if not TRAIN_PYTHON.exists():
        pytest.skip("needs the training venv with TensorFlow: `make train-venv` builds .venv-train")
    from core.testing.worker import WorkerProcess

    broker = worker_broker_folder("trainer")
    env = {
        **WorkerProcess(log_dir=tmp_path, broker_folder=broker).env(),
        "SIGNLEARN_VAR_DIR": str(tmp_path / "var"),
    }
    log_path = tmp_path / "trainer.log"
    command = [str(TRAIN_PYTHON), "-m", "celery", "-A", "signlearn", "worker", "-Q", "trainer"]
    command += [
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
    ]
    command += ["-n", f"trainer-test-{os.getpid()}@%h"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"trainer worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
    process.log_path = log_path
    yield process
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


def test_trainer_worker_retrains_and_registers_an_evaluated_candidate(
    registered, real_sequences, hamlet, trainer_worker, capsys
):
    make_tutorial("TV", real_sequences["TV"])
    make_tutorial("animal", real_sequences["animal"])
    set_consent(hamlet, True)
    make_attempt(hamlet, "dog", tiny_sequence_bytes(1, n_frames=12), rank=1)
    make_tutorial("bye", real_sequences["bye"], evaluation=True)
    make_tutorial("arm", real_sequences["arm"], evaluation=True)
    evaluation_set_build()

    tiny = [
        "--split=all",
        "--epochs=2",
        "--dim=32",
        "--blocks=1",
        "--frames=16",
        "--repeats=1",
        "--batch-size=4",
        "--teacher=prabhanjan",  # distilled from a registered reference model, as `make train` does
        "--recombined=1",
    ]
    # The teacher was registered with its video shape: retraining shows it clips as a crop of that shape.
    ModelVersion.objects.filter(pk=registered["prabhanjan"].pk).update(input_aspect=0.5625)
    call_command("train_candidate", "--queue", *tiny)
    assert "queued for the trainer worker" in capsys.readouterr().out

    run = TrainingRun.objects.get()
    deadline = time.monotonic() + 480
    while (
        run.status in (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING) and time.monotonic() < deadline
    ):
        time.sleep(1)
        run.refresh_from_db()
    worker_log = trainer_worker.log_path.read_text(errors="replace")[-3000:]
    assert run.status == TrainingRun.Status.SUCCEEDED, f"{run.error}\n{run.log[-3000:]}\n{worker_log}"
    assert (run.progress, run.stage) == (1.0, "done")
    assert "exported 2 tutorial and 1 attempt sequences (1 consenting learners)" in run.log
    assert "-m ml train" in run.log and "-m ml export" in run.log
    teacher_dir = Path(registered["prabhanjan"].file.path).parent
    assert (
        f"--teacher {teacher_dir} --distill 0.8 --recombined 1 --consistent --teacher-aspect 0.5625"
        in run.log
    )

    mv = run.result
    assert (mv.source, mv.status) == (ModelVersion.Source.TRAINED, ModelVersion.Status.CANDIDATE)
    assert mv.card["training_data"]["attempt_sequences"] == 1
    assert mv.card["metrics"]["epochs_run"] == 2
    assert mv.card["export"]["parity_top10_identical"] is True
    folder = Path(mv.file.path).parent
    assert validate_model(mv.file.path).sha256 == mv.sha256
    assert set(mv.card["plots"]) == {"curves.png", "part_weights.png"}
    assert all((folder / name).stat().st_size > 1000 for name in mv.card["plots"])
    assert json.loads((folder / "model_card.json").read_text())["version"] == mv.version
    # Scored on the gate's two evaluation clips, which were never exported for training.
    evaluation = mv.evaluations.get()
    assert (evaluation.status, evaluation.n) == ("done", 2)
    assert mv.metrics["n"] == 2
