"""In CI a test that skips because shared data or a tool is missing fails; elsewhere it skips."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.one_backend  # a pytest run of a probe file: no database or broker in it
PROBE = Path(__file__).parent / "probes" / "skips_for_missing_data.py"


def run_probe(ci: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PROBE)],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "ci, summary",
    [
        ("true", "1 failed, 1 skipped"),
        (None, "2 skipped"),
        ("false", "2 skipped"),
    ],
)
def test_missing_shared_data_fails_only_in_ci(ci, summary):
    assert run_probe(ci).startswith(summary)
