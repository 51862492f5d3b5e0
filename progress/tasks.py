from celery import shared_task

from .digest import digest_send_all


@shared_task(name="progress.send_weekly_digests", soft_time_limit=600, time_limit=660)
def send_weekly_digests_task() -> int:
    """Celery beat, Monday morning: one digest per account (idempotent per account and week)."""
    return digest_send_all()
