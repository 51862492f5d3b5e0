"""Writes for practice in the web request: create attempts, queue them, and purge expired clips.

Lifecycle (DESIGN §5): uploaded -> queued -> processing -> graded | failed(reason). The request only
validates cheaply (size, a decodable video stream, duration) and queues; the worker grades
(practice.grading), draws the replay (practice.replay) and a periodic task recovers attempts whose
worker died or whose message was lost (practice.recovery).

Broker outage: the upload is kept, never refused. When sending the task fails, the committed attempt
goes back to `uploaded` (stored, not yet queued) with its clip, the request answers 202 as usual, and
the requeue sends it once the broker answers again. A parent's clip is never lost to an outage and the
web form and the API behave alike, as they share this service. (Refusing with 503 would need the
broker inside the request's transaction, and a retry by hand from the parent.)
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Learner
from lessons.models import Sign

from .errors import BROKER_ERRORS, AttemptRejected
from .landmarks_input import landmarks_check
from .models import Attempt

log = logging.getLogger(__name__)

Status = Attempt.Status


def attempt_create(*, learner: Learner, sign: Sign, video: UploadedFile, is_review: bool = False) -> Attempt:
    """Validate an uploaded clip cheaply, store it under a generated name and queue its grading."""
    attempt = Attempt(learner=learner, sign=sign, source=Attempt.Source.VIDEO, is_review=is_review)
    attempt_video_attach(attempt, video)
    return attempt_save_and_enqueue(attempt, stored=attempt.video)


def attempt_create_from_landmarks(
    *,
    learner: Learner,
    sign: Sign,
    data: np.ndarray,
    is_review: bool = False,
    video: UploadedFile | None = None,
) -> Attempt:
    """Queue grading of a landmark sequence extracted on the client ([T, 543, 3], NaN = missing).

    `video`: the clip itself, sent only when the parent opted in to keeping it for the replay. It is
    checked and stored like an upload (and purged after the retention period), but grading reads the
    landmarks only: the worker never decodes it.
    """
    array = landmarks_check(np.asarray(data, dtype=np.float32))
    attempt = Attempt(learner=learner, sign=sign, source=Attempt.Source.LANDMARKS, is_review=is_review)
    if video is not None:
        attempt_video_attach(attempt, video)
    attempt_landmarks_attach(attempt, array)
    try:
        return attempt_save_and_enqueue(attempt, stored=attempt.landmarks)
    except BaseException:
        if video is not None:
            attempt.video.delete(save=False)
        raise


def attempt_video_attach(attempt: Attempt, video: UploadedFile, *, max_seconds: float | None = None) -> None:
    """Check a clip cheaply (size, a decodable stream, duration up to `max_seconds`, by default a single
    sign's) and store it under a generated name on the unsaved attempt; AttemptRejected says why not."""
    from lessons.validators import uploaded_clip_problem

    problem = uploaded_clip_problem(video, max_seconds=max_seconds)
    if problem:
        raise AttemptRejected(*problem)
    attempt.video.save(Path(video.name or "clip.webm").name, video, save=False)


def attempt_landmarks_attach(attempt: Attempt, data: np.ndarray) -> None:
    """Store a checked landmark sequence ([T, 543, 3]) as the unsaved attempt's parquet file."""
    from ml.islr_io import write_sequence

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "landmarks.parquet"
        write_sequence(data, path)
        with path.open("rb") as fh:
            attempt.landmarks.save(path.name, File(fh), save=False)


def attempt_save_and_enqueue(attempt: Attempt, *, stored) -> Attempt:
    """Insert a new attempt (sign or phrase) already queued and send its task once the row is committed
    (a worker must be able to read it); if that fails, the file already stored for it is removed.

    One INSERT, not BEGIN, INSERT, UPDATE, COMMIT: every upload is accepted while its client waits, and
    each statement is a round trip to the database.
    """

    def send() -> None:
        if not attempt_send(attempt.pk):
            attempt.status, attempt.queued_at = Status.UPLOADED, None

    attempt.status = Status.QUEUED
    attempt.queued_at = timezone.now()
    try:
        attempt.save()
        transaction.on_commit(send)
    except BaseException:
        stored.delete(save=False)
        raise
    return attempt


def attempt_send(attempt_id: int) -> bool:
    """Send the grading task of a committed, queued attempt; on a broker outage, keep it for the requeue.

    Returns whether the message went out. When it did not, the attempt is `uploaded` again (stored,
    not queued): the periodic requeue sends every such attempt as soon as the broker answers.
    """
    from .tasks import grade_attempt_task

    try:
        grade_attempt_task.delay(attempt_id)
    except BROKER_ERRORS:
        log.warning("attempt %s: the broker is unreachable; kept for the requeue", attempt_id, exc_info=True)
        Attempt.objects.filter(pk=attempt_id, status=Status.QUEUED).update(
            status=Status.UPLOADED, queued_at=None
        )
        return False
    return True


def clips_purge_expired(*, now: datetime | None = None) -> int:
    """Delete raw practice clips older than the retention period; landmarks and results stay."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SIGNLEARN_CLIP_RETENTION_DAYS)
    purged = 0
    expired = Attempt.objects.filter(created_at__lt=cutoff, video_deleted_at__isnull=True).exclude(video="")
    for attempt in expired:
        attempt.video.delete(save=False)
        attempt.video_deleted_at = now
        attempt.save(update_fields=["video", "video_deleted_at"])
        purged += 1
    return purged
