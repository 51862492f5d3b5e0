"""Celery entry points for practice: thin wrappers that pass an id to a service (STYLE: tasks)."""

import logging

from celery import shared_task
from celery.signals import task_received, worker_ready

from .errors import BROKER_ERRORS, TRANSIENT_ERRORS
from .grading import GRADE_SOFT_TIME_LIMIT_S, GRADE_TIME_LIMIT_S, attempt_grade
from .recovery import attempt_mark_taken, attempts_requeue_stuck
from .replay import attempt_media_render
from .services import clips_purge_expired
from .tutorial_qa import tutorial_check


@shared_task(
    name="practice.grade_attempt",
    acks_late=True,  # a worker killed mid-task leaves the message to be delivered again
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=GRADE_SOFT_TIME_LIMIT_S,
    time_limit=GRADE_TIME_LIMIT_S,
)
def grade_attempt_task(attempt_id: int) -> None:
    """Grade one attempt; does nothing for an attempt that is already graded or failed."""
    attempt_grade(attempt_id=attempt_id)


@shared_task(name="practice.render_attempt_media", soft_time_limit=60, time_limit=90)
def render_attempt_media_task(attempt_id: int) -> None:
    """Draw a graded attempt's skeleton replay and thumbnail (routed to the media queue)."""
    attempt_media_render(attempt_id=attempt_id)


@shared_task(name="practice.requeue_stuck_attempts", soft_time_limit=50, time_limit=60)
def requeue_stuck_attempts_task() -> int:
    return attempts_requeue_stuck()


@worker_ready.connect
def requeue_on_worker_start(**_) -> None:
    """A worker restarted after a kill takes over its predecessor's attempts at once, not at the next beat."""
    try:
        requeue_stuck_attempts_task.delay()
    except BROKER_ERRORS:
        logging.getLogger(__name__).warning("could not queue the start-up requeue; beat will")


@task_received.connect
def mark_attempt_taken(request=None, **_) -> None:
    """In the worker's main process, as a grading message arrives: see attempt_mark_taken."""
    if request is None or request.name != grade_attempt_task.name or not request.args:
        return
    try:
        attempt_mark_taken(attempt_id=int(request.args[0]))
    except Exception:  # never stop the consumer: the queued timeout still recovers the attempt
        logging.getLogger(__name__).warning("could not mark attempt %s taken", request.args[0], exc_info=True)


@shared_task(name="practice.purge_expired_clips", soft_time_limit=300, time_limit=360)
def purge_expired_clips_task() -> int:
    return clips_purge_expired()


@shared_task(
    name="lessons.tutorial_check",  # its name before it moved here: queued messages and routes still match
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def tutorial_check_task(tutorial_id: int) -> None:
    """Run a tutorial clip through the recognition pipeline and flag it if its sign is not in the top-10."""
    tutorial_check(tutorial_id=tutorial_id)
