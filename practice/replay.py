"""The skeleton replay and thumbnail of a graded attempt, drawn by their own task on the media queue.

Optional extras: a rendering or broker problem only logs, and never changes a grade. The replay shows
the sign's tutorial next to the attempt when the tutorial's landmarks already exist; drawing never runs
a tutorial check itself (that is a whole clip through Holistic and the model), it queues one.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.db.models import F

from lessons.models import Sign, TutorialVideo

from .errors import BROKER_ERRORS, TRANSIENT_ERRORS
from .files import files_delete
from .models import Attempt, attempt_replay_upload_to, attempt_thumbnail_upload_to
from .tutorial_qa import tutorial_check_queue

log = logging.getLogger(__name__)


def attempt_media_enqueue(*, attempt_id: int) -> None:
    """Queue the replay and thumbnail; they are optional extras, so a broker hiccup only logs."""
    from .tasks import render_attempt_media_task

    try:
        render_attempt_media_task.delay(attempt_id)
    except BROKER_ERRORS:
        log.warning("attempt %s: could not queue its replay", attempt_id)


def attempt_media_render(*, attempt_id: int) -> Attempt | None:
    """Draw and attach a graded attempt's skeleton replay and thumbnail, once (an attempt that has them,
    or has no landmarks, is left alone)."""
    from ml.islr_io import read_sequence

    attempt = (
        Attempt.objects.select_related("sign", "phrase")
        .filter(pk=attempt_id, status=Attempt.Status.GRADED, replay="", thumbnail="")
        .exclude(landmarks="")
        .first()
    )
    if attempt is None:
        return None
    media = _render_media(
        attempt=attempt,
        data=read_sequence(attempt.landmarks.path),
        size=_video_size(attempt),
        fps=settings.SIGNLEARN_GRADING_FPS,  # clips are extracted, and pages send landmarks, at this rate
    )
    _attempt_media_attach(attempt=attempt, media=media)
    return attempt


def _video_size(attempt: Attempt) -> tuple[int, int] | None:
    """(width, height) of the attempt's clip while it is kept; None for landmarks sent by a page, whose
    grading and replay never open the video decoder (an opted-in clip is only kept for the family)."""
    from ml.video import VideoError, probe_video

    if attempt.source != Attempt.Source.VIDEO or not attempt.video:
        return None
    if not attempt.video.storage.exists(attempt.video.name):
        return None
    try:
        info = probe_video(attempt.video.path, min_seconds=0.0, max_seconds=3600.0)
    except VideoError:
        return None
    return info.width, info.height


def _attempt_media_attach(*, attempt: Attempt, media: dict[str, str]) -> None:
    """Attach rendered files unless another run attached its own first (then these are deleted)."""
    if not media:
        return
    try:
        if not Attempt.objects.filter(pk=attempt.pk, replay="", thumbnail="").update(**media):
            files_delete(media.values())
            return
    except TRANSIENT_ERRORS:
        log.warning("attempt %s: could not attach the replay", attempt.pk)
        files_delete(media.values())
        return
    for name, stored_name in media.items():
        setattr(attempt, name, stored_name)


def _render_media(*, attempt: Attempt, data: np.ndarray, size: tuple[int, int] | None, fps: float) -> dict:
    """Skeleton replay (attempt | tutorial) and thumbnail; a rendering problem never fails grading."""
    from django.core.files.storage import default_storage

    from ml.render import render_thumbnail
    from ml.replay import render_replay

    stored: dict[str, str] = {}
    try:
        tutorial, tutorial_data = _tutorial_reference(sign=attempt.sign)
        tutorial_size = (
            (tutorial.width, tutorial.height) if tutorial and tutorial.width and tutorial.height else None
        )
        with tempfile.TemporaryDirectory() as tmp:
            replay = render_replay(
                attempt=data,
                tutorial=tutorial_data,
                out_path=Path(tmp) / "replay.mp4",
                attempt_size=size,
                tutorial_size=tutorial_size,
                fps=min(fps, 30.0),
            )
            thumbnail = render_thumbnail(data, Path(tmp) / "thumbnail.png", canvas_size=size or (640, 360))
            for name, path, target in (
                ("replay", replay.path, attempt_replay_upload_to(attempt, "replay.mp4")),
                ("thumbnail", thumbnail.path, attempt_thumbnail_upload_to(attempt, "thumbnail.png")),
            ):
                with path.open("rb") as fh:
                    stored[name] = default_storage.save(target, File(fh))
    except Exception:
        log.exception("attempt %s: could not render the replay", attempt.pk)
    return stored


def _tutorial_reference(*, sign: Sign | None) -> tuple[TutorialVideo | None, np.ndarray | None]:
    """The sign's tutorial to replay next to the attempt (recognised ones first) and its landmarks.

    A tutorial not checked yet has no landmarks: the replay goes without it and its check is queued
    (on the tutorials queue), so the next replay of that sign shows it.
    """
    from ml.islr_io import read_sequence

    tutorial = (
        TutorialVideo.objects.filter(sign=sign)
        .exclude(qa_status=TutorialVideo.QAStatus.FAILED)
        .order_by(F("qa_rank").asc(nulls_last=True), "id")
        .first()
    )
    if tutorial is None:
        return None, None
    if not tutorial.landmarks:
        try:
            tutorial_check_queue(tutorial_id=tutorial.pk)
        except BROKER_ERRORS:
            log.warning("tutorial %s: could not queue its check", tutorial.pk)
        return tutorial, None
    return tutorial, read_sequence(tutorial.landmarks.path)
