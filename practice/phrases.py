"""Phrase attempts: create them (clip or landmarks) and grade them sign by sign in the worker.

A phrase attempt is an Attempt with `phrase` set instead of `sign`, so it shares the lifecycle
(services: create and queue; grading: claim, store with progress in one transaction; recovery;
replay). Only the parts that differ live here: the longer clip limit, and an evaluation that aligns
the phrase's signs in order to the clip (ml.phrase.grade_phrase) with the active predictor, at the
grading rate.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts.models import Learner
from lessons.models import Phrase
from lessons.phrases import phrase_sign_names

from . import predictor
from .grading import Evaluation, attempt_observe
from .landmarks_input import landmarks_check
from .models import Attempt
from .services import attempt_landmarks_attach, attempt_save_and_enqueue, attempt_video_attach


def phrase_attempt_create(*, learner: Learner, phrase: Phrase, video: UploadedFile) -> Attempt:
    """Validate a phrase clip cheaply (up to SIGNLEARN_MAX_PHRASE_SECONDS) and queue its grading."""
    attempt = Attempt(learner=learner, phrase=phrase, source=Attempt.Source.VIDEO)
    attempt_video_attach(attempt, video, max_seconds=settings.SIGNLEARN_MAX_PHRASE_SECONDS)
    return attempt_save_and_enqueue(attempt, stored=attempt.video)


def phrase_attempt_create_from_landmarks(*, learner: Learner, phrase: Phrase, data: np.ndarray) -> Attempt:
    """Queue grading of a phrase's landmark sequence ([T, 543, 3]), read at the grading rate."""
    attempt = Attempt(learner=learner, phrase=phrase, source=Attempt.Source.LANDMARKS)
    attempt_landmarks_attach(attempt, landmarks_check(np.asarray(data, dtype=np.float32)))
    return attempt_save_and_enqueue(attempt, stored=attempt.landmarks)


def phrase_evaluate(attempt: Attempt, *, files: dict[str, str]) -> Evaluation:
    """Landmarks (extracted once, or uploaded), detection checks, then every sign's verdict in its span.

    Uploaded landmarks carry no clock: they are read as sampled at SIGNLEARN_GRADING_FPS (what the
    worker itself extracts at), so their spans are in seconds of that rate.
    """
    from ml.phrase import grade_phrase

    grading_fps = settings.SIGNLEARN_GRADING_FPS or 30.0
    observed = attempt_observe(attempt, files=files, max_seconds=settings.SIGNLEARN_MAX_PHRASE_SECONDS)
    landmarks, video = observed.landmarks, observed.video
    model = predictor.grading_predictor()
    result = grade_phrase(
        model,
        landmarks.data,
        phrase_sign_names(phrase=attempt.phrase),
        fps=video.fps if video is not None else grading_fps,
        timestamps_s=landmarks.timestamps_s if video is not None else None,
        frame_aspect=observed.frame_aspect,
    )
    return observed.evaluation(
        predictions=[],
        rank=None,
        model_version=model.version,
        duration_s=observed.video_duration_s or landmarks.n_frames / grading_fps,
        files=files,
        phrase_signs=result.as_dict()["signs"],
    )
