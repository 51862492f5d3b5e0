"""Start the web server, a Celery worker and beat as three processes; stop all of them together.

Beat is a process of its own, not the worker's `-B` child: a worker killed outright would leave an
embedded beat behind, still sending every periodic task. Each child runs in its own process group
(so stopping one also stops what it started, e.g. the worker's pool) and dies with runstack even if
runstack itself is killed (core.processes.die_with_parent). When any child exits, all stop.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from core.processes import die_with_parent

STOP_TIMEOUT_S = 20


class Command(BaseCommand):
    help = "Run web + worker + beat for local use on the configured database and broker."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("SIGNLEARN_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--concurrency", type=int, default=1)

    def handle(self, *args, addr: str, concurrency: int, **options):
        celery = [sys.executable, "-m", "celery", "-A", "signlearn"]
        commands = {
            "worker": [
                *celery,
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "-Q",
                settings.WORKER_QUEUES,
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel=INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            "web": [sys.executable, "manage.py", "runserver", addr, "--noreload"],
        }
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        processes = {
            name: subprocess.Popen(command, preexec_fn=_child_setup) for name, command in commands.items()
        }
        self.stdout.write(f"SignLearn is running on http://{addr}/  (Ctrl-C stops web, worker and beat)")
        self._hint_next_steps()
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            _stop_all(processes.values())

    def _hint_next_steps(self) -> None:
        """What a newcomer still has to do by hand (nothing secret is created for them)."""
        from django.contrib.auth import get_user_model

        from lessons.models import TutorialVideo

        if not get_user_model().objects.filter(is_superuser=True).exists():
            self.stdout.write("No admin yet: .venv/bin/python manage.py createsuperuser")
        if not TutorialVideo.objects.exists():
            self.stdout.write("No tutorial videos yet: .venv/bin/python manage.py import_tutorials DIR")


def _child_setup() -> None:
    os.setpgrp()  # Ctrl-C reaches runstack only; it stops each group in turn
    die_with_parent()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the group outlives its leader: a killed worker's pool is in it
    except ProcessLookupError:
        pass


def _stop_all(processes) -> None:
    """SIGTERM every group, wait, then SIGKILL what is left."""
    processes = list(processes)
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(process, signal.SIGKILL)
        process.poll()
