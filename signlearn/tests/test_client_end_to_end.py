"""The command-line client against a live server and a real Celery worker, with a real clip (slow).

Known answers (practice/conftest.py): the shared clip 183_rain_3 is ranked in the top-3 for "rain" by
the reference models and "hat" is not in its top-10.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from rest_framework.authtoken.models import Token

from conftest import REPO_DIR
from practice import conftest as practice_fixtures
from practice.models import Attempt

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]

# The practice app's clip fixtures (its conftest only serves tests under practice/); the worker is
# the suite's own (core/testing/fixtures.py).
rain_clip = practice_fixtures.rain_clip
OWN_SIGN, WRONG_SIGN = practice_fixtures.OWN_SIGN, practice_fixtures.WRONG_SIGN
CLOUD_SEQUENCE = practice_fixtures.CLOUD_SEQUENCE


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m signlearn.client ...` as a user runs it: its own process, no Django settings."""
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "signlearn.client", *args],
        cwd=REPO_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_submit_a_real_clip_prints_the_top10_and_the_verdict(live_server, celery_worker, hamlet, rain_clip):
    env = {"SIGNLEARN_URL": live_server.url, "SIGNLEARN_TOKEN": Token.objects.create(user=hamlet.user).key}

    own = cli("submit", str(rain_clip), "--sign", OWN_SIGN, env=env)
    assert own.returncode == 0, own.stdout + own.stderr + celery_worker.log()[-3000:]
    lines = own.stdout.splitlines()
    assert lines[0].split() == ["rank", "sign", "score"]
    table = lines[1:11]
    assert [int(row.split()[0]) for row in table] == list(range(1, 11))
    verdict = re.fullmatch(r'PASSED: "rain" ranked (\d+) of 10 \(\+(\d+) XP\)', lines[11])
    assert verdict, lines[11]
    rank, xp = int(verdict[1]), int(verdict[2])
    assert rank <= 3 and xp == {1: 20, 2: 15, 3: 15}[rank]
    assert table[rank - 1].split()[1] == OWN_SIGN and table[rank - 1].endswith(" <")
    assert re.search(r"attempt \d+: graded after [\d.]+ s", own.stderr)  # progress lines (no TTY here)

    attempt = Attempt.objects.get(learner=hamlet, sign__name=OWN_SIGN)
    assert (attempt.status, attempt.result.rank, attempt.result.xp) == ("graded", rank, xp)

    other = cli("submit", str(rain_clip), "--sign", WRONG_SIGN, "--json", env=env)
    assert other.returncode == 1, other.stdout + other.stderr
    body = json.loads(other.stdout)
    assert (body["sign"], body["status"]) == (WRONG_SIGN, "graded")
    assert (body["result"]["passed"], body["result"]["rank"], body["result"]["xp"]) == (False, None, 2)
    assert len(body["result"]["top10"]) == 10 and WRONG_SIGN not in {
        row["sign"] for row in body["result"]["top10"]
    }


def test_submit_landmarks_extracted_on_the_client(live_server, celery_worker, hamlet):
    from conftest import ISLR_DIR

    sequence = ISLR_DIR / CLOUD_SEQUENCE
    if not sequence.exists():
        pytest.skip(f"needs the shared ISLR sample {sequence}")
    env = {"SIGNLEARN_URL": live_server.url}
    done = cli(
        "submit", str(sequence), "--sign", "cloud", "--username", "hamlet", "--password", "correct horse battery",
        "--json", env=env,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    body = json.loads(done.stdout)
    assert body["status"] == "graded" and len(body["result"]["top10"]) == 10
    assert done.returncode == (0 if body["result"]["passed"] else 1)
    attempt = Attempt.objects.get(pk=body["id"])
    assert attempt.source == Attempt.Source.LANDMARKS and not attempt.video


def test_health_and_progress_against_the_running_stack(live_server, celery_worker, hamlet, settings):
    env = {"SIGNLEARN_URL": live_server.url, "SIGNLEARN_TOKEN": Token.objects.create(user=hamlet.user).key}
    health = cli("health", "--json", env=env)
    body = json.loads(health.stdout)
    assert body["checks"]["database"]["ok"] and body["checks"]["model"]["ok"], body
    assert health.returncode == (0 if body["status"] == "ready" else 1)
    progress = cli("progress", env=env)
    assert progress.returncode == 0 and "0 attempt(s)" in progress.stdout
