"""The Celery app. Configuration lives in Django settings under the CELERY_ namespace."""

import os

from celery import Celery

# Unset means production (it refuses to start without real secrets); `make run` and the tests name
# their settings module explicitly.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "signlearn.settings.production")

app = Celery("signlearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
