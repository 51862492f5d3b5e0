"""Reliability under worker kills and a broker outage, with real processes (issue 14).

    .venv/bin/python bench/reliability.py [--kills 50] [--fs-kills 50] [--outage 30] [--uploaders 20]
        [--database-url postgres://postgres@127.0.0.1:5432/signlearn_bench] [--port 18300]
        [--phases kills,outage,beat,accept]

Everything runs in a temporary folder (media, beat schedule, broker folder, a private redis-server
started here with `--appendonly yes` as docker-compose runs it) on --database-url (default: a SQLite
file in that folder; PostgreSQL is what production runs). Phases, each on its own learners:

- kills (Redis, then the filesystem broker): a prefork worker and a separate beat, as docker-compose
  runs them. N times: upload two real clips, SIGKILL the worker's process group while it grades the
  first, start a new worker at once. Reports attempts lost (never final), failed, graded twice,
  XP double-counted (the learner's total against the sum of results, and again after
  recompute_progress), the time from the last kill until every attempt is final, and the time from
  each restart to its killed attempt being graded (p50/p95/max).
- outage: gunicorn (gunicorn.conf.py, production settings) with a client posting a clip to the API every
  --outage-interval s while the redis-server is stopped for --outage seconds and started again
  (10 s of uploads before and after); once with the cache on the
  broker's Redis (as docker-compose) and once with a per-process cache, so both the 503 path and the
  kept-then-graded path are exercised. Each upload must end graded or be refused with 503 and
  nothing stored.
- beat: `manage.py runstack` whose worker's main process is SIGKILLed; counts processes it leaves.
- accept: --uploaders concurrent clients each uploading --uploads clips back to back against
  gunicorn (Redis broker and cache, the worker grading meanwhile, started as the product starts it:
  at SIGNLEARN_WORKER_NICE, in a session of its own): accept latency p50/p95, and the machine's load
  average, since on a shared machine the figure depends on it.

Writes var/bench/reliability.json and prints a summary. With the machine shared, try --kills 3 first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from bench.clips import pick_clips  # noqa: E402

OUT = REPO_DIR / "var" / "bench" / "reliability.json"
TARGETS = {"restart_to_graded_p95_s": 30, "upload_accept_p95_ms": 300, "final_after_last_kill_s": 300}
FINAL_TIMEOUT_S = 300
PHASES = ("kills", "outage", "beat", "accept")


def percentile(values: list[float], q: float) -> float | None:
    import numpy as np

    return round(float(np.percentile(values, q)), 3) if values else None


def setup_environment(work: Path, database_url: str | None) -> None:
    """Must run before Django settings are imported."""
    for name in ("CELERY_BROKER_URL", "SIGNLEARN_BROKER_DIR", "CACHE_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="signlearn.settings.base",
        DATABASE_URL=database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        SIGNLEARN_VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(work / "media"),
        SIGNLEARN_BROKER_DIR=str(work / "broker"),
        DEBUG="false",
        LOG_LEVEL="INFO",
        SIGNLEARN_UPLOAD_RATE="100000/min",
        SECRET_KEY=secrets.token_urlsafe(60),
        SIGNLEARN_EXPORT_ID_SECRET=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
    )


def learner(name: str):
    from rest_framework.authtoken.models import Token

    from accounts.services import user_signup

    learner = user_signup(
        username=f"{name}-{uuid.uuid4().hex[:8]}",
        email=f"{name}@example.org",
        password=secrets.token_urlsafe(16),
        display_name=name,
        time_zone="UTC",
    )
    return learner, Token.objects.get_or_create(user=learner.user)[0].key


def submit(learner, clip: Path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lessons.models import Sign
    from practice.services import attempt_create

    sign = Sign.objects.get(name=clip.stem.split("_", 1)[1].rsplit("_", 1)[0])
    return attempt_create(learner=learner, sign=sign, video=SimpleUploadedFile(clip.name, clip.read_bytes()))


def wait_final(ids, timeout: float) -> float:
    """Seconds until every attempt is graded or failed (timeout if not)."""
    from practice.models import Attempt

    started = time.monotonic()
    while Attempt.objects.filter(pk__in=list(ids), status__in=["uploaded", "queued", "processing"]).exists():
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.1)
    return round(time.monotonic() - started, 2)


def integrity(learner, ids) -> dict:
    """Lost, failed, graded twice and XP double-counted for one learner's attempts."""
    from django.db.models import Count, Sum

    from practice.models import Attempt, AttemptResult
    from progress.models import LearnerProgress, ProgressEvent
    from progress.services import progress_recompute

    ids = list(ids)
    statuses = list(Attempt.objects.filter(pk__in=ids).values_list("status", flat=True))
    events = ProgressEvent.objects.filter(attempt_id__in=ids).values("attempt_id").annotate(n=Count("pk"))
    xp_results = AttemptResult.objects.filter(attempt_id__in=ids).aggregate(s=Sum("xp"))["s"] or 0
    progress = LearnerProgress.objects.filter(learner=learner).first()
    xp_before = progress.xp_total if progress else 0
    xp_after = progress_recompute(learner=learner).xp_total
    return {
        "attempts": len(ids),
        "lost": len(ids) - statuses.count("graded") - statuses.count("failed"),
        "failed": statuses.count("failed"),
        "failure_reasons": sorted(
            set(Attempt.objects.filter(pk__in=ids, status="failed").values_list("failure_reason", flat=True))
        ),
        "graded_twice": sum(1 for row in events if row["n"] > 1),
        "xp_double_counted": xp_before - xp_results,
        "xp_changed_by_recompute": xp_after - xp_before,
    }


def kill_phase(name: str, n: int, work: Path, clips: list[Path], broker_url: str | None) -> dict:
    from core.testing.worker import BeatProcess, WorkerProcess, use_broker_folder, use_broker_url
    from practice.models import Attempt

    folder = None if broker_url else work / f"broker-{name}"
    if broker_url:
        use_broker_url(broker_url, {"visibility_timeout": 8 * 3600})
    else:
        use_broker_folder(folder)
    logs = work / f"logs-{name}"
    logs.mkdir()
    worker = WorkerProcess(log_dir=logs, broker_folder=folder, broker_url=broker_url, pool="prefork").start()
    beat = BeatProcess(log_dir=logs, broker_folder=folder, broker_url=broker_url).start()
    person, _ = learner(f"kills-{name}")
    ids, restart_to_graded, missed, last_kill = [], [], 0, time.monotonic()
    rng = random.Random(0)
    try:
        for i in range(n):
            first = submit(person, clips[(2 * i) % len(clips)])
            ids += [first.pk, submit(person, clips[(2 * i + 1) % len(clips)]).pk]
            deadline = time.monotonic() + 120
            while not Attempt.objects.filter(pk=first.pk, status="processing").exists():
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            time.sleep(rng.uniform(0, 1.0))
            if not Attempt.objects.filter(pk=first.pk, status="processing").exists():
                missed += 1  # graded before the kill landed
                continue
            worker.kill()
            restarted, last_kill = time.time(), time.monotonic()
            worker.start()
            wait_final([first.pk], timeout=120)
            first.refresh_from_db()
            if first.status == "graded":
                restart_to_graded.append(first.finished_at.timestamp() - restarted)
            print(f"  {name} kill {i + 1}/{n}: {first.status} {restart_to_graded[-1:]}", flush=True)
        wait_final(ids, timeout=FINAL_TIMEOUT_S)
        final_after_last_kill = round(time.monotonic() - last_kill, 2)
    finally:
        worker.stop()
        beat.stop()
    return {
        "kills": n - missed,
        "kills_missed": missed,
        **integrity(person, ids),
        "final_after_last_kill_s": final_after_last_kill,
        "restart_to_graded_s": {
            "p50": percentile(restart_to_graded, 50),
            "p95": percentile(restart_to_graded, 95),
            "max": round(max(restart_to_graded), 2) if restart_to_graded else None,
        },
    }


class Gunicorn:
    """The web server as the web container runs it (gunicorn.conf.py), on production settings."""

    def __init__(self, *, port: int, work: Path, broker_url: str, cache_url: str):
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="signlearn.settings.production", LOG_LEVEL="WARNING")
        env.update(CELERY_BROKER_URL=broker_url, CACHE_URL=cache_url)
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                   "signlearn.wsgi:application"]  # fmt: skip
        self.log = (work / f"gunicorn-{port}.log").open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def post_clip(url: str, token: str, body: bytes, content_type: str) -> tuple[int, str, float]:
    """(status, error code, seconds) of one API upload."""
    request = urllib.request.Request(
        url + "/api/v1/attempts/",
        data=body,
        headers={"Authorization": f"Token {token}", "Content-Type": content_type},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    except OSError as error:
        return 0, type(error).__name__, time.perf_counter() - started
    elapsed = time.perf_counter() - started
    try:
        data = json.loads(payload)
    except ValueError:
        data = {}
    return status, str(data.get("code") or data.get("id") or ""), elapsed


def bodies(clips: list[Path]) -> list[tuple[bytes, str]]:
    from signlearn.client import encode_multipart

    return [
        encode_multipart({"sign": c.stem.split("_", 1)[1].rsplit("_", 1)[0]}, {"video": c}) for c in clips
    ]


def outage_phase(
    work: Path, redis, port: int, clips: list[Path], outage_s: float, interval_s: float, cache_on_broker: bool
) -> dict:
    from core.testing.worker import BeatProcess, WorkerProcess, use_broker_url
    from practice.models import Attempt

    use_broker_url(redis.url, {"visibility_timeout": 8 * 3600})
    logs = work / f"logs-outage-{port}"
    logs.mkdir()
    worker = WorkerProcess(log_dir=logs, broker_folder=None, broker_url=redis.url, pool="prefork").start()
    beat = BeatProcess(log_dir=logs, broker_folder=None, broker_url=redis.url).start()
    cache_url = redis.url.rsplit("/", 1)[0] + "/1" if cache_on_broker else ""
    web = Gunicorn(port=port, work=work, broker_url=redis.url, cache_url=cache_url)
    person, token = learner(f"outage-{port}")
    posts = bodies(clips)
    results: list[tuple[float, int, str, float]] = []
    started, lead = time.monotonic(), 10.0
    stop = threading.Event()

    def uploader(k: int) -> None:
        i = k
        while not stop.is_set():  # one upload every interval_s, at the pace one worker grades
            body, content_type = posts[i % len(posts)]
            sent = time.monotonic()
            status, code, elapsed = post_clip(web.url, token, body, content_type)
            results.append((sent - started, status, code, elapsed))
            i += 1
            stop.wait(max(0.0, interval_s - (time.monotonic() - sent)))

    threads = [threading.Thread(target=uploader, args=(0,))]
    try:
        for thread in threads:
            thread.start()
        time.sleep(lead)
        redis.stop()
        time.sleep(outage_s)
        redis.start()
        time.sleep(lead)
        stop.set()
        for thread in threads:
            thread.join()
        ids = list(Attempt.objects.filter(learner=person).values_list("pk", flat=True))
        all_final_s = wait_final(ids, timeout=FINAL_TIMEOUT_S)
    finally:
        stop.set()
        web.stop()
        worker.stop()
        beat.stop()
    during = [r for r in results if lead <= r[0] <= lead + outage_s]
    accepted = sum(1 for r in results if r[1] == 202)
    return {
        "cache_on_broker": cache_on_broker,
        "outage_s": outage_s,
        "uploads": len(results),
        "uploads_during_outage": len(during),
        "accepted_during_outage": sum(1 for r in during if r[1] == 202),
        "accepted_202": accepted,
        "refused_503": {
            code: sum(1 for r in results if r[1] == 503 and r[2] == code)
            for code in {r[2] for r in results if r[1] == 503}
        },
        "other_errors": sorted({f"{r[1]} {r[2]}" for r in results if r[1] not in (202, 503)}),
        "stored_for_refused": len(ids) - accepted,
        **integrity(person, ids),
        "all_final_after_uploads_s": all_final_s,
    }


def accept_phase(work: Path, redis, port: int, clips: list[Path], uploaders: int, uploads: int) -> dict:
    from core.testing.worker import WorkerProcess

    worker = WorkerProcess(log_dir=work, broker_folder=None, broker_url=redis.url, pool="prefork").start()
    web = Gunicorn(port=port, work=work, broker_url=redis.url, cache_url=redis.url.rsplit("/", 1)[0] + "/1")
    tokens = [learner(f"accept-{k}")[1] for k in range(uploaders)]
    posts = bodies(clips)
    results: list[tuple[int, str, float]] = []
    barrier = threading.Barrier(uploaders)

    def uploader(k: int) -> None:
        barrier.wait()
        for i in range(uploads):
            body, content_type = posts[(k + i) % len(posts)]
            results.append(post_clip(web.url, tokens[k], body, content_type))

    threads = [threading.Thread(target=uploader, args=(k,)) for k in range(uploaders)]
    load_before = os.getloadavg()[0]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        web.stop()
        worker.stop()
    ms = [r[2] * 1000 for r in results if r[0] == 202]
    return {
        # The machine is shared: runnable processes (1-min average) before and after this phase.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "uploaders": uploaders,
        "uploads": len(results),
        "accepted": len(ms),
        "errors": sorted({f"{r[0]} {r[1]}" for r in results if r[0] != 202}),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
    }


def marked(mark: str) -> dict[int, str]:
    """pid -> command line of the live processes carrying the marker in their environment."""
    found = {}
    needle = f"BENCH_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and needle in (entry / "environ").read_bytes().split(b"\0"):
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                    found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def beat_phase(work: Path, port: int, times: int) -> dict:
    """runstack, then SIGKILL its worker's main process: what is left once runstack has stopped?"""
    left = []
    for k in range(times):
        mark = uuid.uuid4().hex
        env = dict(os.environ, BENCH_MARK=mark, SIGNLEARN_BROKER_DIR=str(work / f"broker-runstack-{k}"))
        log = work / f"runstack-{k}.log"
        with log.open("wb") as out:
            runstack = subprocess.Popen([sys.executable, "manage.py", "runstack", "--addr", f"127.0.0.1:{port}"],
                                        cwd=REPO_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 120
        while not (" ready." in log.read_text() and "beat: Starting" in log.read_text()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"runstack did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        workers = [line for line in subprocess.run(["pgrep", "-P", str(runstack.pid), "-f", " worker "],
                                                   capture_output=True, text=True).stdout.split()]  # fmt: skip
        os.kill(int(workers[0]), signal.SIGKILL)
        runstack.wait(timeout=60)
        time.sleep(5)
        leftovers = marked(mark)
        left += leftovers.values()
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
    return {
        "worker_kills": times,
        "processes_left": len(left),
        "beats_left": sum(" beat " in c for c in left),
        "left": left,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50, help="worker kills on Redis")
    parser.add_argument(
        "--fs-kills", type=int, default=None, help="on the filesystem broker (default --kills)"
    )
    parser.add_argument("--outage", type=float, default=30.0, help="seconds the broker is down")
    parser.add_argument("--outage-interval", type=float, default=2.0, help="seconds between uploads then")
    parser.add_argument("--uploaders", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=5, help="per uploader in the accept phase")
    parser.add_argument("--beat-kills", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--port", type=int, default=18300, help="first of the few local ports used")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated, of {','.join(PHASES)} (default all)"
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if not phases <= set(PHASES):
        parser.error(f"--phases: unknown {sorted(phases - set(PHASES))}")
    work = Path(tempfile.mkdtemp(prefix="signlearn-bench-reliability-"))
    setup_environment(work, args.database_url)

    import django

    django.setup()
    from django.core.management import call_command

    from core.testing.worker import RedisServer
    from lessons.services import curriculum_load

    call_command("migrate", verbosity=0)
    curriculum_load()
    clips = pick_clips(20)
    redis = RedisServer(folder=work / "redis", port=args.port).start()
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    report["database"] = os.environ["DATABASE_URL"].split("://")[0]
    try:
        if "kills" in phases:
            print("kills on Redis...", flush=True)
            report["kills_redis"] = kill_phase("redis", args.kills, work, clips, redis.url)
            print("kills on the filesystem broker...", flush=True)
            fs_kills = args.kills if args.fs_kills is None else args.fs_kills
            report["kills_filesystem"] = kill_phase("filesystem", fs_kills, work, clips, None)
        if "outage" in phases:
            print("broker outage...", flush=True)
            for key, port, on_broker in (
                ("outage_cache_on_broker", 1, True),
                ("outage_local_cache", 2, False),
            ):
                report[key] = outage_phase(
                    work, redis, args.port + port, clips, args.outage, args.outage_interval, on_broker
                )
        if "beat" in phases:
            print("runstack worker kills...", flush=True)
            report["orphaned_beat"] = beat_phase(work, args.port + 3, args.beat_kills)
        if "accept" in phases:
            print("upload accept latency...", flush=True)
            report["upload_accept"] = accept_phase(
                work, redis, args.port + 4, clips, args.uploaders, args.uploads
            )
    finally:
        redis.stop()
    report["targets"] = TARGETS
    report["command"] = " ".join([".venv/bin/python", "bench/reliability.py", *sys.argv[1:]])
    # A run of some phases does not overwrite the full run's figures.
    out = OUT if phases == set(PHASES) else OUT.with_name(f"reliability-{'-'.join(sorted(phases))}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print(f"work folder (logs): {work}")


if __name__ == "__main__":
    main()
