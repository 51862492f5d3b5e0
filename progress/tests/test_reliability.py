"""Worker kills and a broker restart on Redis, with real processes: count attempts lost and XP counted twice.

Each test runs its own redis-server (append-only, as in docker-compose), a worker and a beat pointed
at it, so it runs the same on both CI backends. bench/reliability.py does the same at scale.
"""

import os
import shutil
import socket
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from core.testing.worker import BeatProcess, RedisServer, WorkerProcess, use_broker_url
from lessons.models import Sign
from practice.conftest import OWN_SIGN, WRONG_SIGN, wait_for_status
from practice.models import Attempt, AttemptResult
from practice.services import attempt_create
from progress.models import LearnerProgress, ProgressEvent

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum", "grading_model_dir")]
RESTART_TO_GRADED_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_stack(transactional_db, tmp_path):
    """A private Redis, a worker and a beat on it; this process sends its tasks there too."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is needed for the broker tests in CI")
        pytest.skip("needs redis-server")
    from core.testing.worker import celery_app

    app = celery_app()

    saved = app.conf.broker_url, app.conf.broker_transport_options
    redis = RedisServer(folder=tmp_path / "redis", port=free_port()).start()
    options = {"visibility_timeout": 8 * 3600}
    use_broker_url(redis.url, options)
    worker = WorkerProcess(log_dir=tmp_path, broker_folder=None, broker_url=redis.url)
    beat = BeatProcess(log_dir=tmp_path, broker_folder=None, broker_url=redis.url)
    try:
        yield redis, worker.start(), beat.start()
    finally:
        worker.stop()
        beat.stop()
        redis.stop()
        use_broker_url(*saved)


def submit(learner, clip, n: int) -> Attempt:
    sign = OWN_SIGN if n % 2 == 0 else WRONG_SIGN  # XP 15-20 and 2: a double count shows
    video = SimpleUploadedFile(clip.name, clip.read_bytes())
    return attempt_create(learner=learner, sign=Sign.objects.get(name=sign), video=video)


def wait_all_final(ids: list[int], timeout: float, logs) -> None:
    deadline = time.monotonic() + timeout
    final = (Attempt.Status.GRADED, Attempt.Status.FAILED)
    while time.monotonic() < deadline:
        if Attempt.objects.filter(pk__in=ids, status__in=final).count() == len(ids):
            return
        time.sleep(0.2)
    left = dict(Attempt.objects.filter(pk__in=ids).exclude(status__in=final).values_list("pk", "status"))
    raise AssertionError(f"not final after {timeout} s: {left}\n" + "\n".join(p.log()[-2000:] for p in logs))


def assert_each_graded_once(learner, ids: list[int]) -> None:
    statuses = list(Attempt.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == ["graded"] * len(ids)  # none lost, none failed
    assert AttemptResult.objects.filter(attempt_id__in=ids).count() == len(ids)
    assert ProgressEvent.objects.filter(attempt_id__in=ids).count() == len(ids)
    xp = AttemptResult.objects.filter(attempt_id__in=ids).aggregate(total=Sum("xp"))["total"]
    assert LearnerProgress.objects.get(learner=learner).xp_total == xp  # no XP counted twice


def test_worker_killed_while_grading_loses_nothing_and_regrades_within_30_s(redis_stack, hamlet, rain_clip):
    _, worker, beat = redis_stack
    ids = [submit(hamlet, rain_clip, n).pk for n in range(4)]
    killed: dict[int, float] = {}  # attempt id -> wall-clock time of the worker's restart
    for _ in range(2):
        pending = Attempt.objects.filter(pk__in=ids, status__in=["queued", "processing"])
        target = pending.order_by("id").values_list("pk", flat=True).first()
        wait_for_status(target, Attempt.Status.PROCESSING)
        worker.kill()  # SIGKILL the worker and its pool: no ack, no cleanup
        worker.start()
        killed[target] = time.time()

    wait_all_final(ids, timeout=120, logs=[worker, beat])

    assert_each_graded_once(hamlet, ids)
    for attempt in Attempt.objects.filter(pk__in=killed):
        restart_to_graded = attempt.finished_at.timestamp() - killed[attempt.pk]
        assert restart_to_graded < RESTART_TO_GRADED_S, (attempt.pk, restart_to_graded)
        assert attempt.task_runs >= 2


def test_broker_restart_while_uploads_arrive_loses_nothing(redis_stack, hamlet, rain_clip):
    redis, worker, beat = redis_stack
    ids = [submit(hamlet, rain_clip, n).pk for n in range(2)]

    redis.stop()
    during = [submit(hamlet, rain_clip, n) for n in range(2, 5)]  # accepted, never an error
    assert {attempt.status for attempt in during} == {Attempt.Status.UPLOADED}
    assert all(attempt.video for attempt in during)  # the clip is kept
    time.sleep(3)
    redis.start()
    ids += [a.pk for a in during] + [submit(hamlet, rain_clip, n).pk for n in range(5, 7)]

    # Beat's requeue (every 10 s) sends what was stored during the outage once Redis answers again.
    wait_all_final(ids, timeout=150, logs=[worker, beat])
    assert_each_graded_once(hamlet, ids)
    assert Attempt.objects.filter(pk__in=ids).latest("finished_at").finished_at - min(
        a.created_at for a in during
    ) < timedelta(minutes=2)
