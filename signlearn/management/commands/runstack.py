"""Start the web server and a Celery worker (with beat) as two processes; stop both together."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web + worker (+ beat) for local use on the configured database and broker."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=os.environ.get("SIGNLEARN_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--concurrency", type=int, default=1)

    def handle(self, *args, addr: str, concurrency: int, **options):
        python = sys.executable
        commands = {
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "signlearn",
                "worker",
                "-B",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "-Q",
                settings.WORKER_QUEUES,
            ],
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
        }
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write(f"SignLearn is running on http://{addr}/  (Ctrl-C stops web and worker)")
        self._hint_next_steps()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _hint_next_steps(self) -> None:
        """What a newcomer still has to do by hand (nothing secret is created for them)."""
        from django.contrib.auth import get_user_model

        from lessons.models import TutorialVideo

        if not get_user_model().objects.filter(is_superuser=True).exists():
            self.stdout.write("No admin yet: .venv/bin/python manage.py createsuperuser")
        if not TutorialVideo.objects.exists():
            self.stdout.write("No tutorial videos yet: .venv/bin/python manage.py import_tutorials DIR")
