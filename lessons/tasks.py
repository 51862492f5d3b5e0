from celery import shared_task


@shared_task(name="lessons.tutorial_check", soft_time_limit=120, time_limit=150, acks_late=True)
def tutorial_check_task(tutorial_id: int) -> None:
    """Run a tutorial clip through the recognition pipeline and flag it if its sign is not in the top-10."""
    from practice.services import tutorial_check

    tutorial_check(tutorial_id=tutorial_id)
