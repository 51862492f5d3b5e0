from django.apps import AppConfig


class SignlearnConfig(AppConfig):
    name = "signlearn"
    verbose_name = "SignLearn (project commands and health checks)"

    def ready(self) -> None:
        from celery.signals import beat_embedded_init

        from .processes import die_with_parent

        # `celery worker -B` runs beat as a child process: a killed worker must not leave it running.
        beat_embedded_init.connect(lambda **_: die_with_parent(), weak=False)
