"""Settings read from the environment (see .env.example).

With no environment at all SignLearn runs on an embedded default: SQLite and a filesystem Celery
broker under var/, so `make run` needs no servers. DATABASE_URL / CELERY_BROKER_URL switch to
PostgreSQL and Redis.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from core.broker import filesystem_broker_options
from ml.paths import islr_dir

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SIGNLEARN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The embedded default is for a developer's machine only; production settings refuse this key.
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-embedded-default-key-change-me")
# Keys the pseudonymous learner and sequence ids of training exports (practice.export): its own
# secret, so rotating SECRET_KEY (sessions, tokens) does not change every exported id.
SIGNLEARN_EXPORT_ID_SECRET = os.environ.get(
    "SIGNLEARN_EXPORT_ID_SECRET", "insecure-embedded-export-id-secret"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served locally (no CDN)
    "accounts",
    "lessons",
    "practice",
    "progress",
    "api",
    "registry",
    "signlearn",  # project-wide commands (runstack) and health checks
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",  # nosniff, Referrer-Policy, HTTPS redirect
    "core.headers.ContentSecurityPolicyMiddleware",
    # Before anything reads a body (the CSRF middleware parses POSTs): refuses it by its headers.
    "core.limits.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LearnerTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "signlearn.urls"
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
WSGI_APPLICATION = "signlearn.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.active_learner",
                "progress.context_processors.review_due",
                "core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'signlearn.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process and the worker write concurrently: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Checks the log-in lockout around every password check (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
LOGIN_URL = "login"
# Wrong passwords (log-in page and API token) before that account, or that address, is locked for
# what is left of the window (accounts.lockout).
SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT", "10"))
SIGNLEARN_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("SIGNLEARN_LOGIN_FAILURES_PER_ADDRESS", "50"))
SIGNLEARN_LOGIN_WINDOW_SECONDS = int(os.environ.get("SIGNLEARN_LOGIN_WINDOW_SECONDS", "900"))
LOGIN_REDIRECT_URL = "course-map"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# MediaPipe Holistic for on-device landmarks, installed from npm by `npm ci` (package-lock.json). Without
# node the folder is absent: the page then records and uploads the clip (README).
HOLISTIC_DIR = BASE_DIR / "node_modules" / "@mediapipe" / "holistic"
if HOLISTIC_DIR.is_dir():
    STATICFILES_DIRS.append(("vendor/mediapipe-holistic", HOLISTIC_DIR))
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG  # runserver without collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Media is never served as plain static files: views check ownership (lessons/practice views).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# --- Request size policy ----------------------------------------------------------------------
# core.limits refuses a body from its Content-Length before it is read: a practice upload may be
# SIGNLEARN_MAX_UPLOAD_BYTES (+1 MB of form), an admin upload SIGNLEARN_MAX_ADMIN_UPLOAD_BYTES, anything
# else DATA_UPLOAD_MAX_MEMORY_SIZE. Within those, Django keeps files up to FILE_UPLOAD_MAX_MEMORY_SIZE
# in memory and spools larger ones to a temporary file; form fields (not files) may total
# DATA_UPLOAD_MAX_MEMORY_SIZE, so a long landmark sequence goes as a file or a JSON body, not a field.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 20
SIGNLEARN_MAX_ADMIN_UPLOAD_BYTES = int(os.environ.get("SIGNLEARN_MAX_ADMIN_UPLOAD_BYTES", 200 * 1024 * 1024))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SignLearn <no-reply@signlearn.local>")

# --- Celery -----------------------------------------------------------------------------------
# Tests give each session (and its worker processes) a broker folder of its own.
BROKER_DIR = Path(os.environ.get("SIGNLEARN_BROKER_DIR", VAR_DIR / "broker"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(BROKER_DIR)
else:
    # Redis redelivers a message not acknowledged within this time. It must outlast every task's
    # time_limit (signlearn/tests/test_celery_config.py), or a slow task still running is delivered
    # to a second worker. A killed worker's attempt does not wait for it: the attempt's claim
    # heartbeat and the requeue recover it in seconds (practice.claims).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 8 * 3600}
    # Take a message only when a process is free to run it: a message reserved ahead by a worker
    # that is then killed would stay invisible for the whole visibility timeout, its attempt queued.
    CELERY_WORKER_DISABLE_PREFETCH = True
CELERY_TASK_IGNORE_RESULT = True  # every outcome is stored on the attempt row
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
# Tutorial quality checks wait in their own queue, which the same workers serve in turn with practice
# grading ("celery"): importing hundreds of tutorials never holds a parent's attempt behind all of them.
TUTORIALS_QUEUE = "tutorials"
# Skeleton replays and thumbnails: drawn after the grade, never in front of one.
MEDIA_QUEUE = "media"
CELERY_TASK_ROUTES = {
    "lessons.tutorial_check": {"queue": TUTORIALS_QUEUE},
    "practice.render_attempt_media": {"queue": MEDIA_QUEUE},
}
WORKER_QUEUES = f"celery,{TUTORIALS_QUEUE},{MEDIA_QUEUE}"  # what a practice worker serves (-Q)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Often, so a dead worker's attempt (heartbeat stale after 20 s) or one stored during a broker
    # outage is sent again within seconds; each run is one indexed query.
    "requeue-stuck-attempts": {
        "task": "practice.requeue_stuck_attempts",
        "schedule": 10.0,
        "options": {"expires": 10.0},  # a busy worker skips the runs it missed instead of piling them up
    },
    "purge-expired-clips": {"task": "practice.purge_expired_clips", "schedule": crontab(minute=17)},
    "weekly-digest": {
        "task": "progress.send_weekly_digests",
        "schedule": crontab(minute=0, hour=8, day_of_week="mon"),
    },
}

# --- SignLearn --------------------------------------------------------------------------------
SIGNLEARN_ISLR_DIR = islr_dir()
SIGNLEARN_MODEL_DIR = Path(os.environ.get("SIGNLEARN_MODEL_DIR", BASE_DIR / "ml" / "models"))
SIGNLEARN_MAX_UPLOAD_BYTES = int(os.environ.get("SIGNLEARN_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
SIGNLEARN_MIN_CLIP_SECONDS = float(os.environ.get("SIGNLEARN_MIN_CLIP_SECONDS", "0.5"))
SIGNLEARN_MAX_CLIP_SECONDS = float(os.environ.get("SIGNLEARN_MAX_CLIP_SECONDS", "15"))
# A phrase (2-4 signs with pauses) takes longer to sign than one sign.
SIGNLEARN_MAX_PHRASE_SECONDS = float(os.environ.get("SIGNLEARN_MAX_PHRASE_SECONDS", "20"))
SIGNLEARN_CLIP_RETENTION_DAYS = int(os.environ.get("SIGNLEARN_CLIP_RETENTION_DAYS", "7"))
# Frames per second the worker extracts from a practice clip (0 = every frame). Holistic costs ~50 ms
# per frame per core, so 30 fps clips take ~1.5x their length; at 15 fps grading takes half of that
# and neither reference model changed its top-10 verdict on 17 shared clips.
SIGNLEARN_GRADING_FPS = float(os.environ.get("SIGNLEARN_GRADING_FPS", "15")) or None
# Niceness of grading workers (core.processes.lower_priority): web requests first on a shared host.
SIGNLEARN_WORKER_NICE = int(os.environ.get("SIGNLEARN_WORKER_NICE", "10"))
SIGNLEARN_DEFAULT_DAILY_XP_GOAL = int(os.environ.get("SIGNLEARN_DEFAULT_DAILY_XP_GOAL", "50"))

# --- Cache ------------------------------------------------------------------------------------
# Throttle counters, log-in lockouts and page fragments. Shared by every process: a limit is one limit,
# not one per gunicorn worker. A file cache under var/ by default (the processes of one machine); with
# several machines point CACHE_URL at Redis. Never derived from CELERY_BROKER_URL: the cache is
# cleared in tests, and a Redis cache clears its whole database.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHE_DIR = Path(os.environ.get("SIGNLEARN_CACHE_DIR", VAR_DIR / "cache"))
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(CACHE_DIR),
            # Culling past this drops entries, lockout counters included: far above real use.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    )
}

# --- DRF --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Writes of views with a `throttle_scope` are rate limited per user (per IP when anonymous).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "uploads": os.environ.get("SIGNLEARN_UPLOAD_RATE", "20/min"),  # attempts created
        "auth": os.environ.get("SIGNLEARN_AUTH_RATE", "30/min"),  # token logins
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SignLearn API",
    "DESCRIPTION": "Curriculum, practice attempts and progress for SignLearn learners.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,  # separate request/response components (file uploads, read-only ids)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
