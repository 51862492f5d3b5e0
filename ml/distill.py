"""Distillation targets: what licensed teacher models say about each training clip (no TensorFlow).

A one-hot label says only which sign a clip is; teachers trained on many signers also say which other
signs it resembles. Teachers are read by path at training time only (../shared/models; never
gislr-kittu89, which has no licence) and never see held-out clips.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.layout import crop_to_aspect


def load_teachers(paths: list[Path | str]) -> list:
    """Each teacher model loaded once, for every teacher_targets call of a run.

    A path is a folder or .tflite, optionally `DIR@ASPECT` (as `evaluate --model`): the width / height
    of the teacher's own training video, which then overrides teacher_targets' `teacher_aspect` for it.
    A model that is not fed the Kaggle way is fed by its adapter (ml.adapters, e.g. sentisign-66).
    """
    from ml.evaluate import load_predictor, model_arg

    return [load_predictor(model_arg(str(path)))[0] for path in paths]


def teacher_targets(
    teachers: list,
    sequences: list[np.ndarray],
    labels: list[str],
    *,
    temperature: float,
    frame_aspect: float = 1.0,
    teacher_aspect: float = 1.0,
) -> np.ndarray:
    """The teachers' averaged, temperature-softened distribution for each raw sequence [N, n_labels].

    Each teacher's distribution is softened and normalised on its own, then the teachers are averaged
    with equal weights, so every licensed teacher (prabhanjan, sentisign-66: both trained on 21 signers)
    has the same say in what the student learns about other signers.

    Teachers are TFLite models loaded by load_teachers (e.g. ../shared/models/gislr-prabhanjan),
    used only to train: their scores say which other signs a clip resembles, which one-hot labels
    cannot. They only ever see training clips, never the held-out ones. Each clip is shown to them as a centre
    crop of their own video's shape (`ml.layout.crop_to_aspect`, width / height of our frames and of
    the teacher's). The Kaggle teachers learnt from portrait phone video (9/16): prabhanjan's top-10
    on the split-0 training clips is 0.54 as extracted, 0.67 as a square crop, 0.70 as a 9:16 crop.
    """
    total = np.zeros((len(sequences), len(labels)), dtype=np.float64)
    crops_by_aspect: dict[float, list[np.ndarray]] = {}
    for teacher in teachers:
        view = getattr(teacher, "input_aspect", None) or teacher_aspect
        if view not in crops_by_aspect:
            crops_by_aspect[view] = [
                crop_to_aspect(raw, frame_aspect=frame_aspect, view_aspect=view) for raw in sequences
            ]
        order = [teacher.labels.index(sign) for sign in labels]
        for i, crop in enumerate(crops_by_aspect[view]):
            soft = teacher.probabilities(crop).astype(np.float64)[order] ** (1.0 / temperature)
            total[i] += soft / soft.sum()
    return (total / len(teachers)).astype(np.float32)
