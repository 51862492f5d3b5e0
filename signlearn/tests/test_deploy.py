"""No Docker engine runs here: check docker-compose.yml and the production settings by reading them."""

import importlib
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from django.urls import resolve

from conftest import REPO_DIR

COMPOSE = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
APP_SERVICES = ["web", "worker", "beat", "trainer"]


def command_of(service: str) -> list[str]:
    command = COMPOSE["services"][service]["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_runs_the_whole_stack_from_one_image_with_named_volumes():
    services = COMPOSE["services"]
    assert set(services) >= {"web", "worker", "beat", "postgres", "redis", "trainer"}
    for name in ["web", "worker", "beat"]:
        assert services[name]["image"] == "signlearn:latest"
        assert "media:/data" in services[name]["volumes"]
    assert set(COMPOSE["volumes"]) >= {"media", "pgdata", "redisdata"}
    for name in ["web", "worker", "postgres", "redis"]:
        assert "healthcheck" in services[name], name


def test_app_services_point_at_real_settings_and_brokers():
    env = COMPOSE["services"]["web"]["environment"]
    importlib.import_module("signlearn.settings.base")
    assert (REPO_DIR / (env["DJANGO_SETTINGS_MODULE"].replace(".", "/") + ".py")).exists()
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")


def test_web_command_targets_the_wsgi_app_and_real_management_commands():
    text = " ".join(command_of("web"))
    wsgi_module, attr = re.search(r"gunicorn (\S+):(\S+)", text).groups()
    assert (REPO_DIR / (wsgi_module.replace(".", "/") + ".py")).exists()
    assert f"{attr} =" in (REPO_DIR / (wsgi_module.replace(".", "/") + ".py")).read_text()
    from django.core.management import get_commands

    for command in re.findall(r"manage\.py (\w+)", text):
        assert command in get_commands(), command


@pytest.mark.parametrize(
    ("service", "queues"), [("worker", ["celery", "tutorials", "media"]), ("trainer", ["trainer"])]
)
def test_workers_serve_the_queues_the_app_routes_to(service, queues, settings):
    argv = command_of(service)
    assert argv[:4] == ["celery", "-A", "signlearn", "worker"]
    assert argv[argv.index("-Q") + 1].split(",") == queues
    from signlearn.celery import app

    assert app.main == "signlearn"
    if service == "worker":
        assert settings.WORKER_QUEUES.split(",") == queues  # as `make run` starts it (runstack)
        assert app.amqp.router.route({}, "lessons.tutorial_check")["queue"].name == "tutorials"
        assert app.amqp.router.route({}, "practice.grade_attempt")["queue"].name == "celery"


def test_beat_runs_the_periodic_tasks_from_settings(settings):
    assert command_of("beat")[:4] == ["celery", "-A", "signlearn", "beat"]
    assert {"practice.requeue_stuck_attempts", "practice.purge_expired_clips"} <= {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_health_check_urls_exist():
    healthcheck = " ".join(COMPOSE["services"]["web"]["healthcheck"]["test"])
    for path in re.findall(r"http://127\.0\.0\.1:8000(/\S*?)'", healthcheck):
        resolve(path)


PRODUCTION_SECRETS = {
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-for-django-0123456789",
    "SIGNLEARN_EXPORT_ID_SECRET": "a-production-export-id-secret-0123456789",
}


def without_settings_module(**extra: str) -> dict[str, str]:
    """This environment as a shell that never set DJANGO_SETTINGS_MODULE (nor the secrets) has it."""
    drop = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", *PRODUCTION_SECRETS}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def test_production_settings_pass_the_deploy_check():
    env = without_settings_module(
        DJANGO_SETTINGS_MODULE="signlearn.settings.production",
        ALLOWED_HOSTS="signlearn.example.org",
        **PRODUCTION_SECRETS,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("missing", "secrets"),
    [
        ("SECRET_KEY", {"SIGNLEARN_EXPORT_ID_SECRET": PRODUCTION_SECRETS["SIGNLEARN_EXPORT_ID_SECRET"]}),
        ("SECRET_KEY", {**PRODUCTION_SECRETS, "SECRET_KEY": "insecure-embedded-default-key-change-me" * 2}),
        ("SIGNLEARN_EXPORT_ID_SECRET", {"SECRET_KEY": PRODUCTION_SECRETS["SECRET_KEY"]}),
    ],
)
def test_production_refuses_missing_or_public_secrets(missing, secrets):
    env = without_settings_module(DJANGO_SETTINGS_MODULE="signlearn.settings.production", **secrets)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and f"Set {missing}" in result.stderr


# Each entry point with DJANGO_SETTINGS_MODULE unset: production, which refuses to start without secrets.
ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "wsgi.py": [sys.executable, "-c", "import signlearn.wsgi"],
    "celery.py": [sys.executable, "-m", "celery", "-A", "signlearn", "inspect", "ping", "--timeout", "1"],
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_points_default_to_the_production_settings(entry):
    result = subprocess.run(
        ENTRY_POINTS[entry],
        cwd=REPO_DIR,
        env=without_settings_module(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "Set SECRET_KEY" in result.stdout + result.stderr, result.stderr[-2000:]


def test_development_commands_name_the_development_settings():
    makefile = (REPO_DIR / "Makefile").read_text()
    assert "run: export DJANGO_SETTINGS_MODULE ?= signlearn.settings.base" in makefile
    readme = (REPO_DIR / "README.md").read_text()
    assert "export DJANGO_SETTINGS_MODULE=signlearn.settings.base" in readme


def test_gunicorn_runs_with_the_projects_config():
    config = {}
    exec((REPO_DIR / "gunicorn.conf.py").read_text(), config)  # noqa: S102 (our own config file)
    assert config["worker_class"] == "sync"  # closes each connection: an unread body is never reused
    assert (
        config["limit_request_line"] and config["limit_request_fields"] and config["limit_request_field_size"]
    )
    assert "-c gunicorn.conf.py" in " ".join(command_of("web"))
    dockerfile = (REPO_DIR / "Dockerfile").read_text()
    assert '"gunicorn", "signlearn.wsgi:application", "-c", "gunicorn.conf.py"' in dockerfile


GUNICORN_HOOKS = """
import logging, sys
import django
django.setup()
config = {}
exec(open("gunicorn.conf.py").read(), config)
assert config["preload_app"] is True
config["when_ready"](None)
from signlearn.celery import app
assert {"ml.video", "practice.tasks"} <= set(sys.modules), "not warmed"
assert app.finalized and "practice.grade_attempt" in app.tasks
class Worker:
    log = logging.getLogger("gunicorn.error")
config["post_worker_init"](Worker())
print("ok")
"""


def test_gunicorn_forks_warm_workers(tmp_path):
    # The master loads and warms the app once (URL conf, PyAV, tasks): a fresh worker's first upload
    # is not seconds of imports. Each worker then opens its own connections before its first request
    # (in a process of its own here, as in gunicorn: the hooks change the Celery app's state).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "signlearn.settings.base",
        "SIGNLEARN_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", GUNICORN_HOOKS],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.split() == ["ok"], result.stderr[-2000:]


def test_production_keeps_database_connections_between_requests():
    env = without_settings_module(
        DJANGO_SETTINGS_MODULE="signlearn.settings.production", **PRODUCTION_SECRETS
    )
    script = "from django.conf import settings as s; d = s.DATABASES['default']; "
    script += "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + script],
        cwd=REPO_DIR,
        env={k: v for k, v in env.items() if k != "DATABASE_CONN_MAX_AGE"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    max_age, health_checks = result.stdout.split()
    assert int(max_age) >= 60 and health_checks == "True"


def project_commands() -> list[tuple[str, str]]:
    from django.core.management import get_commands

    return sorted((name, app) for name, app in get_commands().items() if (REPO_DIR / app).is_dir())


@pytest.mark.parametrize(("name", "app"), project_commands())
def test_every_project_command_builds_its_options(name, app):
    # An option that clashes with one of Django's own (register_model once had --version) breaks the
    # whole command, --help included.
    from django.core.management import load_command_class

    parser = load_command_class(app, name).create_parser("manage.py", name)
    assert parser.format_help().startswith("usage: manage.py " + name)
