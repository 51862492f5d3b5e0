"""A real Celery worker process for end-to-end tests, on the test's own database and broker.

The worker runs `python -m celery -A signlearn worker` with the base settings, pointed by environment
at what the test process uses: the test database (SQLite file or PostgreSQL test DB), MEDIA_ROOT,
the model folder, and the broker (a per-session folder for the filesystem transport, or the Redis
URL from CELERY_BROKER_URL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from core.broker import filesystem_broker_options

REPO_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 90


def database_url() -> str:
    """A DATABASE_URL for the database the tests are using right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"].endswith("postgresql"):
        user = quote(db.get("USER") or "")
        password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        credentials = f"{user}{password}@" if user or password else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{db.get('HOST') or ''}{port}/{db['NAME']}"
    raise RuntimeError(f"no worker support for {db['ENGINE']}")


def celery_app():
    """The project's Celery app (signlearn.celery, created when Django loads the signlearn package),
    found without importing the project's glue from below it."""
    from celery import current_app

    return current_app._get_current_object()


def use_broker_folder(folder: Path) -> None:
    """Point this process's Celery app at a filesystem broker folder of its own."""
    use_broker_url("filesystem://", filesystem_broker_options(folder))


def use_broker_url(url: str, transport_options: dict | None = None) -> None:
    """Point this process's Celery app at another broker URL (e.g. a test's own Redis server)."""
    app = celery_app()
    # Celery resolves the read and write URLs from broker_url once: set all three.
    app.conf.broker_url = app.conf.broker_read_url = app.conf.broker_write_url = url
    app.conf.broker_transport_options = transport_options or {}
    app._pool = None
    app.amqp._producer_pool = None


class WorkerProcess:
    """Start, stop and SIGKILL one worker; its log is kept for assertions and failure reports."""

    role = "worker"
    ready_text = " ready."

    def __init__(
        self,
        *,
        log_dir: Path,
        broker_folder: Path | None,
        pool: str = "solo",
        broker_url: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.log_dir = log_dir
        self.broker_folder = broker_folder
        self.broker_url = broker_url
        self.pool = pool
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self._count = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="signlearn.settings.base",
            DATABASE_URL=database_url(),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            SIGNLEARN_MODEL_DIR=str(settings.SIGNLEARN_MODEL_DIR),
            SIGNLEARN_ISLR_DIR=str(settings.SIGNLEARN_ISLR_DIR),
            CELERY_TASK_ALWAYS_EAGER="false",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        if self.broker_folder is not None:
            env["SIGNLEARN_BROKER_DIR"] = str(self.broker_folder)
            env.pop("CELERY_BROKER_URL", None)
        if self.broker_url is not None:
            env["CELERY_BROKER_URL"] = self.broker_url
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "signlearn", "worker",
            f"--pool={self.pool}", "--concurrency=1", "--loglevel=INFO",
            "--without-heartbeat", "--without-mingle", "--without-gossip",
            "-n", f"practice-test-{os.getpid()}-{self._count}@%h", "-Q", settings.WORKER_QUEUES,
        ]  # fmt: skip

    def start(self) -> WorkerProcess:
        self._count += 1
        self.log_path = self.log_dir / f"{self.role}-{self._count}.log"
        command = self.command()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_DIR,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log()}")
            if self.ready_text in self.log():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"worker not ready after {READY_TIMEOUT_S} s:\n{self.log()}")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> WorkerProcess:
        return self if self.running() else self.start()

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no cleanup, no ack, like a crashed machine."""
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.running():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


class BeatProcess(WorkerProcess):
    """Celery beat as its own process (as docker-compose and runstack run it)."""

    role = "beat"
    ready_text = "beat: Starting"

    def command(self) -> list[str]:
        schedule = self.log_dir / "celerybeat-schedule"
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "signlearn",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(schedule),
        ]


class RedisServer:
    """A private redis-server (append-only, as docker-compose runs it) that a test may stop and restart."""

    def __init__(self, *, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder),
            "--appendonly", "yes", "--save", "", "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                return self
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not answer")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits, as on a restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def worker_broker_folder(queue: str) -> Path | None:
    """The broker a test worker shares with this process: this session's folder for the filesystem
    transport, else the configured Redis, with `queue` emptied of an earlier run's leftovers."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return Path(settings.BROKER_DIR)
    with celery_app().connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)
    return None
