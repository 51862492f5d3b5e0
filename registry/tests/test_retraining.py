"""End to end: export -> train (TensorFlow, in .venv-train) -> TFLite -> gate -> candidate."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from conftest import REPO_DIR
from ml.inference import validate_model
from registry.models import ModelVersion, TrainingRun
from registry.services import evaluation_set_build

from .conftest import make_attempt, make_tutorial, tiny_sequence_bytes
from .test_export import set_consent

TRAIN_PYTHON = REPO_DIR / ".venv-train" / "bin" / "python"


@pytest.mark.slow
@pytest.mark.django_db
def test_tiny_retraining_run_registers_an_evaluated_candidate(curriculum, real_sequences, hamlet, capsys):
    if not TRAIN_PYTHON.exists():
        pytest.skip("needs the training venv with TensorFlow: `make train-venv` builds .venv-train")
    make_tutorial("TV", real_sequences["TV"])
    make_tutorial("animal", real_sequences["animal"])
    set_consent(hamlet, True)
    make_attempt(hamlet, "dog", tiny_sequence_bytes(1, n_frames=12), rank=1)
    make_tutorial("bye", real_sequences["bye"], evaluation=True)
    make_tutorial("arm", real_sequences["arm"], evaluation=True)
    evaluation_set_build()

    call_command(
        "train_candidate",
        "--split=all",
        "--epochs=2",
        "--dim=32",
        "--blocks=1",
        "--frames=16",
        "--repeats=1",
        "--batch-size=4",
    )

    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert (run.progress, run.stage) == (1.0, "done")
    assert "exported 2 tutorial and 1 attempt sequences (1 consenting learners)" in run.log
    mv = run.result
    assert (mv.source, mv.status) == (ModelVersion.Source.TRAINED, ModelVersion.Status.CANDIDATE)
    assert mv.card["training_data"]["attempt_sequences"] == 1
    assert mv.card["metrics"]["epochs_run"] == 2
    assert mv.card["export"]["parity_top10_identical"] is True
    folder = Path(mv.file.path).parent
    assert validate_model(mv.file.path).sha256 == mv.sha256
    assert {p for p in mv.card["plots"]} == {"curves.png", "part_weights.png"}
    assert all((folder / name).stat().st_size > 1000 for name in mv.card["plots"])
    assert json.loads((folder / "model_card.json").read_text())["version"] == mv.version
    # Scored on the gate's two evaluation clips, which were never exported for training.
    evaluation = mv.evaluations.get()
    assert evaluation.n == 2 and evaluation.status == "done"
    assert mv.metrics["n"] == 2
    assert f"registered candidate {mv.version}" in capsys.readouterr().out
