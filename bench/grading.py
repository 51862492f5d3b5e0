"""Benchmark practice grading end to end: upload request -> queue -> real Celery worker(s) -> graded.

    .venv/bin/python bench/grading.py [--clips 20] [--workers 1 2]

Runs on the embedded default in a temporary folder (SQLite, filesystem broker, its own media), so it
never touches var/signlearn.sqlite3 or a running `make run`. The model is the one the app grades with
(settings.SIGNLEARN_MODEL_DIR, or the registry's active model; none is active in a fresh database): the
shipped configuration of ml/models/ (three models, test-time mirroring). With --single-model the
sequential pass is repeated with our model alone, in the same run, so the two latencies compare.

Measured on `--clips` real clips from ../shared/islr/videos, each uploaded for its own sign through the
web view (Django test client, in this process: the request's own cost without network):
- upload request time (validate by probing the stream, store, queue) p50/p95;
- sequential: one clip at a time with one worker, so latency = grading without queueing;
  ratio of grading time (worker claim -> result stored) and of accepted -> graded to the clip's length;
- burst: all clips uploaded at once with 1 and with 2 worker processes: latency (includes waiting in
  the queue) p50/p95 and throughput in clips per minute; 2-vs-1 speed-up.
- landmark mode (the page extracted the landmarks on the device, issue 16): each clip's landmarks as
  the worker extracted them above, posted to the page's landmark endpoint; submit -> result seen by a
  client polling the status URL as practice.js does, one at a time; then a burst of `--landmark-burst`
  landmark attempts with one worker: attempts graded per minute and worker CPU seconds per attempt.
Writes var/bench/grading.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from bench.clips import pick_clips  # noqa: E402
from bench.report import report_write  # noqa: E402

OUT = REPO_DIR / "var" / "bench" / "grading.json"
TARGETS = {
    "sequential_p50_ratio_to_clip": 1.0,
    "sequential_p95_ratio_to_clip": 2.0,
    "upload_p95_ms": 300,
    "throughput_speedup_2_vs_1": 1.6,
    "landmarks_submit_to_result_p50_s": 0.5,
    "landmarks_graded_per_minute_1_worker": 1000,
}
# practice.js polls the status URL at once, then every POLL_FAST_S for POLL_FAST_FOR_S, then every POLL_S.
POLL_FAST_S, POLL_FAST_FOR_S, POLL_S = 0.2, 3.0, 1.0


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 3) if values else float("nan")


def setup_environment(work: Path) -> None:
    """Embedded default inside `work`; must run before Django settings are imported."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "SIGNLEARN_BROKER_DIR"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="signlearn.settings.base",
        SIGNLEARN_VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(work / "media"),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        SIGNLEARN_UPLOAD_RATE="10000/min",
    )


class Workers:
    """N separate worker processes (solo pool: one grading at a time each, like prefork -c 1)."""

    def __init__(self, n: int, log_dir: Path, env: dict | None = None):
        self.processes = []
        for i in range(n):
            log = (log_dir / f"worker-{n}-{i}.log").open("wb")
            command = [sys.executable, "-m", "celery", "-A", "signlearn", "worker", "--pool=solo",
                       "--concurrency=1", "--loglevel=INFO", "--without-heartbeat", "--without-mingle",
                       "--without-gossip", "-n", f"bench-{n}-{i}@%h"]  # fmt: skip
            env = dict(os.environ, LOG_LEVEL="INFO", **(env or {}))
            process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
            self.processes.append((process, log_dir / f"worker-{n}-{i}.log"))
        deadline = time.monotonic() + 120
        for process, path in self.processes:
            while " ready." not in path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"worker did not start:\n{path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User + system CPU of all worker processes so far (all their threads)."""
        total = 0
        for process, _ in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        for process, _ in self.processes:
            process.terminate()
        for process, _ in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def upload(client, clip: Path, sign: str) -> tuple[int, float]:
    """POST the clip to the practice view as the page's script does; (attempt id, request seconds)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = clip.read_bytes()
    started = time.perf_counter()
    response = client.post(
        f"/practice/signs/{sign}/attempts/",
        {"video": SimpleUploadedFile(clip.name, data, content_type="video/mp4")},
        headers={"accept": "application/json"},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 202:
        sys.exit(f"upload of {clip.name} refused: {response.status_code} {response.content[:300]!r}")
    return response.json()["id"], elapsed


def landmarks_body(data) -> bytes:
    """The JSON file static/js/ondevice/islr.js sends: [T][543][3], null for a missing point."""
    import numpy as np

    rounded = np.round(data.astype(np.float64), 5)
    value = np.where(np.isnan(rounded), None, rounded).tolist()
    return json.dumps(value).encode()


def submit_landmarks(client, body: bytes, sign: str) -> tuple[int, str]:
    """POST landmarks to the page's endpoint; (attempt id, status URL)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/practice/signs/{sign}/landmark-attempts/",
        {"landmarks": SimpleUploadedFile("landmarks.json", body, content_type="application/json")},
        headers={"accept": "application/json"},
    )
    if response.status_code != 202:
        sys.exit(f"landmarks for {sign} refused: {response.status_code} {response.content[:300]!r}")
    return response.json()["id"], response.json()["status_url"]


def submit_and_see_result(client, body: bytes, sign: str) -> tuple[int, float]:
    """Submit landmarks and poll as the page does until the result is in; (id, seconds)."""
    started = time.perf_counter()
    attempt_id, status_url = submit_landmarks(client, body, sign)
    while True:
        if "html" in client.get(status_url, headers={"accept": "application/json"}).json():
            return attempt_id, time.perf_counter() - started
        waited = time.perf_counter() - started
        time.sleep(POLL_FAST_S if waited < POLL_FAST_FOR_S else POLL_S)


def landmark_mode(client, workers: Workers, sequences: list[tuple[bytes, str]], burst_n: int) -> dict:
    """One at a time (submit -> result on the page), then a burst of burst_n with the same worker."""
    seen_s, ids = [], []
    for body, sign in sequences:
        attempt_id, elapsed = submit_and_see_result(client, body, sign)
        seen_s.append(elapsed)
        ids.append(attempt_id)
    rows = attempt_rows(ids)
    report = {
        "sequential": {
            "n": len(seen_s),
            "graded": sum(r["status"] == "graded" for r in rows),
            "passed_top10": sum(r["rank"] is not None for r in rows),
            "submit_to_result_on_page_s": {"p50": percentile(seen_s, 50), "p95": percentile(seen_s, 95)},
            "grading_s": {"p50": percentile([r["grading_s"] for r in rows], 50)},
        }
    }
    cpu_before = workers.cpu_seconds()
    started = time.time()
    ids = [submit_landmarks(client, *sequences[i % len(sequences)])[0] for i in range(burst_n)]
    wait_all(ids)
    cpu_s = workers.cpu_seconds() - cpu_before
    rows = attempt_rows(ids)
    span = max(r["finished_at"] for r in rows) - started
    report["burst_1_worker"] = {
        "n": burst_n,
        "graded": sum(r["status"] == "graded" for r in rows),
        "wall_s": round(span, 2),
        "graded_per_minute": round(60 * burst_n / span, 1),
        # The worker's own pace, from its first claim to its last result: submitting 200 attempts through
        # the web view in this one process takes time of its own.
        "worker_graded_per_minute": round(
            60 * burst_n / (max(r["finished_at"] for r in rows) - min(r["started_at"] for r in rows)), 1
        ),
        "worker_cpu_s_per_attempt": round(cpu_s / burst_n, 4),
        "latency_s": {"p50": percentile([r["latency_s"] for r in rows], 50)},
    }
    return report


def wait_all(ids: list[int], timeout: float = 900.0) -> None:
    from practice.models import Attempt

    deadline = time.monotonic() + timeout
    final = [Attempt.Status.GRADED, Attempt.Status.FAILED]
    while Attempt.objects.filter(pk__in=ids).exclude(status__in=final).exists():
        if time.monotonic() > deadline:
            sys.exit(f"attempts not graded after {timeout} s")
        time.sleep(0.05)


def attempt_rows(ids: list[int]) -> list[dict]:
    from practice.models import Attempt

    rows = []
    for attempt in Attempt.objects.filter(pk__in=ids).select_related("sign", "result").order_by("pk"):
        result = getattr(attempt, "result", None)
        rows.append(
            {
                "id": attempt.pk,
                "sign": attempt.sign.name,
                "status": attempt.status,
                "failure_reason": attempt.failure_reason or None,
                "clip_s": round(attempt.duration_s or 0.0, 3),
                "queued_at": attempt.queued_at.timestamp(),
                "latency_s": round((attempt.finished_at - attempt.queued_at).total_seconds(), 3),
                "grading_s": round((attempt.finished_at - attempt.started_at).total_seconds(), 3),
                "started_at": attempt.started_at.timestamp(),
                "finished_at": attempt.finished_at.timestamp(),
                "rank": result.rank if result else None,
                "frames": result.n_frames if result else None,
                "model_version": result.model_version if result else None,
            }
        )
    return rows


def summarise(rows: list[dict]) -> dict:
    graded = [r for r in rows if r["clip_s"]]
    latency = [r["latency_s"] for r in rows]
    span = max(r["finished_at"] for r in rows) - min(r["queued_at"] for r in rows)
    return {
        "n": len(rows),
        "graded": sum(r["status"] == "graded" for r in rows),
        "latency_s": {"p50": percentile(latency, 50), "p95": percentile(latency, 95), "max": max(latency)},
        "grading_s": {
            "p50": percentile([r["grading_s"] for r in rows], 50),
            "p95": percentile([r["grading_s"] for r in rows], 95),
        },  # fmt: skip
        "latency_ratio_to_clip": {
            "p50": percentile([r["latency_s"] / r["clip_s"] for r in graded], 50),
            "p95": percentile([r["latency_s"] / r["clip_s"] for r in graded], 95),
        },
        "grading_ratio_to_clip": {
            "p50": percentile([r["grading_s"] / r["clip_s"] for r in graded], 50),
            "p95": percentile([r["grading_s"] / r["clip_s"] for r in graded], 95),
        },
        "wall_s": round(span, 3),
        "clips_per_minute": round(60 * len(rows) / span, 2),
        "passed_top10": sum(r["rank"] is not None for r in rows),
    }


def one_at_a_time(client, clips: list[Path], signs: list[str]) -> tuple[list[int], list[float]]:
    """Warm the worker with the first clip (it loads Holistic and the model), then upload each clip and
    wait for its grade before the next, so nothing queues; (attempt ids, upload request seconds)."""
    warm, _ = upload(client, clips[0], signs[0])
    wait_all([warm])
    ids, upload_s = [], []
    for clip, sign in zip(clips, signs, strict=True):
        attempt_id, elapsed = upload(client, clip, sign)
        upload_s.append(elapsed)
        wait_all([attempt_id])
        ids.append(attempt_id)
    return ids, upload_s


def sequential_single_model(work: Path, client, clips: list[Path], signs: list[str], shipped: Path) -> dict:
    """The sequential pass again, graded by the shipped folder's own model alone (a copy without
    configuration.json), for comparison with the configuration in the same run."""
    single = work / "single-model"
    single.mkdir()
    for name in ("model.tflite", "sign_to_prediction_index_map.json", "model_card.json"):
        shutil.copy(shipped / name, single / name)
    workers = Workers(1, work, env={"SIGNLEARN_MODEL_DIR": str(single)})
    try:
        ids, _ = one_at_a_time(client, clips, signs)
        rows = attempt_rows(ids)
    finally:
        workers.stop()
    summary = summarise(rows)
    print("sequential, single model:", json.dumps(summary["latency_ratio_to_clip"]), file=sys.stderr)
    return summary | {"model_version": rows[0]["model_version"], "per_clip": rows}


def landmark_sequences(ids: list[int]) -> list[tuple[bytes, str]]:
    """(JSON body, sign) of each graded video attempt's extracted landmarks."""
    from ml.islr_io import read_sequence
    from practice.models import Attempt

    graded = Attempt.objects.filter(pk__in=ids, status=Attempt.Status.GRADED).select_related("sign")
    return [(landmarks_body(read_sequence(a.landmarks.path)), a.sign.name) for a in graded.order_by("pk")]


def sequential_and_landmarks(
    report: dict, work: Path, client, clips, signs, landmark_burst: int
) -> list[float]:
    """Sequential latency (one worker, one clip at a time), then landmark mode on the same worker with
    the landmarks it just extracted, as a page sends them. Fills the report; the upload seconds."""
    workers = Workers(1, work)
    try:
        ids, upload_s = one_at_a_time(client, clips, signs)
        rows = attempt_rows(ids)
        report["sequential_1_worker"] = summarise(rows) | {"per_clip": rows}
        report["model_version"] = rows[0]["model_version"]
        latency_ratio = report["sequential_1_worker"]["latency_ratio_to_clip"]
        print("sequential:", json.dumps(latency_ratio), file=sys.stderr)
        report["landmarks"] = landmark_mode(client, workers, landmark_sequences(ids), landmark_burst)
        print("landmarks:", json.dumps(report["landmarks"]), file=sys.stderr)
    finally:
        workers.stop()
    return upload_s


def burst(work: Path, client, clips: list[Path], signs: list[str], n: int) -> tuple[dict, list[float]]:
    """All clips uploaded at once to n worker processes; (summary, upload seconds)."""
    workers = Workers(n, work)
    try:
        warm = [upload(client, clips[i % len(clips)], signs[i % len(clips)])[0] for i in range(n)]
        wait_all(warm)  # every worker has loaded its models
        cpu_before = workers.cpu_seconds()
        ids, upload_s = [], []
        for clip, sign in zip(clips, signs, strict=True):
            attempt_id, elapsed = upload(client, clip, sign)
            upload_s.append(elapsed)
            ids.append(attempt_id)
        wait_all(ids)
        cpu_s = workers.cpu_seconds() - cpu_before
    finally:
        workers.stop()
    summary = summarise(attempt_rows(ids))
    # Cores the workers actually got: below n means the machine had no more to give.
    summary["worker_cpu_s_per_clip"] = round(cpu_s / len(ids), 3)
    summary["worker_cores_used"] = round(cpu_s / summary["wall_s"], 2)
    return summary, upload_s


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--landmark-burst", type=int, default=200, help="landmark attempts in the burst")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, database)")
    parser.add_argument(
        "--single-model",
        action="store_true",
        help="also time the sequential pass with our model alone (without configuration.json)",
    )
    return parser.parse_args()


def bench_client():
    """A fresh database with the curriculum and one learner; a test client logged in as its account."""
    from django.core.management import call_command
    from django.test import Client

    from accounts.services import user_signup
    from lessons.services import curriculum_load

    call_command("migrate", verbosity=0)
    curriculum_load()
    learner = user_signup(
        username="bench",
        email="bench@example.org",
        password="bench-password-1",
        display_name="Bench",
        time_zone="UTC",
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(learner.user)
    return client


def report_start(clips: list[Path]) -> dict:
    from django.conf import settings

    return {
        "machine": {
            "cpu": platform.machine(),
            "cpus_online": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_start": list(os.getloadavg()),
        },
        "settings": {
            "database": "sqlite (embedded default)",
            "broker": "filesystem (embedded default)",
            "model_dir": str(settings.SIGNLEARN_MODEL_DIR),
            "grading_fps": settings.SIGNLEARN_GRADING_FPS,
            "pool": "solo, one process per worker",
        },
        "targets": TARGETS,
        "clips": [clip.name for clip in clips],
    }


def report_finish(report: dict, upload_s: list[float]) -> None:
    """The figures computed over all passes: upload request times, 2-vs-1 speed-up, load at the end."""
    report["upload_request_ms"] = {
        "n": len(upload_s),
        "p50": round(1000 * percentile(upload_s, 50), 1),
        "p95": round(1000 * percentile(upload_s, 95), 1),
    }
    if "1" in report["burst"] and "2" in report["burst"]:
        report["throughput_speedup_2_vs_1"] = round(
            report["burst"]["2"]["clips_per_minute"] / report["burst"]["1"]["clips_per_minute"], 2
        )
    report["machine"]["load_avg_at_end"] = list(os.getloadavg())


def summary_print(report: dict) -> None:
    seq, uploads = report["sequential_1_worker"], report["upload_request_ms"]
    print(
        f"upload p50 {uploads['p50']} ms, p95 {uploads['p95']} ms\n"
        f"sequential (1 worker): latency p50 {seq['latency_s']['p50']} s, p95 {seq['latency_s']['p95']} s; "
        f"x clip length p50 {seq['latency_ratio_to_clip']['p50']}, p95 {seq['latency_ratio_to_clip']['p95']}"
    )
    if "sequential_1_worker_single_model" in report:
        single = report["sequential_1_worker_single_model"]
        print(
            f"sequential, our model alone: latency p50 {single['latency_s']['p50']} s; x clip length p50 "
            f"{single['latency_ratio_to_clip']['p50']}, p95 {single['latency_ratio_to_clip']['p95']} "
            f"(configuration above: {report['model_version']})"
        )
    for n, each in report["burst"].items():
        print(
            f"burst, {n} worker(s): latency p50 {each['latency_s']['p50']} s, p95 {each['latency_s']['p95']} s, "
            f"{each['clips_per_minute']} clips/min, workers used {each['worker_cores_used']} cores"
        )
    if "throughput_speedup_2_vs_1" in report:
        print(f"2 workers vs 1: {report['throughput_speedup_2_vs_1']}x throughput")
    marks, video_cpu = report["landmarks"], report["burst"].get("1", {}).get("worker_cpu_s_per_clip")
    print(
        f"landmarks: submit -> result on the page p50 {marks['sequential']['submit_to_result_on_page_s']['p50']} s; "
        f"{marks['burst_1_worker']['graded_per_minute']} graded/min with 1 worker; worker CPU per attempt "
        f"{marks['burst_1_worker']['worker_cpu_s_per_attempt']} s (video: {video_cpu} s)"
    )


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="signlearn-bench-grading-"))
    setup_environment(work)
    import django

    django.setup()
    from django.conf import settings

    client = bench_client()
    clips = pick_clips(args.clips)
    signs = [clip.stem.split("_", 1)[1].rsplit("_", 1)[0] for clip in clips]
    report = report_start(clips)
    print(f"{len(clips)} clips, workers {args.workers}, work folder {work}", file=sys.stderr)
    try:
        upload_s = sequential_and_landmarks(report, work, client, clips, signs, args.landmark_burst)
        if args.single_model:
            report["sequential_1_worker_single_model"] = sequential_single_model(
                work, client, clips, signs, Path(settings.SIGNLEARN_MODEL_DIR)
            )
        report["burst"] = {}
        for n in args.workers:
            report["burst"][str(n)], burst_upload_s = burst(work, client, clips, signs, n)
            upload_s += burst_upload_s
            print(f"burst {n}:", json.dumps(report["burst"][str(n)]["latency_s"]), file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report_finish(report, upload_s)
    report_write(report=report, out=OUT)
    summary_print(report)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
