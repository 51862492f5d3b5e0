"""Recovery: a killed worker or a lost message costs an attempt seconds, never the attempt.

A claim whose heartbeat is stale, or whose process is gone from this host, belongs to a dead worker:
a redelivered message takes it over (practice.grading), and so does the periodic requeue here (every
few seconds, and at once when a worker starts). The filesystem broker deletes a message when a worker
takes it, and Redis redelivers an unacknowledged one only after its long visibility timeout, so this
requeue, not the broker, is what makes a killed worker lose no attempt.

A worker can also die after taking a message and before marking its attempt taken. Nothing records
that message, but the grading queue is first in, first out (a Redis list; the filesystem broker reads
its files in name order, which starts with the send time): once an attempt queued later has been
started for a while, an earlier one still waiting and unmarked lost its message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from .claims import HEARTBEAT_STALE, current_holder, holder_gone
from .models import Attempt
from .services import attempt_send

log = logging.getLogger(__name__)

# A queued attempt whose message was lost (broker restarted without its data, crash between commit
# and send). Longer than a busy queue's wait: a second message for a waiting attempt is harmless but
# useless.
QUEUED_STALE = timedelta(minutes=10)

Status = Attempt.Status


def attempt_mark_taken(*, attempt_id: int) -> None:
    """Record which worker took a queued attempt's message, before its pool starts grading it.

    Redis keeps a taken message invisible for its whole visibility timeout, and the filesystem broker
    forgets it: a worker killed between taking a message and claiming its attempt would leave the
    attempt queued for QUEUED_STALE. The requeue sends a taken attempt again as soon as its taker is
    known to be gone, or when it has not started within HEARTBEAT_STALE.
    """
    Attempt.objects.filter(pk=attempt_id, status=Status.QUEUED).update(
        worker=current_holder(), heartbeat_at=timezone.now()
    )


def attempts_requeue_stuck(
    *,
    now: datetime | None = None,
    heartbeat_timeout: timedelta = HEARTBEAT_STALE,
    queued_timeout: timedelta = QUEUED_STALE,
) -> int:
    """Send again attempts whose worker died, whose message was lost, or that were never sent.

    Never sent: `uploaded` (the broker was down when it was stored). Lost: queued for longer than
    `queued_timeout`; taken by a worker (attempt_mark_taken) that did not start it within
    `heartbeat_timeout`; or not taken while an attempt queued after it was started longer ago than
    `heartbeat_timeout` (overtaken). Dead worker: processing with a heartbeat older than
    `heartbeat_timeout`; or processing or taken by a process that no longer exists on this host
    (checked for the few rows held).
    """
    now = now or timezone.now()
    stale = now - heartbeat_timeout
    held = Q(status=Status.PROCESSING) | (Q(status=Status.QUEUED) & ~Q(worker=""))
    started_after_queued_later = Attempt.objects.filter(
        queued_at__gt=OuterRef("queued_at"), started_at__gte=F("queued_at"), started_at__lt=stale
    )
    overtaken = Q(  # older ones are QUEUED_STALE's; the bound keeps the subquery to recent rows
        Exists(started_after_queued_later),
        status=Status.QUEUED,
        worker="",
        queued_at__lt=stale,
        queued_at__gte=now - queued_timeout,
    )
    waiting = Attempt.objects.filter(
        Q(status=Status.UPLOADED)
        | Q(status=Status.QUEUED, queued_at__lt=now - queued_timeout)
        | (held & Q(heartbeat_at__lt=stale))
        | overtaken
    ).values_list("pk", "status", "worker", "task_runs")
    in_progress = Attempt.objects.filter(held, heartbeat_at__gte=stale)
    dead = [
        row for row in in_progress.values_list("pk", "status", "worker", "task_runs") if holder_gone(row[2])
    ]
    requeued = 0
    for attempt_id, status, worker, task_runs in [*waiting[:500], *dead]:
        with transaction.atomic():
            # Guarded by the claim we saw: a worker finishing or taking it meanwhile wins.
            changed = Attempt.objects.filter(
                pk=attempt_id, status=status, worker=worker, task_runs=task_runs
            ).update(status=Status.QUEUED, queued_at=now, worker="")
            if changed:
                requeued += 1
                transaction.on_commit(lambda pk=attempt_id: attempt_send(pk))
    if requeued:
        log.warning("requeued %s stuck attempt(s)", requeued)
    return requeued
