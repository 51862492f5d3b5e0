"""Test settings: the base settings (embedded or env services) with fast hashing and temp media."""

import os
import tempfile
from pathlib import Path

# A broker folder per test session (worker processes it starts inherit the variable), so concurrent
# sessions and a local `make run` never take each other's messages. Read by base.py.
os.environ.setdefault("SIGNLEARN_BROKER_DIR", tempfile.mkdtemp(prefix="signlearn-test-broker-"))
# Likewise a cache folder per session, shared with the processes it starts (cleared between tests).
os.environ.setdefault("SIGNLEARN_CACHE_DIR", tempfile.mkdtemp(prefix="signlearn-test-cache-"))

from .base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="signlearn-test-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A file, not :memory:, so a real worker process (end-to-end tests) sees the same test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-signlearn.sqlite3")}  # noqa: F405

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
