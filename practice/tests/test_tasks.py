"""The Celery wiring: beat names resolve to tasks, and the grading task's delivery guarantees."""

from django.conf import settings

from practice.tasks import grade_attempt_task


def test_beat_schedule_names_practice_tasks_that_exist():
    from core.testing.worker import celery_app

    app = celery_app()

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"practice.requeue_stuck_attempts", "practice.purge_expired_clips"} <= names
    assert {
        "practice.requeue_stuck_attempts",
        "practice.purge_expired_clips",
        "practice.grade_attempt",
    } <= set(app.tasks)


def test_grading_task_is_acked_late_retried_and_time_limited():
    task = grade_attempt_task
    assert task.name == "practice.grade_attempt"
    assert task.acks_late and task.reject_on_worker_lost
    assert (task.soft_time_limit, task.time_limit) == (90, 120)
    assert task.max_retries == 3 and task.retry_backoff == 2
    assert {error.__name__ for error in task.autoretry_for} == {"OperationalError", "InterfaceError"}
