"""Production: everything from the environment, HTTPS assumed behind a proxy."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value in production.")
SIGNLEARN_EXPORT_ID_SECRET = os.environ.get("SIGNLEARN_EXPORT_ID_SECRET", "")
if len(SIGNLEARN_EXPORT_ID_SECRET) < 32 or SIGNLEARN_EXPORT_ID_SECRET.startswith("insecure"):
    raise ImproperlyConfigured(
        "Set SIGNLEARN_EXPORT_ID_SECRET to a long random value in production (it keys the ids of "
        "training exports: keep it when you rotate SECRET_KEY)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Each gunicorn worker keeps its database connection between requests (checked before reuse) instead of
# opening one per request: a new PostgreSQL connection forks a server process and costs more CPU than
# the rest of an upload's accept (bench/reliability.py, accept phase).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "600"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405
