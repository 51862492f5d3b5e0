"""Phrase attempts: create them (clip or landmarks) and grade them sign by sign in the worker.

A phrase attempt is an Attempt with `phrase` set instead of `sign`, so it shares the lifecycle in
services.py (claim, store with progress in one transaction, requeue, purge, media). Only the parts that
differ live here: the longer clip limit, and an evaluation that aligns the phrase's signs in order to
the clip (ml.phrase.grade_phrase) with the active predictor, at the grading rate.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts.models import Learner
from lessons.models import Phrase
from lessons.phrases import phrase_sign_names

from . import services
from .landmarks_input import landmarks_check
from .models import Attempt
from .services import (
    Evaluation,
    GradingFailure,
    Reason,
    _attempt_save_and_enqueue,
    _store_sequence,
    _video_landmarks,
    attempt_landmarks_attach,
    attempt_landmarks_name,
    attempt_video_attach,
)


def phrase_attempt_create(*, learner: Learner, phrase: Phrase, video: UploadedFile) -> Attempt:
    """Validate a phrase clip cheaply (up to SIGNLEARN_MAX_PHRASE_SECONDS) and queue its grading."""
    attempt = Attempt(learner=learner, phrase=phrase, source=Attempt.Source.VIDEO)
    attempt_video_attach(attempt, video, max_seconds=settings.SIGNLEARN_MAX_PHRASE_SECONDS)
    return _attempt_save_and_enqueue(attempt, stored=attempt.video)


def phrase_attempt_create_from_landmarks(*, learner: Learner, phrase: Phrase, data: np.ndarray) -> Attempt:
    """Queue grading of a phrase's landmark sequence ([T, 543, 3]), read at the grading rate."""
    attempt = Attempt(learner=learner, phrase=phrase, source=Attempt.Source.LANDMARKS)
    attempt_landmarks_attach(attempt, landmarks_check(np.asarray(data, dtype=np.float32)))
    return _attempt_save_and_enqueue(attempt, stored=attempt.landmarks)


def phrase_evaluate(attempt: Attempt, *, files: dict[str, str]) -> Evaluation:
    """Landmarks (extracted once, or uploaded), detection checks, then every sign's verdict in its span.

    Uploaded landmarks carry no clock: they are read as sampled at SIGNLEARN_GRADING_FPS (what the
    worker itself extracts at), so their spans are in seconds of that rate.
    """
    from ml.islr_io import read_sequence
    from ml.landmarks import Landmarks
    from ml.phrase import grade_phrase

    grading_fps = settings.SIGNLEARN_GRADING_FPS or 30.0
    duration_s, size, fps, timestamps = attempt.duration_s, None, grading_fps, None
    if attempt.source == Attempt.Source.VIDEO:
        landmarks, video = _video_landmarks(attempt, max_seconds=settings.SIGNLEARN_MAX_PHRASE_SECONDS)
        duration_s = float(video.timestamps_s[-1] + 1.0 / video.fps)
        size, fps, timestamps = (video.width, video.height), video.fps, landmarks.timestamps_s
        files["landmarks"] = _store_sequence(landmarks.data, attempt_landmarks_name())
    elif attempt.landmarks:
        landmarks = Landmarks(data=read_sequence(attempt.landmarks.path))
        duration_s = landmarks.n_frames / grading_fps
    else:
        raise GradingFailure(Reason.INTERNAL_ERROR, "The attempt has neither a clip nor landmarks.")

    detected = services.landmarks_detected(landmarks)
    predictor = services._predictor()  # looked up at call time: the one seam for the grading model
    result = grade_phrase(
        predictor,
        landmarks.data,
        phrase_sign_names(phrase=attempt.phrase),
        fps=fps,
        timestamps_s=timestamps,
        frame_aspect=size[0] / size[1] if size else None,
    )
    return Evaluation(
        predictions=[],
        rank=None,
        detected=detected,
        n_frames=landmarks.n_frames,
        model_version=predictor.version,
        duration_s=duration_s,
        files=dict(files),
        phrase_signs=result.as_dict()["signs"],
    )
