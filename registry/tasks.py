"""Celery entry points for the registry: thin wrappers around services (STYLE: tasks are an interface)."""

from celery import shared_task

from .models import EvaluationRun
from .services.evaluation import EVALUATE_SOFT_TIME_LIMIT_S, EVALUATE_TIME_LIMIT_S, evaluation_run_execute
from .services.retraining import training_run_execute


# Acknowledged late, so a killed worker's run is delivered again (after the broker's visibility
# timeout, which outlasts the time limit); the service's claim keeps two deliveries from running it
# twice at once.
@shared_task(
    name="registry.evaluate_model",
    acks_late=True,
    soft_time_limit=EVALUATE_SOFT_TIME_LIMIT_S,
    time_limit=EVALUATE_TIME_LIMIT_S,
)
def evaluate_model_task(evaluation_run_id: int) -> None:
    run = (
        EvaluationRun.objects.select_related("model_version", "evaluation_set")
        .filter(pk=evaluation_run_id)
        .first()
    )
    if run is None or run.status == EvaluationRun.Status.DONE:
        return  # deleted meanwhile, or already scored (a redelivery)
    evaluation_run_execute(model_version=run.model_version, evaluation_set=run.evaluation_set)


# Routed to the `trainer` queue by the caller (services.retraining.training_run_start), which only a
# worker started from the training venv consumes: the web image has no TensorFlow. Acknowledged on receipt,
# unlike grading: hours of training are not started again behind a crash, and the service claims the
# run (queued -> running) so a second delivery never trains it twice. A run whose worker died stays
# "running"; start a new one.
@shared_task(
    name="registry.train_candidate", acks_late=False, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 300
)
def train_candidate_task(training_run_id: int) -> None:
    training_run_execute(training_run_id=training_run_id)
