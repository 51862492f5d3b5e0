"""Evaluation and training runs are claimed with one conditional UPDATE: never run twice at once."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from registry.models import EvaluationRun, TrainingRun
from registry.services import evaluation
from registry.services.evaluation import evaluation_run_execute, evaluation_run_queue
from registry.services.retraining import training_run_execute
from registry.tasks import evaluate_model_task

from .conftest import make_tutorial


@pytest.fixture
def evaluation_set(curriculum, real_sequences):
    for sign, path in real_sequences.items():
        make_tutorial(sign, path, evaluation=True)
    return evaluation.evaluation_set_build()


def test_a_second_delivery_during_an_evaluation_does_not_score_it_again(
    registered, evaluation_set, monkeypatch, django_capture_on_commit_callbacks
):
    kittu = registered["kittu"]
    with django_capture_on_commit_callbacks(execute=False):
        run = evaluation_run_queue(model_version=kittu)
    loaded = []
    load = evaluation.model_version_classifier

    def load_and_redeliver(*, model_version):
        loaded.append(model_version.version)
        if len(loaded) == 1:  # the broker hands the same message to another worker meanwhile
            evaluate_model_task.run(run.pk)
        return load(model_version=model_version)

    monkeypatch.setattr(evaluation, "model_version_classifier", load_and_redeliver)
    evaluate_model_task.run(run.pk)

    assert loaded == ["kittu89"]  # the redelivery found it running and left it alone
    run.refresh_from_db()
    assert (run.status, run.n, run.top1) == (EvaluationRun.Status.DONE, 4, 1.0)


def test_an_evaluation_running_longer_than_its_time_limit_is_taken_over(registered, evaluation_set):
    kittu = registered["kittu"]
    run = EvaluationRun.objects.create(
        model_version=kittu, evaluation_set=evaluation_set, status=EvaluationRun.Status.RUNNING
    )
    EvaluationRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    assert evaluation_run_execute(model_version=kittu).status == EvaluationRun.Status.RUNNING  # alive

    stale = timezone.now() - timedelta(seconds=evaluation.EVALUATE_TIME_LIMIT_S + 61)
    EvaluationRun.objects.filter(pk=run.pk).update(started_at=stale)  # its worker was killed
    assert evaluation_run_execute(model_version=kittu).status == EvaluationRun.Status.DONE


def test_queueing_an_evaluation_that_is_running_sends_nothing(
    registered, evaluation_set, django_capture_on_commit_callbacks
):
    kittu = registered["kittu"]
    EvaluationRun.objects.create(
        model_version=kittu,
        evaluation_set=evaluation_set,
        status=EvaluationRun.Status.RUNNING,
        started_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = evaluation_run_queue(model_version=kittu)
    assert (run.status, callbacks) == (EvaluationRun.Status.RUNNING, [])


@pytest.mark.parametrize("status", [TrainingRun.Status.RUNNING, TrainingRun.Status.SUCCEEDED])
def test_a_training_run_that_is_not_queued_is_not_started_again(db, status):
    run = TrainingRun.objects.create(status=status, work_dir="var/training/run-first")
    after = training_run_execute(training_run_id=run.pk)
    assert (after.status, after.work_dir, after.log) == (status, "var/training/run-first", "")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs=0"], "epochs=0 is outside 1..2000"),
        (["--dim=4"], "dim=4 is outside 8..512"),
        (["--teacher=no-such-model"], "not a registered model version"),
    ],
)
@pytest.mark.parametrize("queue", [[], ["--queue"]])
def test_train_candidate_checks_its_parameters_as_the_admin_form_does(db, flags, message, queue):
    with pytest.raises(CommandError, match=message):
        call_command("train_candidate", *flags, *queue)
    assert not TrainingRun.objects.exists()
