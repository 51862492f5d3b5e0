"""1-nearest-neighbour DTW over normalised hand and pose landmarks: the weak reference point.

Each sequence is mirrored so the more-visible hand is the right one, trimmed to the frames where a hand
is visible, resampled to a fixed length and put in body coordinates (centre between the shoulders,
unit = shoulder width). A query's distance to a sign is its smallest DTW distance to that sign's
reference clips; signs without a reference are never predicted.
"""

from __future__ import annotations

import numpy as np

from ml.layout import LEFT_HAND, POSE, RIGHT_HAND

LENGTH = 32
POSE_ARMS = (11, 12, 13, 14, 15, 16)  # shoulders, elbows, wrists
MISSING_COST = 1.0  # a hand present in one sequence and absent in the other


def normalise(data: np.ndarray, length: int = LENGTH) -> tuple[np.ndarray, np.ndarray]:
    """[T, 543, 3] -> (points [length, 48, 2] body coordinates, present [length, 3] for rh, lh, pose)."""
    xy = data[:, :, :2].astype(np.float64)
    left = ~np.isnan(xy[:, LEFT_HAND, 0]).any(axis=1)
    right = ~np.isnan(xy[:, RIGHT_HAND, 0]).any(axis=1)
    arms = [POSE.start + i for i in POSE_ARMS]
    if left.sum() > right.sum():  # mirror: dominant hand becomes the right one
        xy = xy.copy()
        xy[..., 0] = 1.0 - xy[..., 0]
        xy[:, LEFT_HAND], xy[:, RIGHT_HAND] = xy[:, RIGHT_HAND].copy(), xy[:, LEFT_HAND].copy()
        left, right = right, left
        arms = [POSE.start + i for i in (12, 11, 14, 13, 16, 15)]
    hands = np.flatnonzero(left | right)
    first, last = (hands[0], hands[-1]) if len(hands) else (0, len(xy) - 1)
    pick = np.round(np.linspace(first, last, length)).astype(int)
    xy, left, right = xy[pick], left[pick], right[pick]
    shoulders = xy[:, [POSE.start + 11, POSE.start + 12]]
    ok = ~np.isnan(shoulders).any(axis=(1, 2))
    if ok.any():
        centre = shoulders[ok].mean(axis=(0, 1))
        scale = max(float(np.linalg.norm(shoulders[ok, 0] - shoulders[ok, 1], axis=1).mean()), 1e-3)
    else:
        centre, scale = np.array([0.5, 0.5]), 0.25
    points = (np.concatenate([xy[:, RIGHT_HAND], xy[:, LEFT_HAND], xy[:, arms]], axis=1) - centre) / scale
    pose_ok = ~np.isnan(xy[:, arms]).any(axis=(1, 2))
    present = np.stack([right, left, pose_ok], axis=1)
    return np.nan_to_num(points), present


_PARTS = (slice(0, 21), slice(21, 42), slice(42, 48))


def frame_costs(query: tuple[np.ndarray, np.ndarray], refs: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Cost of matching each query frame with each frame of each reference: [R, Lq, Lr]."""
    q_pts, q_ok = query
    r_pts, r_ok = refs  # [R, L, 48, 2], [R, L, 3]
    total = np.zeros((r_pts.shape[0], q_pts.shape[0], r_pts.shape[1]))
    for k, part in enumerate(_PARTS):
        diff = q_pts[None, :, None, part] - r_pts[:, None, :, part]  # [R, Lq, Lr, n, 2]
        dist = np.sqrt((diff**2).sum(-1)).mean(-1)
        both = q_ok[None, :, None, k] & r_ok[:, None, :, k]
        one = q_ok[None, :, None, k] ^ r_ok[:, None, :, k]
        total += np.where(both, dist, 0.0) + np.where(one, MISSING_COST, 0.0)
    return total


def dtw_batch(costs: np.ndarray) -> np.ndarray:
    """DTW distances for a batch of cost matrices [R, n, m] (path length normalised)."""
    n_refs, n, m = costs.shape
    acc = np.full((n_refs, n + 1, m + 1), np.inf)
    acc[:, 0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = np.minimum(np.minimum(acc[:, i - 1, j], acc[:, i, j - 1]), acc[:, i - 1, j - 1])
            acc[:, i, j] = costs[:, i - 1, j - 1] + best
    return acc[:, n, m] / (n + m)


class KnnDtw:
    """1-NN DTW classifier with the same `probabilities`/`top_k` verbs as ml.inference.SignClassifier."""

    def __init__(
        self, references: list[tuple[np.ndarray, int]], labels: list[str], *, temperature: float = 0.1
    ):
        self.labels = labels
        self.temperature = temperature
        normalised = [normalise(data) for data, _ in references]
        self.ref_points = np.stack([p for p, _ in normalised])
        self.ref_present = np.stack([ok for _, ok in normalised])
        self.ref_labels = np.array([label for _, label in references])

    def distances(self, data: np.ndarray) -> np.ndarray:
        """Per-sign distance [n_labels]: min DTW over the sign's references, inf without any."""
        from ml.inference import as_landmark_array

        query = normalise(as_landmark_array(data))
        dists = dtw_batch(frame_costs(query, (self.ref_points, self.ref_present)))
        per_sign = np.full(len(self.labels), np.inf)
        np.minimum.at(per_sign, self.ref_labels, dists)
        return per_sign

    def probabilities(self, data: np.ndarray, *, frame_aspect: float | None = None) -> np.ndarray:
        """Softmin over distances. `frame_aspect` is unused: each part is normalised by its own size."""
        dist = self.distances(data)
        finite = np.isfinite(dist)
        scores = np.zeros(len(dist))
        logits = -(dist[finite] - dist[finite].min()) / self.temperature
        scores[finite] = np.exp(logits) / np.exp(logits).sum()
        return scores.astype(np.float32)

    def top_k(self, data: np.ndarray, k: int = 10):
        from ml.inference import top_k_predictions

        return top_k_predictions(self.probabilities(data), self.labels, k=k)
