"""Tutorial QA: a tutorial clip goes through the grading pipeline, flagged when its own sign is missed.

The clip and its results are lessons' (TutorialVideo.qa_*); the pipeline is practice's, so the check
lives here and lessons asks for it through a signal (lessons.signals.tutorial_check_requested, connected
in practice/apps.py).
"""

from __future__ import annotations

from django.conf import settings

from lessons.models import TutorialVideo
from ml.grading import TOP_K

from . import predictor as grading_model
from .files import files_delete, sequence_store


def tutorial_check_queue(*, tutorial_id: int) -> None:
    """Send a tutorial's check to its own queue (settings.CELERY_TASK_ROUTES: `tutorials`)."""
    from .tasks import tutorial_check_task

    tutorial_check_task.delay(tutorial_id)


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
    name = sequence_store(
        landmarks.data, f"tutorial-landmarks/{tutorial.sign.index:03d}-{tutorial.pk}.parquet"
    )
    detected = {k: round(v, 4) for k, v in landmarks.detection_rates().items()}
    predictor = grading_model.grading_predictor()
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
        files_delete([old_landmarks])
    tutorial.refresh_from_db()
    return tutorial
