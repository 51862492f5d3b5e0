"""Grading workers yield the CPU to the web processes, even from a session of their own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_DIR

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="Linux with autogroup scheduling"
)

# What a worker does at start (worker_init), then the niceness of its process and of its autogroup.
REPORT = """
import django, os
django.setup()
from core.processes import lower_priority
lower_priority()
print(os.nice(0))
print(open("/proc/self/autogroup").read(), end="")
"""


def autogroup_nice(text: str) -> str:
    """The last field of /proc/self/autogroup ("/autogroup-N nice K"). The kernel prints nothing for
    its default autogroup, where a sandbox's processes may all stay."""
    fields = text.split()
    return fields[-1] if fields else "unreadable"


def nice_after_lower_priority(*, own_session: bool, wanted: int = 10) -> tuple[int, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "signlearn.settings.test",
        "SIGNLEARN_WORKER_NICE": str(wanted),
    }
    result = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=own_session,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    process, autogroup = result.stdout.split("\n", 1)
    return int(process), autogroup_nice(autogroup)


def test_a_worker_leading_its_own_session_lowers_its_autogroup_too():
    # The kernel shares the CPU between autogroups (sessions) first: the process's niceness alone
    # would leave it half of the CPU against the web server's session.
    assert nice_after_lower_priority(own_session=True) == (max(10, os.nice(0)), "10")


def test_a_worker_in_a_shared_session_leaves_the_sessions_autogroup_alone():
    # runstack's worker shares its session with the web process: lowering the autogroup would slow
    # the web process as much as the worker.
    before = autogroup_nice(Path("/proc/self/autogroup").read_text())
    assert nice_after_lower_priority(own_session=False) == (max(10, os.nice(0)), before)
