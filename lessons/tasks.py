from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="lessons.tutorial_check",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def tutorial_check_task(tutorial_id: int) -> None:
    """Run a tutorial clip through the recognition pipeline and flag it if its sign is not in the top-10."""
    from practice.services import tutorial_check

    tutorial_check(tutorial_id=tutorial_id)
