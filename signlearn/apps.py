from django.apps import AppConfig


class SignlearnConfig(AppConfig):
    name = "signlearn"
    verbose_name = "SignLearn (project commands and health checks)"

    def ready(self) -> None:
        from celery.signals import beat_embedded_init, worker_init

        from core.processes import die_with_parent, lower_priority

        # `celery worker -B` runs beat as a child process: a killed worker must not leave it running.
        beat_embedded_init.connect(lambda **_: die_with_parent(), weak=False)
        # Grading yields the CPU to the web processes on a shared machine (its pool children inherit it).
        worker_init.connect(lambda **_: lower_priority(), weak=False)
