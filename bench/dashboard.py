"""Benchmark the parent dashboard: latency under 50 concurrent users on a learner with 1,000 attempts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/signlearn_bench \\
        .venv/bin/python bench/dashboard.py [--users 50] [--duration 30] [--think 0]

1. Seeds (once) an account whose learner has exactly 1,000 graded attempts over 100 days, counted by
   the same progress service as the grading pipeline, plus a learner with 10 attempts.
2. In-process: query count of the dashboard for both learners (must be equal) and single-request
   render time.
3. Over HTTP: starts gunicorn (DEBUG off, persistent DB connections) and runs `--users` client threads,
   each with its own logged-in session and keep-alive connection, requesting /dashboard/ in a closed
   loop (with `--think` seconds between requests; 0 = as fast as possible) for `--duration` seconds
   after a warm-up. Reports p50/p95/p99 latency, throughput and errors.

Writes var/bench/dashboard.json and prints a summary. Target (issue 6): p95 <= 100 ms, PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "signlearn.settings.base")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")

from bench.report import report_write  # noqa: E402

TARGET_P95_MS = 100.0
ATTEMPTS = 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def seed(username: str, n_attempts: int):
    """An account whose learner has exactly `n_attempts` graded attempts (re-created if different)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.services import user_signup
    from lessons.models import Sign
    from progress.demo import demo_attempt_record

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None:
        learner = user.learners.first()
        if learner is not None and learner.attempts.count() == n_attempts:
            return learner
        user.delete()
    learner = user_signup(
        username=username,
        email=f"{username}@example.org",
        password="bench-password-not-secret",
        display_name=username.capitalize(),
        time_zone="Europe/Berlin",
    )
    signs = list(
        Sign.objects.filter(lesson__isnull=False).order_by("lesson__unit__order", "lesson__order", "order")
    )
    rng = random.Random(6)
    per_day = 10
    start = timezone.now() - timedelta(days=n_attempts // per_day + 1)
    for i in range(n_attempts):
        sign = signs[rng.randrange(min(len(signs), 20 + i // 5))]  # new signs come in over time
        rank = rng.choice((None, 1, 1, 2, 3, 4, 7, None, 2, 1))
        at = start + timedelta(days=i // per_day, hours=8, minutes=4 * (i % per_day))
        demo_attempt_record(learner=learner, sign=sign, rank=rank, at=at, is_review=rng.random() < 0.25)
    return learner


def session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def in_process(learner, small, repeat: int) -> dict:
    """Queries and render time of one request in this process: cold (history fragment rebuilt) and warm."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    for name, each in (("learner_1000", learner), ("learner_10", small)):
        client = Client(HTTP_HOST="localhost")  # DEBUG is off: ALLOWED_HOSTS applies
        client.force_login(each.user)
        client.get("/dashboard/")  # warm template and URL caches
        figures = {}
        for mode in ("cold", "warm"):
            if mode == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                assert client.get("/dashboard/").status_code == 200
            n_queries = len(ctx.captured_queries)  # read now: the next request resets the query log
            times = []
            for _ in range(repeat):
                if mode == "cold":
                    cache.clear()
                t = time.perf_counter()
                response = client.get("/dashboard/")
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
            figures[mode] = {
                "queries": n_queries,
                "render_ms_median": round(statistics.median(times), 2),
                "render_ms_p95": round(percentile(times, 0.95), 2),
            }
        figures["html_kb"] = round(len(response.content) / 1024, 1)
        out[name] = figures
    return out


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def load(port: int, cookies: list[str], duration: float, warmup: float, think: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + duration

    def user(cookie: str, seed_: int) -> None:
        rng = random.Random(seed_)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": f"sessionid={cookie}", "Host": "localhost"}
        time.sleep(rng.random() * 0.5)  # do not start in lock step
        while time.monotonic() < stop_at:
            t = time.monotonic()
            body = b""
            ok = False
            for attempt in (1, 2):  # a keep-alive connection the server closed while idle: reconnect once
                try:
                    conn.request("GET", "/dashboard/", headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    ok = response.status == 200 and b'data-testid="xp-total"' in body
                    break
                except (OSError, http.client.HTTPException) as error:
                    body = repr(error).encode()
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    if attempt == 1:
                        t = time.monotonic()  # the retry is the request a browser would make
            elapsed = (time.monotonic() - t) * 1000
            if t >= measure_from:
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors.append(body[:200].decode(errors="replace"))
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    threads = [threading.Thread(target=user, args=(cookie, i)) for i, cookie in enumerate(cookies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:3],
        "throughput_rps": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument(
        "--think",
        type=float,
        action="append",
        help="seconds between a user's requests (repeatable); default 0 and 1",
    )
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", default=str(REPO_DIR / "var" / "bench" / "dashboard.json"))
    return parser.parse_args()


def seed_both() -> tuple[object, object, float]:
    """Migrate, load the curriculum, seed the 1,000-attempt and the 10-attempt learner; (both, seconds)."""
    from django.core.management import call_command

    from lessons.services import curriculum_load

    call_command("migrate", verbosity=0)
    curriculum_load()
    t = time.perf_counter()
    learner = seed("bench-parent", ATTEMPTS)
    small = seed("bench-small", 10)
    seed_s = time.perf_counter() - t
    print(
        f"seeded in {seed_s:.1f} s; learner {learner.pk} has {learner.attempts.count()} attempts",
        file=sys.stderr,
    )
    return learner, small, seed_s


def over_http(args: argparse.Namespace, cookies: list[str], thinks: list[float]) -> list[dict]:
    """One load run per think time against a gunicorn started for them (and stopped after)."""
    from django.db import connections

    connections.close_all()  # the server's workers open their own
    env = dict(os.environ, DEBUG="0", DATABASE_CONN_MAX_AGE="60")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "signlearn.wsgi",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            f"--bind=127.0.0.1:{args.port}",
            "--keep-alive=10",
            "--log-level=warning",
        ],
        cwd=REPO_DIR,
        env=env,
    )
    runs = []
    try:
        wait_for(args.port)
        for think in thinks:
            result = load(args.port, cookies, args.duration, args.warmup, think)
            result.update(users=args.users, think_s=think)
            runs.append(result)
            print(f"think {think}s: {result}", file=sys.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return runs


def main() -> int:
    args = parse_args()
    thinks = args.think or [0.0, 1.0]

    import django

    django.setup()
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        print("warning: DATABASE_URL is not PostgreSQL; the target is defined on PostgreSQL", file=sys.stderr)
    learner, small, seed_s = seed_both()
    inproc = in_process(learner, small, repeat=30)
    print(f"in-process: {inproc}", file=sys.stderr)
    cookies = [session_cookie(learner.user) for _ in range(args.users)]
    runs = over_http(args, cookies, thinks)

    report = {
        "benchmark": "dashboard",
        "database": engine.rsplit(".", 1)[-1],
        "attempts": ATTEMPTS,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_after": os.getloadavg(),
        },
        "seed_seconds": round(seed_s, 1),
        "in_process": inproc,
        "query_count_independent_of_history": all(
            inproc["learner_1000"][mode]["queries"] == inproc["learner_10"][mode]["queries"]
            for mode in ("cold", "warm")
        ),
        "runs": runs,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": {
            f"think_{r['think_s']}s": r["p95_ms"] <= TARGET_P95_MS and not r["errors"] for r in runs
        },
    }
    report_write(report=report, out=Path(args.out), indent=2, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
