"""Broker options that keep acks_late tasks from running twice (issue 14, item 4)."""

import json
import os
import subprocess
import sys

from core.testing.worker import REPO_DIR

# Run in a fresh process with a Redis broker URL: the transport options are chosen at import.
PROBE = """
import json
from signlearn.celery import app
app.loader.import_default_modules()
print(json.dumps({
    "visibility_timeout": app.conf.broker_transport_options.get("visibility_timeout"),
    "time_limits": {name: task.time_limit for name, task in app.tasks.items() if not name.startswith("celery.")},
}))
"""


def test_redis_visibility_timeout_outlasts_every_tasks_time_limit():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "signlearn.settings.base",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",  # only read, never connected to
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    limits = probe["time_limits"]
    assert {"practice.grade_attempt", "registry.evaluate_model", "registry.train_candidate"} <= set(limits)
    unlimited = [name for name, limit in limits.items() if limit is None]
    assert unlimited == []  # a task without a time limit could outlive any visibility timeout
    too_long = {name: limit for name, limit in limits.items() if limit >= probe["visibility_timeout"]}
    assert too_long == {}, f"visibility timeout {probe['visibility_timeout']} s"
