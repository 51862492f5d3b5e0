"""Writes for practice: create attempts, grade them in the worker, requeue and purge; tutorial QA.

Lifecycle (DESIGN §5): uploaded -> queued -> processing -> graded | failed(reason).

- The web request only validates cheaply (size, a decodable video stream, duration) and queues.
- The worker claims an attempt with one conditional UPDATE (queued -> processing) that records the
  grading process and a heartbeat it refreshes while it works (practice.claims), does the heavy work
  outside any transaction, then stores the result, the attempt's new status and the learner's
  progress in one transaction, only while the claim is still its own. A second run of a graded
  attempt finds nothing to claim; a run whose claim was taken over stores nothing.
- A claim whose heartbeat is stale, or whose process is gone from this host, belongs to a dead
  worker: a redelivered message takes it over, and so does the periodic requeue (every few seconds,
  and at once when a worker starts). The filesystem broker deletes a message when a worker takes it,
  and Redis redelivers an unacknowledged one only after its long visibility timeout, so this requeue,
  not the broker, is what makes a killed worker lose no attempt and costs it seconds, not minutes.
- Broker outage: the upload is kept, never refused. When sending the task fails, the committed
  attempt goes back to `uploaded` (stored, not yet queued) with its clip, the request answers 202 as
  usual, and the requeue sends it once the broker answers again. A parent's clip is never lost to an
  outage and the web form and the API behave alike, as they share this service. (Refusing with 503
  would need the broker inside the request's transaction, and a retry by hand from the parent.)
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from accounts.models import Learner
from lessons.models import Sign, TutorialVideo
from ml.grading import TOP_K

from .claims import HEARTBEAT_STALE, current_holder, heartbeat, holder_gone
from .feedback import detection_failure
from .landmarks_input import landmarks_check
from .models import Attempt, AttemptResult

log = logging.getLogger(__name__)

# Sized for a 15 s clip at 30 fps on a slow shared core (decode + Holistic ~20 s, model + replay ~2 s).
GRADE_SOFT_TIME_LIMIT_S = 90
GRADE_TIME_LIMIT_S = 120
# A queued attempt whose message was lost (broker restarted without its data, crash between commit
# and send). Longer than a busy queue's wait: a second message for a waiting attempt is harmless but
# useless.
QUEUED_STALE = timedelta(minutes=10)
# A clip that kills its worker every time (out of memory) must not be retried forever.
MAX_TASK_RUNS = 5
# Errors worth retrying: the database or broker was briefly unreachable or locked.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# What sending a task raises when the broker is down: kombu wraps connection errors after its
# retries; a filesystem broker on a full or missing disk raises OSError.
BROKER_ERRORS = (KombuError, OSError)

Status = Attempt.Status
Reason = Attempt.FailureReason
FINAL = (Status.GRADED, Status.FAILED)


class AttemptRejected(Exception):
    """An upload refused in the request (answered 400), with a stable code and a sentence."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class GradingFailure(Exception):
    """The clip cannot be graded (unreadable, no hands, ...): the attempt ends as failed(code)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# --- creating attempts (web request) -----------------------------------------------------------


def attempt_create(*, learner: Learner, sign: Sign, video: UploadedFile, is_review: bool = False) -> Attempt:
    """Validate an uploaded clip cheaply, store it under a generated name and queue its grading."""
    attempt = Attempt(learner=learner, sign=sign, source=Attempt.Source.VIDEO, is_review=is_review)
    attempt_video_attach(attempt, video)
    return _attempt_save_and_enqueue(attempt, stored=attempt.video)


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
        return _attempt_save_and_enqueue(attempt, stored=attempt.landmarks)
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


def _attempt_save_and_enqueue(attempt: Attempt, *, stored) -> Attempt:
    """Save the new row and queue it; if that fails, the file already stored for it is removed."""
    try:
        with transaction.atomic():
            attempt.save()
            _attempt_enqueue(attempt)
    except BaseException:
        stored.delete(save=False)
        raise
    return attempt


def _attempt_enqueue(attempt: Attempt) -> None:
    """Mark queued and send the task once the row is committed (a worker must be able to read it)."""
    attempt.status = Status.QUEUED
    attempt.queued_at = timezone.now()
    attempt.save(update_fields=["status", "queued_at"])
    attempt_id = attempt.pk

    def send() -> None:
        if not _attempt_send(attempt_id):
            attempt.status, attempt.queued_at = Status.UPLOADED, None

    transaction.on_commit(send)


def _attempt_send(attempt_id: int) -> bool:
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


# --- grading (worker) --------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Everything the heavy, transaction-free part of grading found out about one attempt."""

    predictions: list  # [ml.inference.Prediction] best first
    rank: int | None
    detected: dict[str, float]
    n_frames: int
    model_version: str
    duration_s: float | None = None
    files: dict[str, str] = field(default_factory=dict)  # field name -> stored name (new files)
    phrase_signs: list[dict] | None = None  # phrase attempts: each sign's verdict (ml.phrase), in order


def attempt_grade(*, attempt_id: int) -> Attempt | None:
    """Grade one attempt: claim it, extract and classify, store result and progress atomically.

    Idempotent: an attempt that is graded, failed, or being graded by a live worker is left alone.
    Transient database errors release the claim and propagate so the task retries. The skeleton
    replay is drawn afterwards by its own task on the media queue (attempt_media_render): the learner
    sees the grade sooner, and a worker grades landmark attempts at the classifier's pace.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    attempt = _attempt_claim(attempt_id=attempt_id)
    if attempt is None:
        return Attempt.objects.filter(pk=attempt_id).first()
    files: dict[str, str] = {}  # new media written for this run: deleted if it does not count
    try:
        with heartbeat(_own_claim(attempt)):
            evaluation = _attempt_evaluate(attempt, files=files)
            attempt, stored = _attempt_store(attempt=attempt, evaluation=evaluation)
    except GradingFailure as failure:
        if "landmarks" in files:  # keep what was extracted: it shows why the clip failed
            attempt.landmarks.name = files.pop("landmarks")
        _files_delete(files)
        return attempt_fail(attempt=attempt, reason=failure.code, detail=failure.detail, claimed=True)
    except TRANSIENT_ERRORS:
        _files_delete(files)
        _attempt_release(attempt=attempt)
        raise
    except SoftTimeLimitExceeded:
        log.warning("attempt %s: grading exceeded its time limit", attempt_id)
        _files_delete(files)
        return attempt_fail(
            attempt=attempt, reason=Reason.INTERNAL_ERROR, detail="Grading took too long.", claimed=True
        )
    except Exception:
        log.exception("attempt %s: grading failed", attempt_id)
        _files_delete(files)
        return attempt_fail(attempt=attempt, reason=Reason.INTERNAL_ERROR, claimed=True)
    if stored:
        _attempt_media_enqueue(attempt_id=attempt.pk)
    return attempt


def _attempt_media_enqueue(*, attempt_id: int) -> None:
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
        .filter(pk=attempt_id, status=Status.GRADED, replay="", thumbnail="")
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
            _files_delete(media)
            return
    except TRANSIENT_ERRORS:
        log.warning("attempt %s: could not attach the replay", attempt.pk)
        _files_delete(media)
        return
    for name, stored_name in media.items():
        setattr(attempt, name, stored_name)


def attempt_fail(*, attempt: Attempt, reason: str, detail: str = "", claimed: bool = False) -> Attempt:
    """End an attempt as failed(reason), unless it already ended (a graded attempt stays graded).

    `claimed`: `attempt` is this process's claim, and a claim another worker took over is left to it.
    """
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status in FINAL or (claimed and not _holds(locked, attempt)):
            return locked
        locked.status = Status.FAILED
        locked.failure_reason = Reason(reason).value
        locked.failure_detail = detail[:300]
        locked.finished_at = timezone.now()
        fields = ["status", "failure_reason", "failure_detail", "finished_at"]
        if attempt.landmarks and attempt.landmarks.name != locked.landmarks.name:
            locked.landmarks = attempt.landmarks.name  # keep what was extracted: useful to review
            fields.append("landmarks")
        locked.save(update_fields=fields)
    return locked


def _claimable(*, attempt_id: int, now: datetime) -> Q:
    """Waiting, or processing under a dead claim: a stale heartbeat, or a holder gone from this host."""
    claimable = Q(status__in=[Status.UPLOADED, Status.QUEUED]) | Q(
        status=Status.PROCESSING, heartbeat_at__lt=now - HEARTBEAT_STALE
    )
    held = (
        Attempt.objects.filter(pk=attempt_id, status=Status.PROCESSING).values("worker", "task_runs").first()
    )
    if held and holder_gone(held["worker"]):  # guarded by the claim seen, so only one taker wins
        claimable |= Q(status=Status.PROCESSING, worker=held["worker"], task_runs=held["task_runs"])
    return claimable


def _attempt_claim(*, attempt_id: int) -> Attempt | None:
    """Take the attempt for this process (-> processing) or return None if it is not ours."""
    now, holder = timezone.now(), current_holder()
    claimable = _claimable(attempt_id=attempt_id, now=now)
    claimed = Attempt.objects.filter(claimable, pk=attempt_id, task_runs__lt=MAX_TASK_RUNS).update(
        status=Status.PROCESSING,
        started_at=now,
        heartbeat_at=now,
        worker=holder,
        task_runs=F("task_runs") + 1,
    )
    if claimed:
        attempt = Attempt.objects.select_related("sign", "phrase", "learner").get(pk=attempt_id)
        return attempt if attempt.status == Status.PROCESSING and attempt.worker == holder else None
    attempt = Attempt.objects.filter(claimable, pk=attempt_id).first()
    if attempt is not None:  # claimable but out of runs: it keeps killing workers
        log.error("attempt %s: giving up after %s runs", attempt_id, attempt.task_runs)
        attempt_fail(attempt=attempt, reason=Reason.INTERNAL_ERROR, detail="Grading kept failing.")
    return None


def _own_claim(attempt: Attempt):
    """The attempt's row, matched only while `attempt` (as claimed) still holds it."""
    return Attempt.objects.filter(
        pk=attempt.pk, status=Status.PROCESSING, worker=attempt.worker, task_runs=attempt.task_runs
    )


def _holds(row: Attempt, claim: Attempt) -> bool:
    return (row.status, row.worker, row.task_runs) == (Status.PROCESSING, claim.worker, claim.task_runs)


def _attempt_release(*, attempt: Attempt) -> None:
    """Hand a claimed attempt back to the queue (its task will retry); best effort."""
    try:
        _own_claim(attempt).update(status=Status.QUEUED, queued_at=timezone.now(), worker="")
    except TRANSIENT_ERRORS:
        log.warning("attempt %s: could not release the claim; the periodic requeue will", attempt.pk)


def _attempt_evaluate(attempt: Attempt, *, files: dict[str, str]) -> Evaluation:
    """Landmarks (extracted or uploaded), detection checks and the top-10.

    New stored files are recorded in `files` as they are written, so the caller can clean up.
    """
    from ml.inference import EmptyLandmarksError
    from ml.islr_io import read_sequence
    from ml.landmarks import Landmarks

    if attempt.phrase_id is not None:
        # practice.phrases builds on this module (creation, storage); this is its one entry point here.
        from .phrases import phrase_evaluate

        return phrase_evaluate(attempt, files=files)
    duration_s, size = attempt.duration_s, None
    if attempt.source == Attempt.Source.VIDEO:
        landmarks, video = _video_landmarks(attempt)
        duration_s = float(video.timestamps_s[-1] + 1.0 / video.fps)
        size = (video.width, video.height)
        files["landmarks"] = _store_sequence(landmarks.data, attempt_landmarks_name())
    elif attempt.landmarks:
        landmarks = Landmarks(data=read_sequence(attempt.landmarks.path))
    else:
        raise GradingFailure(Reason.INTERNAL_ERROR, "The attempt has neither a clip nor landmarks.")

    detected = landmarks_detected(landmarks)
    predictor = _predictor()
    frame_aspect = size[0] / size[1] if size else None  # uploaded landmarks: shape unknown
    try:
        predictions = predictor.top_k(landmarks.data, k=TOP_K, frame_aspect=frame_aspect)
    except EmptyLandmarksError as error:
        raise GradingFailure(Reason.NO_PERSON, str(error)) from error
    rank = next((i for i, p in enumerate(predictions, start=1) if p.sign == attempt.sign.name), None)
    return Evaluation(
        predictions=predictions,
        rank=rank,
        detected=detected,
        n_frames=landmarks.n_frames,
        model_version=predictor.version,
        duration_s=duration_s,
        files=dict(files),
    )


def landmarks_detected(landmarks) -> dict[str, float]:
    """Each part's detection rate, or GradingFailure (no_person, no_hands) when too little was seen."""
    detected = {name: round(rate, 4) for name, rate in landmarks.detection_rates().items()}
    any_hand = landmarks.part_detected("left_hand") | landmarks.part_detected("right_hand")
    failure = detection_failure(detected, any_hand_rate=float(any_hand.mean()) if landmarks.n_frames else 0.0)
    if failure:
        raise GradingFailure(failure.code, failure.detail)
    return detected


def _video_landmarks(attempt: Attempt, *, max_seconds: float | None = None):
    """The clip's landmarks at the grading rate; `max_seconds` defaults to a single sign's limit."""
    from ml.landmarks import get_extractor
    from ml.video import VideoError, read_video

    if not attempt.video:
        raise GradingFailure(Reason.UNREADABLE_VIDEO, "The clip has been deleted.")
    try:
        video = read_video(
            attempt.video.path,
            min_seconds=settings.SIGNLEARN_MIN_CLIP_SECONDS,
            max_seconds=max_seconds or settings.SIGNLEARN_MAX_CLIP_SECONDS,
            target_fps=settings.SIGNLEARN_GRADING_FPS,
        )
    except VideoError as error:
        raise GradingFailure(error.code, error.message) from error
    return get_extractor().extract(video.frames, timestamps_s=video.timestamps_s), video


def _attempt_store(*, attempt: Attempt, evaluation: Evaluation) -> tuple[Attempt, bool]:
    """Result, status and progress in one transaction; a lost race leaves the first result alone.

    Returns the attempt and whether this call stored the result.
    """
    from progress.rules import is_pass, outcome_for_rank, phrase_passed, phrase_xp
    from progress.services import progress_record_attempt

    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side (sign or phrase) of an outer join.
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("learner", "sign", "phrase")
            .get(pk=attempt.pk)
        )
        if not _holds(locked, attempt) or AttemptResult.objects.filter(attempt_id=attempt.pk).exists():
            transaction.on_commit(lambda: _files_delete(evaluation.files))
            return locked, False
        locked.status = Status.GRADED
        locked.finished_at = timezone.now()
        locked.duration_s = evaluation.duration_s
        for name, stored in evaluation.files.items():
            setattr(locked, name, stored)
        locked.save(update_fields=["status", "finished_at", "duration_s", *evaluation.files])
        if evaluation.phrase_signs is not None:
            verdict = {
                "passed": phrase_passed(evaluation.phrase_signs),
                "xp": phrase_xp(evaluation.phrase_signs),
                "signs": evaluation.phrase_signs,
            }
        else:
            verdict = {"passed": is_pass(evaluation.rank), "xp": outcome_for_rank(evaluation.rank).xp}
        result = AttemptResult.objects.create(
            attempt=locked,
            rank=evaluation.rank,
            top10=[
                {"sign": p.sign, "index": p.index, "score": round(p.score, 5)} for p in evaluation.predictions
            ],
            detected=evaluation.detected,
            n_frames=evaluation.n_frames,
            model_version=evaluation.model_version[:200],
            **verdict,
        )
        progress_record_attempt(attempt=locked, result=result)
    return locked, True


def _predictor():
    """The predictor that grades now (registry: active configuration or the shipped model)."""
    from registry.selectors import active_predictor

    return active_predictor()


# --- media ----------------------------------------------------------------------------------------


def attempt_landmarks_name() -> str:
    from .models import attempt_landmarks_upload_to

    return attempt_landmarks_upload_to(None, "landmarks.parquet")


def _store_sequence(data: np.ndarray, name: str) -> str:
    from django.core.files.storage import default_storage

    from ml.islr_io import write_sequence

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seq.parquet"
        write_sequence(data, path)
        with path.open("rb") as fh:
            return default_storage.save(name, File(fh))


def _render_media(*, attempt: Attempt, data: np.ndarray, size: tuple[int, int] | None, fps: float) -> dict:
    """Skeleton replay (attempt | tutorial) and thumbnail; a rendering problem never fails grading."""
    from django.core.files.storage import default_storage

    from ml.render import render_thumbnail
    from ml.replay import render_replay

    from .models import attempt_replay_upload_to, attempt_thumbnail_upload_to

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


def _tutorial_reference(*, sign: Sign) -> tuple[TutorialVideo | None, np.ndarray | None]:
    """The sign's tutorial to replay next to the attempt (recognised ones first) and its landmarks."""
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
        tutorial = tutorial_check(tutorial_id=tutorial.pk)
        if tutorial is None or not tutorial.landmarks:
            return tutorial, None
    return tutorial, read_sequence(tutorial.landmarks.path)


def _files_delete(files: dict[str, str]) -> None:
    from django.core.files.storage import default_storage

    for name in files.values():
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not delete %s", name)


# --- periodic ------------------------------------------------------------------------------------


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
    `queued_timeout`, or taken by a worker (attempt_mark_taken) that did not start it within
    `heartbeat_timeout`. Dead worker: processing with a heartbeat older than `heartbeat_timeout`; or
    processing or taken by a process that no longer exists on this host (checked for the few rows held).
    """
    now = now or timezone.now()
    stale = now - heartbeat_timeout
    held = Q(status=Status.PROCESSING) | (Q(status=Status.QUEUED) & ~Q(worker=""))
    waiting = Attempt.objects.filter(
        Q(status=Status.UPLOADED)
        | Q(status=Status.QUEUED, queued_at__lt=now - queued_timeout)
        | (held & Q(heartbeat_at__lt=stale))
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
                transaction.on_commit(lambda pk=attempt_id: _attempt_send(pk))
    if requeued:
        log.warning("requeued %s stuck attempt(s)", requeued)
    return requeued


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


# --- tutorial QA ---------------------------------------------------------------------------------


def tutorial_check(*, tutorial_id: int) -> TutorialVideo | None:
    """Run a tutorial clip through the grading pipeline: landmarks, top-10, rank of its own sign.

    A clip whose sign is not in the top-10 is flagged for an admin to review. Re-running replaces
    the previous check.
    """
    from ml.inference import EmptyLandmarksError
    from ml.landmarks import get_extractor
    from ml.video import VideoError, read_video

    tutorial = TutorialVideo.objects.select_related("sign").filter(pk=tutorial_id).first()
    if tutorial is None:  # deleted before its check ran
        return None
    QA = TutorialVideo.QAStatus
    try:
        video = read_video(tutorial.file.path, max_seconds=settings.SIGNLEARN_MAX_CLIP_SECONDS)
    except (VideoError, ValueError) as error:
        message = getattr(error, "message", str(error))
        TutorialVideo.objects.filter(pk=tutorial_id).update(qa_status=QA.FAILED, qa_message=message[:300])
        tutorial.refresh_from_db()
        return tutorial
    landmarks = get_extractor().extract(video.frames, timestamps_s=video.timestamps_s)
    old_landmarks = tutorial.landmarks.name if tutorial.landmarks else ""
    name = _store_sequence(
        landmarks.data, f"tutorial-landmarks/{tutorial.sign.index:03d}-{tutorial.pk}.parquet"
    )
    detected = {k: round(v, 4) for k, v in landmarks.detection_rates().items()}
    predictor = _predictor()
    try:
        predictions = predictor.top_k(landmarks.data, k=TOP_K, frame_aspect=video.width / video.height)
    except EmptyLandmarksError:
        predictions = []
    rank = next((i for i, p in enumerate(predictions, start=1) if p.sign == tutorial.sign.name), None)
    if rank is None:
        guess = f"; the model's first guess is “{predictions[0].sign}”" if predictions else ""
        status, message = QA.FLAGGED, f"“{tutorial.sign.name}” is not in the top-10{guess}."
    else:
        status, message = QA.OK, f"Recognised at rank {rank}."
    TutorialVideo.objects.filter(pk=tutorial_id).update(
        landmarks=name,
        qa_status=status,
        qa_rank=rank,
        qa_top10=[{"sign": p.sign, "index": p.index, "score": round(p.score, 5)} for p in predictions],
        qa_detected=detected,
        qa_model_version=predictor.version[:120],
        qa_message=message[:300],
        duration_s=tutorial.duration_s or float(video.timestamps_s[-1] + 1.0 / video.fps),
        width=tutorial.width or video.width,
        height=tutorial.height or video.height,
    )
    if old_landmarks and old_landmarks != name:
        _files_delete({"old": old_landmarks})
    tutorial.refresh_from_db()
    return tutorial
