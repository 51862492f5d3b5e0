"""`manage.py runstack` with real processes: nothing it started outlives it, and no beat is orphaned.

Every process started here carries a marker in its environment, so the test finds all of them
(web, worker, its pool, beat) in /proc, whoever their parent is by then.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from core.testing.worker import REPO_DIR, database_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.one_backend,  # runstack is `make run`'s launcher: the embedded default is its backend
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="Linux /proc"),
]
START_TIMEOUT_S = 120


def marked(mark: str) -> dict[int, str]:
    """pid -> command line of every live process whose environment holds the marker."""
    found = {}
    needle = f"SIGNLEARN_TEST_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                stat = (entry / "stat").read_text()
                if stat.rsplit(")", 1)[1].split()[0] != "Z":  # a zombie is already dead
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def wait_until(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} after {timeout} s\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def stack_env(transactional_db, tmp_path):
    mark = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}  # a broker of its own
    env.update(
        SIGNLEARN_TEST_MARK=mark,
        DJANGO_SETTINGS_MODULE="signlearn.settings.base",
        DATABASE_URL=database_url(),
        SIGNLEARN_VAR_DIR=str(tmp_path),
        SIGNLEARN_BROKER_DIR=str(tmp_path / "broker"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SIGNLEARN_MODEL_DIR=str(settings.SIGNLEARN_MODEL_DIR),
        PYTHONUNBUFFERED="1",
    )
    yield env, tmp_path
    for pid in marked(mark):  # whatever a failed test left behind
        os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_runstack(env: dict, folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / "runstack.log"
    command = [sys.executable, "manage.py", "runstack", "--addr", f"127.0.0.1:{free_port()}"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    wait_until(lambda: " ready." in text() and "beat: Starting" in text(), START_TIMEOUT_S, "not up", log)
    return process, log


def children(process: subprocess.Popen, mark: str) -> dict[str, int]:
    """runstack's direct children by role."""
    roles = {}
    for pid, cmdline in marked(mark).items():
        if parent_of(pid) == process.pid:
            role = "beat" if " beat " in cmdline else "worker" if " worker " in cmdline else "web"
            roles[role] = pid
    return roles


def test_a_killed_worker_leaves_no_beat_and_runstack_stops_everything(stack_env):
    env, folder = stack_env
    mark = env["SIGNLEARN_TEST_MARK"]
    runstack, log = start_runstack(env, folder)
    roles = children(runstack, mark)
    assert set(roles) == {"web", "worker", "beat"}

    os.kill(roles["worker"], signal.SIGKILL)

    assert runstack.wait(timeout=60) == 0
    wait_until(lambda: not marked(mark), 30, f"left behind: {marked(mark)}", log)


def niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_stopping_runstack_stops_web_worker_and_beat(stack_env):
    env, folder = stack_env
    mark = env["SIGNLEARN_TEST_MARK"]
    runstack, log = start_runstack(env, folder)
    assert len(marked(mark)) >= 4  # runstack, web, worker (+ its pool), beat
    roles = children(runstack, mark)
    # Grading yields the CPU to the web process (SIGNLEARN_WORKER_NICE), its pool included.
    assert niceness(roles["worker"]) == niceness(roles["web"]) + settings.SIGNLEARN_WORKER_NICE
    pool = [pid for pid in marked(mark) if parent_of(pid) == roles["worker"]]
    assert pool and all(niceness(pid) == niceness(roles["worker"]) for pid in pool)

    runstack.send_signal(signal.SIGTERM)

    assert runstack.wait(timeout=60) == 0
    wait_until(lambda: not marked(mark), 30, f"left behind: {marked(mark)}", log)


def test_a_killed_runstack_takes_its_children_with_it(stack_env):
    env, folder = stack_env
    mark = env["SIGNLEARN_TEST_MARK"]
    runstack, log = start_runstack(env, folder)

    runstack.kill()
    runstack.wait(timeout=10)

    wait_until(lambda: not marked(mark), 40, f"left behind: {marked(mark)}", log)


def test_a_killed_worker_takes_its_embedded_beat_with_it(stack_env):
    """Outside runstack, `celery worker -B` runs beat as its child: it must die with the worker."""
    env, folder = stack_env
    mark = env["SIGNLEARN_TEST_MARK"]
    log = folder / "worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "signlearn",
        "worker",
        "-B",
        "--concurrency=1",
        "--loglevel=INFO",
    ]
    with log.open("wb") as out:
        worker = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    wait_until(lambda: " ready." in text() and "beat: Starting" in text(), START_TIMEOUT_S, "not up", log)

    worker.kill()
    worker.wait(timeout=10)

    wait_until(lambda: not marked(mark), 30, f"left behind: {marked(mark)}", log)
