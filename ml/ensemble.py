"""Combining several models' sign probabilities, and scoring probability matrices against labels.

Pure numpy, no Django: the registry's active configuration (one model or an ensemble) and its
evaluation gate both reduce to these functions, so they are tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.inference import Prediction, top_k_predictions

COMBINE_MEAN = "mean"  # weighted arithmetic mean of probabilities
COMBINE_PRODUCT = "product"  # weighted geometric mean (a product of probabilities), renormalised
COMBINE_MODES = (COMBINE_MEAN, COMBINE_PRODUCT)

# Floor for the product so one model's hard zero cannot veto a sign the others are sure about.
_PRODUCT_FLOOR = 1e-12


def align_probabilities(probs: np.ndarray, labels: Sequence[str], target_labels: Sequence[str]) -> np.ndarray:
    """Reorder a model's scores (in its own label order) into `target_labels` order.

    Every Kaggle-contract model ships its own sign -> index map; they usually agree, but an ensemble
    must add up scores of the same sign, never of the same position.
    """
    probs = np.asarray(probs)
    if list(labels) == list(target_labels):
        return probs
    position = {sign: i for i, sign in enumerate(labels)}
    missing = [sign for sign in target_labels if sign not in position]
    if missing:
        raise ValueError(f"model has no score for {len(missing)} signs, e.g. {missing[:3]}")
    order = np.array([position[sign] for sign in target_labels])
    return probs[..., order]


def combine_probabilities(
    member_probs: Sequence[np.ndarray], weights: Sequence[float], mode: str = COMBINE_MEAN
) -> np.ndarray:
    """One probability vector (or matrix, last axis = signs) from several models' aligned ones.

    `mean` is the weighted average; `product` multiplies probabilities raised to their normalised
    weights (a weighted geometric mean) and renormalises, which rewards signs all members agree on.
    Weights need not sum to 1; they must be non-negative with a positive sum.
    """
    if not member_probs:
        raise ValueError("an ensemble needs at least one member")
    if len(member_probs) != len(weights):
        raise ValueError(f"{len(member_probs)} members but {len(weights)} weights")
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {list(weights)}")
    w = w / w.sum()
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in member_probs])
    if mode == COMBINE_MEAN:
        combined = np.tensordot(w, stacked, axes=1)
    elif mode == COMBINE_PRODUCT:
        log_probs = np.log(np.clip(stacked, _PRODUCT_FLOOR, None))
        log_combined = np.tensordot(w, log_probs, axes=1)
        log_combined -= log_combined.max(axis=-1, keepdims=True)
        combined = np.exp(log_combined)
    else:
        raise ValueError(f"unknown combine mode {mode!r} (choose from {COMBINE_MODES})")
    combined /= combined.sum(axis=-1, keepdims=True)
    return combined.astype(np.float32)


def target_ranks(probs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """1-based rank of each row's target sign (1 = the model's first choice; ties rank optimistically
    in index order, as `np.argsort(kind="stable")` does for top-k)."""
    probs = np.asarray(probs)
    targets = np.asarray(targets, dtype=np.int64)
    if probs.ndim != 2 or probs.shape[0] != targets.shape[0]:
        raise ValueError(f"probabilities {probs.shape} do not match {targets.shape[0]} targets")
    target_scores = probs[np.arange(len(targets)), targets][:, None]
    n_cols = probs.shape[1]
    col = np.arange(n_cols)[None, :]
    better = (probs > target_scores) | ((probs == target_scores) & (col < targets[:, None]))
    return better.sum(axis=1) + 1


@dataclass
class Ensemble:
    """Several classifiers as one: each member's probabilities, aligned to `labels`, combined.

    Members are anything with `.labels` and `.probabilities(data, frame_aspect=...)`
    (ml.inference.SignClassifier). One member is that member alone, reordered to `labels`.
    """

    labels: list[str]
    members: list[tuple[object, float]]  # (classifier, weight)
    combine: str = COMBINE_MEAN

    def probabilities(self, data, *, frame_aspect: float | None = None) -> np.ndarray:
        """`frame_aspect` (width / height of the clip's video) lets members with an input aspect see the
        clip as a crop of their own video's shape."""
        probs = [
            align_probabilities(c.probabilities(data, frame_aspect=frame_aspect), c.labels, self.labels)
            for c, _ in self.members
        ]
        if len(probs) == 1:
            return probs[0]
        return combine_probabilities(probs, [w for _, w in self.members], self.combine)

    def top_k(self, data, k: int = 10, *, frame_aspect: float | None = None) -> list[Prediction]:
        return top_k_predictions(self.probabilities(data, frame_aspect=frame_aspect), self.labels, k=k)


@dataclass
class MirrorAveraged:
    """Test-time mirroring: the mean of a predictor's probabilities on a sequence and on its mirror
    (hands, pose and face pairs swapped, `ml.mirror`), so a left-handed signer is graded as the
    right-handed signer the models mostly learnt from, and vice versa."""

    predictor: object  # anything with `.labels` and `.probabilities(data, frame_aspect=...)`

    @property
    def labels(self) -> list[str]:
        return self.predictor.labels

    def probabilities(self, data, *, frame_aspect: float | None = None) -> np.ndarray:
        from ml.inference import as_landmark_array
        from ml.mirror import mirror_average

        return mirror_average(
            lambda x: self.predictor.probabilities(x, frame_aspect=frame_aspect), as_landmark_array(data)
        )

    def top_k(self, data, k: int = 10, *, frame_aspect: float | None = None) -> list[Prediction]:
        return top_k_predictions(self.probabilities(data, frame_aspect=frame_aspect), self.labels, k=k)


@dataclass
class SignScore:
    n: int
    top1: float
    top10: float


@dataclass
class Scores:
    n: int
    top1: float
    top10: float
    per_sign: dict[str, SignScore] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "top1": self.top1,
            "top10": self.top10,
            "per_sign": {s: vars(v) for s, v in sorted(self.per_sign.items())},
        }


def score_probabilities(probs: np.ndarray, targets: Sequence[int], labels: Sequence[str]) -> Scores:
    """Top-1 / top-10 accuracy overall and per sign for rows of probabilities over `labels`."""
    targets = np.asarray(targets, dtype=np.int64)
    if len(targets) == 0:
        return Scores(n=0, top1=0.0, top10=0.0)
    ranks = target_ranks(probs, targets)
    per_sign: dict[str, SignScore] = {}
    for index in np.unique(targets):
        mask = targets == index
        per_sign[labels[index]] = SignScore(
            n=int(mask.sum()),
            top1=float((ranks[mask] == 1).mean()),
            top10=float((ranks[mask] <= 10).mean()),
        )
    return Scores(
        n=len(targets),
        top1=float((ranks == 1).mean()),
        top10=float((ranks <= 10).mean()),
        per_sign=per_sign,
    )
