"""The grading claim: its holder, its heartbeat, and when another process may take it over."""

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.testing.worker import REPO_DIR
from lessons.models import Sign
from practice import claims
from practice.claims import current_holder, holder_gone
from practice.grading import attempt_grade
from practice.models import Attempt, AttemptResult
from practice.recovery import attempts_requeue_stuck
from practice.services import attempt_create_from_landmarks

pytestmark = pytest.mark.usefixtures("curriculum")
ANOTHER_MACHINE = "another-machine:4242:99"


@pytest.fixture(scope="module")
def dead_holder() -> str:
    """The holder string of a process of this host that has exited."""
    code = "from practice.claims import current_holder; print(current_holder())"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_DIR, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_holder_is_gone_only_when_known_dead(dead_holder):
    host, pid, start = current_holder().rsplit(":", 2)
    cases = [
        (current_holder(), False),  # this process
        (ANOTHER_MACHINE, False),  # cannot be checked from here: its heartbeat tells
        (dead_holder, True),
        (f"{host}:{pid}:{int(start) + 1}", True),  # same pid, another process (recycled pid)
        ("", False),
        ("garbage", False),
    ]
    for holder, gone in cases:
        assert holder_gone(holder) is gone, holder


def cloud_attempt(learner, landmarks) -> Attempt:
    return attempt_create_from_landmarks(learner=learner, sign=Sign.objects.get(name="cloud"), data=landmarks)


def hold(attempt: Attempt, *, worker: str, beat_age_s: float, runs: int = 1) -> None:
    now = timezone.now()
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.PROCESSING,
        worker=worker,
        started_at=now - timedelta(seconds=beat_age_s),
        heartbeat_at=now - timedelta(seconds=beat_age_s),
        task_runs=runs,
    )


def test_grading_records_its_holder(hamlet, cloud_landmarks, pinned_model, sent_tasks):
    graded = attempt_grade(attempt_id=cloud_attempt(hamlet, cloud_landmarks).pk)
    assert (graded.status, graded.worker, graded.task_runs) == ("graded", current_holder(), 1)
    assert graded.heartbeat_at is not None


@pytest.mark.parametrize(
    ("worker", "beat_age_s", "taken"),
    [
        (ANOTHER_MACHINE, 5, False),  # alive elsewhere: beating
        (ANOTHER_MACHINE, 21, True),  # four beats missed: dead
        ("dead", 1, True),  # gone from this host: taken at once, heartbeat or not
        ("alive", 1, False),
    ],
)
def test_a_redelivered_message_takes_over_only_a_dead_claim(
    hamlet, cloud_landmarks, pinned_model, sent_tasks, dead_holder, worker, beat_age_s, taken
):
    worker = {"dead": dead_holder, "alive": current_holder()}.get(worker, worker)
    attempt = cloud_attempt(hamlet, cloud_landmarks)
    hold(attempt, worker=worker, beat_age_s=beat_age_s)

    after = attempt_grade(attempt_id=attempt.pk)

    assert after.status == ("graded" if taken else "processing")
    assert after.task_runs == (2 if taken else 1)
    assert AttemptResult.objects.filter(attempt=attempt).count() == (1 if taken else 0)


def grade_while(pinned_model, attempt: Attempt, meanwhile) -> Attempt:
    """Grade `attempt` with the pinned model, calling `meanwhile()` while the model is classifying."""
    grade = pinned_model.top_k

    def top_k(data, k=10, *, frame_aspect=None):
        meanwhile()
        return grade(data, k=k, frame_aspect=frame_aspect)

    pinned_model.top_k = top_k
    try:
        return attempt_grade(attempt_id=attempt.pk)
    finally:
        del pinned_model.top_k


def test_a_failure_after_a_takeover_leaves_the_attempt_to_its_new_holder(
    hamlet, cloud_landmarks, monkeypatch, sent_tasks
):
    attempt = cloud_attempt(hamlet, cloud_landmarks)

    def taken_over_then_broken():
        hold(attempt, worker=ANOTHER_MACHINE, beat_age_s=0, runs=2)
        raise RuntimeError("this worker's model broke")

    monkeypatch.setattr("practice.predictor.grading_predictor", taken_over_then_broken)
    after = attempt_grade(attempt_id=attempt.pk)
    assert (after.status, after.worker) == ("processing", ANOTHER_MACHINE)


def test_heartbeat_is_refreshed_while_grading(
    hamlet, cloud_landmarks, pinned_model, monkeypatch, transactional_db
):
    monkeypatch.setattr(claims, "HEARTBEAT_INTERVAL_S", 0.1)
    attempt = cloud_attempt(hamlet, cloud_landmarks)
    beats = []

    def slow():
        for _ in range(2):
            beats.append(Attempt.objects.get(pk=attempt.pk).heartbeat_at)
            time.sleep(0.6)

    graded = grade_while(pinned_model, attempt, slow)
    assert graded.status == "graded"
    assert beats[1] >= beats[0] + timedelta(seconds=0.3)


def test_requeue_sends_dead_workers_attempts_and_those_never_sent(
    hamlet, cloud_landmarks, sent_tasks, dead_holder, django_capture_on_commit_callbacks
):
    dead, alive, elsewhere, unsent = (cloud_attempt(hamlet, cloud_landmarks) for _ in range(4))
    hold(dead, worker=dead_holder, beat_age_s=1)
    hold(alive, worker=current_holder(), beat_age_s=1)
    hold(elsewhere, worker=ANOTHER_MACHINE, beat_age_s=1)
    Attempt.objects.filter(pk=unsent.pk).update(status=Attempt.Status.UPLOADED, queued_at=None)
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_requeue_stuck() == 2

    assert sorted(sent_tasks) == sorted([dead.pk, unsent.pk])
    statuses = dict(Attempt.objects.values_list("pk", "status"))
    assert (statuses[dead.pk], statuses[unsent.pk]) == ("queued", "queued")
    assert (statuses[alive.pk], statuses[elsewhere.pk]) == ("processing", "processing")


def take(attempt: Attempt, *, worker: str, age_s: float) -> None:
    """As attempt_mark_taken did `age_s` ago in `worker`'s consumer: queued, not yet started."""
    Attempt.objects.filter(pk=attempt.pk).update(
        status=Attempt.Status.QUEUED, worker=worker, heartbeat_at=timezone.now() - timedelta(seconds=age_s)
    )


def test_requeue_sends_a_queued_attempt_whose_taker_died_or_never_started_it(
    hamlet, cloud_landmarks, sent_tasks, dead_holder, django_capture_on_commit_callbacks
):
    stale_s = claims.HEARTBEAT_STALE.total_seconds()
    cases = [  # (taken by, seconds ago, sent again)
        (dead_holder, 1, True),  # the worker was killed between taking the message and claiming
        (current_holder(), 1, False),  # a live worker about to start it
        (ANOTHER_MACHINE, 1, False),  # cannot be checked from here, and taken just now
        (ANOTHER_MACHINE, stale_s + 5, True),  # taken and never started: its message is lost
        ("", stale_s + 5, False),  # waiting in the queue, not taken: only QUEUED_STALE sends it again
    ]
    attempts = []
    for worker, age_s, _ in cases:
        attempt = cloud_attempt(hamlet, cloud_landmarks)
        take(attempt, worker=worker, age_s=age_s)
        attempts.append(attempt)
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        attempts_requeue_stuck()

    expected = [a.pk for a, (_, _, again) in zip(attempts, cases, strict=True) if again]
    assert sorted(sent_tasks) == sorted(expected)
    requeued = Attempt.objects.filter(pk__in=expected)
    assert set(requeued.values_list("status", "worker")) == {("queued", "")}  # not sent again next beat
    with django_capture_on_commit_callbacks(execute=True):
        assert attempts_requeue_stuck() == 0


def test_a_grading_message_marks_its_queued_attempt_taken_in_the_consumer(hamlet, cloud_landmarks):
    from types import SimpleNamespace

    from practice.tasks import grade_attempt_task, mark_attempt_taken

    attempt = cloud_attempt(hamlet, cloud_landmarks)
    mark_attempt_taken(request=SimpleNamespace(name="practice.render_attempt_media", args=[attempt.pk]))
    assert Attempt.objects.get(pk=attempt.pk).worker == ""  # another task's message: untouched
    mark_attempt_taken(request=SimpleNamespace(name=grade_attempt_task.name, args=[attempt.pk]))
    assert Attempt.objects.get(pk=attempt.pk).worker == current_holder()
    hold(attempt, worker=ANOTHER_MACHINE, beat_age_s=0)
    mark_attempt_taken(request=SimpleNamespace(name=grade_attempt_task.name, args=[attempt.pk]))
    assert Attempt.objects.get(pk=attempt.pk).worker == ANOTHER_MACHINE  # a claim is never overwritten


def test_requeue_sends_a_waiting_attempt_that_one_queued_after_it_overtook(
    hamlet, cloud_landmarks, sent_tasks, django_capture_on_commit_callbacks
):
    """A worker killed between taking a message and marking its attempt leaves no trace but the order.

    The grading queue is first in, first out: once an attempt queued after a waiting one has been
    started for longer than HEARTBEAT_STALE, the waiting one's message is gone.
    """
    stale_s = claims.HEARTBEAT_STALE.total_seconds()
    cases = [  # (queued s ago, the later attempt: queued s ago, started s ago or None; sent again)
        (60, (50, stale_s + 5), True),  # overtaken long enough ago: its message was lost
        (60, (50, 2), False),  # overtaken just now: a worker may be about to mark it
        (60, (50, None), False),  # the later one waits too: both messages are in the queue
        (60, (70, stale_s + 5), False),  # the started one was queued first: nothing overtook it
        (60, (50, 55), False),  # started before it was queued again (an earlier run): no evidence
    ]
    now = timezone.now()
    for queued_s, (later_queued_s, later_started_s), again in cases:
        waiting, later = cloud_attempt(hamlet, cloud_landmarks), cloud_attempt(hamlet, cloud_landmarks)
        Attempt.objects.filter(pk=waiting.pk).update(queued_at=now - timedelta(seconds=queued_s))
        started = None if later_started_s is None else now - timedelta(seconds=later_started_s)
        Attempt.objects.filter(pk=later.pk).update(
            status=Attempt.Status.GRADED if started else Attempt.Status.QUEUED,
            queued_at=now - timedelta(seconds=later_queued_s),
            started_at=started,
        )
        with django_capture_on_commit_callbacks(execute=True):
            sent_tasks.clear()
            attempts_requeue_stuck(now=now)
        assert sent_tasks == ([waiting.pk] if again else []), (queued_s, later_queued_s, later_started_s)
        Attempt.objects.filter(pk__in=[waiting.pk, later.pk]).delete()  # each case on its own
