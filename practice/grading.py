"""Grading in the worker: claim an attempt, evaluate it outside any transaction, store the result.

The worker claims an attempt with one conditional UPDATE (queued -> processing) that records the
grading process and a heartbeat it refreshes while it works (practice.claims), does the heavy work
outside any transaction, then stores the result and the attempt's new status in one transaction,
only while the claim is still its own; `attempt_graded` (practice.signals) lets progress count the
attempt in that same transaction. A second run of a graded attempt finds nothing to claim; a run
whose claim was taken over stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ml.grading import TOP_K

from . import predictor
from .claims import HEARTBEAT_STALE, current_holder, heartbeat, holder_gone
from .errors import TRANSIENT_ERRORS, GradingFailure
from .feedback import detection_failure
from .files import attempt_landmarks_name, files_delete, sequence_store
from .models import Attempt, AttemptResult
from .replay import attempt_media_enqueue
from .signals import attempt_graded
from .verdicts import is_pass, phrase_passed

log = logging.getLogger(__name__)

# Sized for a 15 s clip at 30 fps on a slow shared core (decode + Holistic ~20 s, model + replay ~2 s).
GRADE_SOFT_TIME_LIMIT_S = 90
GRADE_TIME_LIMIT_S = 120
# A clip that kills its worker every time (out of memory) must not be retried forever.
MAX_TASK_RUNS = 5

Status = Attempt.Status
Reason = Attempt.FailureReason
FINAL = (Status.GRADED, Status.FAILED)


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


@dataclass
class Observation:
    """An attempt's landmarks (extracted from its clip, or as uploaded) and each part's detection rate."""

    landmarks: object  # ml.landmarks.Landmarks
    detected: dict[str, float]
    video: object | None = None  # ml.video.Video when extracted here; None for uploaded landmarks

    @property
    def video_duration_s(self) -> float | None:
        video = self.video
        return float(video.timestamps_s[-1] + 1.0 / video.fps) if video is not None else None

    @property
    def frame_aspect(self) -> float | None:
        """Width / height of the clip; unknown (None) for uploaded landmarks."""
        return self.video.width / self.video.height if self.video is not None else None

    def evaluation(
        self, *, model_version: str, duration_s: float | None, files: dict, **verdict
    ) -> Evaluation:
        return Evaluation(
            detected=self.detected,
            n_frames=self.landmarks.n_frames,
            model_version=model_version,
            duration_s=duration_s,
            files=dict(files),
            **verdict,
        )


def attempt_grade(*, attempt_id: int) -> Attempt | None:
    """Grade one attempt: claim it, extract and classify, store the result (and progress) atomically.

    Idempotent: an attempt that is graded, failed, or being graded by a live worker is left alone.
    Transient database errors release the claim and propagate so the task retries. The skeleton
    replay is drawn afterwards by its own task on the media queue (practice.replay): the learner
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
        files_delete(files.values())
        return attempt_fail(attempt=attempt, reason=failure.code, detail=failure.detail, claimed=True)
    except TRANSIENT_ERRORS:
        files_delete(files.values())
        _attempt_release(attempt=attempt)
        raise
    except SoftTimeLimitExceeded:
        log.warning("attempt %s: grading exceeded its time limit", attempt_id)
        files_delete(files.values())
        return attempt_fail(
            attempt=attempt, reason=Reason.INTERNAL_ERROR, detail="Grading took too long.", claimed=True
        )
    except Exception:
        log.exception("attempt %s: grading failed", attempt_id)
        files_delete(files.values())
        return attempt_fail(attempt=attempt, reason=Reason.INTERNAL_ERROR, claimed=True)
    if stored:
        attempt_media_enqueue(attempt_id=attempt.pk)
    return attempt


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

    if attempt.phrase_id is not None:
        # practice.phrases builds on this module (observation, storage); this is its one entry point here.
        from .phrases import phrase_evaluate

        return phrase_evaluate(attempt, files=files)
    observed = attempt_observe(attempt, files=files)
    model = predictor.grading_predictor()
    try:
        predictions = model.top_k(observed.landmarks.data, k=TOP_K, frame_aspect=observed.frame_aspect)
    except EmptyLandmarksError as error:
        raise GradingFailure(Reason.NO_PERSON, str(error)) from error
    return observed.evaluation(
        predictions=predictions,
        rank=next((i for i, p in enumerate(predictions, start=1) if p.sign == attempt.sign.name), None),
        model_version=model.version,
        duration_s=observed.video_duration_s or attempt.duration_s,
        files=files,
    )


def attempt_observe(
    attempt: Attempt, *, files: dict[str, str], max_seconds: float | None = None
) -> Observation:
    """The attempt's landmarks, extracted from its clip at the grading rate (and stored, recorded in
    `files`) or as uploaded, then checked: GradingFailure (no_person, no_hands) when too little was seen.

    `max_seconds`: the clip's limit, by default a single sign's.
    """
    from ml.islr_io import read_sequence
    from ml.landmarks import Landmarks

    video = None
    if attempt.source == Attempt.Source.VIDEO:
        landmarks, video = _video_landmarks(attempt, max_seconds=max_seconds)
        files["landmarks"] = sequence_store(landmarks.data, attempt_landmarks_name())
    elif attempt.landmarks:
        landmarks = Landmarks(data=read_sequence(attempt.landmarks.path))
    else:
        raise GradingFailure(Reason.INTERNAL_ERROR, "The attempt has neither a clip nor landmarks.")
    return Observation(landmarks=landmarks, detected=landmarks_detected(landmarks), video=video)


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
    """Result and status in one transaction, with what `attempt_graded` receivers write (progress);
    a lost race leaves the first result alone.

    Returns the attempt and whether this call stored the result.
    """
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side (sign or phrase) of an outer join.
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("learner", "sign", "phrase")
            .get(pk=attempt.pk)
        )
        if not _holds(locked, attempt) or AttemptResult.objects.filter(attempt_id=attempt.pk).exists():
            transaction.on_commit(lambda: files_delete(list(evaluation.files.values())))
            return locked, False
        locked.status = Status.GRADED
        locked.finished_at = timezone.now()
        locked.duration_s = evaluation.duration_s
        for name, stored in evaluation.files.items():
            setattr(locked, name, stored)
        locked.save(update_fields=["status", "finished_at", "duration_s", *evaluation.files])
        phrase = evaluation.phrase_signs is not None
        result = AttemptResult.objects.create(
            attempt=locked,
            passed=phrase_passed(evaluation.phrase_signs) if phrase else is_pass(evaluation.rank),
            rank=evaluation.rank,
            xp=0,  # priced by the rule book: progress's attempt_graded receiver, in this transaction
            top10=[
                {"sign": p.sign, "index": p.index, "score": round(p.score, 5)} for p in evaluation.predictions
            ],
            detected=evaluation.detected,
            n_frames=evaluation.n_frames,
            model_version=evaluation.model_version[:200],
            **({"signs": evaluation.phrase_signs} if phrase else {}),
        )
        attempt_graded.send(sender=Attempt, attempt=locked, result=result)
    return locked, True
