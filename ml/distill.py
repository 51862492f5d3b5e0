"""Distillation targets: what licensed teacher models say about each training clip (no TensorFlow).

A one-hot label says only which sign a clip is; teachers trained on many signers also say which other
signs it resembles. Teachers are read by path at training time only (../shared/models; never
gislr-kittu89, which has no licence) and never see held-out clips.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.layout import crop_to_aspect


def load_teachers(paths: list[Path]) -> list:
    """Each teacher model (folder or .tflite) loaded once, for every teacher_targets call of a run."""
    from ml.evaluate import load_predictor

    return [load_predictor(path)[0] for path in paths]


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

    Teachers are Kaggle-contract TFLite models loaded by load_teachers (e.g. from
    ../shared/models/gislr-prabhanjan), used only to train: their scores say which other signs a clip resembles, which one-hot labels cannot.
    They only ever see training clips, never the held-out ones. Each clip is shown to them as a centre
    crop of their own video's shape (`ml.layout.crop_to_aspect`, width / height of our frames and of
    the teacher's). The Kaggle teachers learnt from portrait phone video (9/16): prabhanjan's top-10
    on the split-0 training clips is 0.54 as extracted, 0.67 as a square crop, 0.70 as a 9:16 crop.
    """
    crops = [crop_to_aspect(raw, frame_aspect=frame_aspect, view_aspect=teacher_aspect) for raw in sequences]
    total = np.zeros((len(sequences), len(labels)), dtype=np.float64)
    for teacher in teachers:
        order = [teacher.labels.index(sign) for sign in labels]
        for i, crop in enumerate(crops):
            soft = teacher.probabilities(crop).astype(np.float64)[order] ** (1.0 / temperature)
            total[i] += soft / soft.sum()
    return (total / len(teachers)).astype(np.float32)
