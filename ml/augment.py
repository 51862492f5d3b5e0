"""Training-time augmentation of landmark sequences (numpy only, no TensorFlow).

Every variant is what another signer or camera could have produced from the same sign: mirrored
(left-handed), rotated, scaled, shifted, stretched to another frame aspect, hands reshaped, faster or
slower, frames or parts lost. `recombine` makes sign forms no clip shows (one clip's hand shapes on
another's movement); only teachers label those (ml.distill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Frame aspect of the training clips (640x360); augmentation rotates in pixel-proportional space.
TRAIN_ASPECT = 16 / 9


@dataclass(frozen=True)
class Augment:
    """Training-time augmentation strengths (0 disables each)."""

    mirror_p: float = 0.5
    rotate_deg: float = 15.0
    scale: float = 0.15  # overall scale in [1 - s, 1 + s]
    aspect: float = 0.15  # x vs y scale (other cameras' aspect ratios, distortion)
    shift: float = 0.08
    hand_rotate_deg: float = 12.0  # each hand around its wrist: hand-shape variation between signers
    hand_scale: float = 0.12
    time_stretch: float = 0.3  # length factor in [1 - s, 1 + s], with a non-uniform warp
    crop: float = 0.1  # drop up to this share of frames at each end
    frame_drop: float = 0.15  # drop each frame with this probability
    part_drop_p: float = 0.05  # per frame and hand: hand not detected
    pose_drop_p: float = 0.05  # whole clip: pose not detected in a random share of frames
    clip_part_drop_p: float = 0.0  # whole clip: one part (pose or a hand, never the only hand) removed
    noise: float = 0.002


def augment_points(points: np.ndarray, layout, aug: Augment, rng: np.random.Generator) -> np.ndarray:
    """One random variant of selected points [T, P, 3] (x, y normalised to the frame; NaN = missing)."""
    from ml.model import mirror_points

    pts = points.copy()
    n = len(pts)
    # Time: crop the ends, stretch with a smooth monotone warp, drop frames.
    if aug.crop and n > 8:
        start = rng.integers(0, int(n * aug.crop) + 1)
        stop = n - rng.integers(0, int(n * aug.crop) + 1)
        pts = pts[start:stop]
        n = len(pts)
    if aug.time_stretch:
        new_n = max(2, round(n * rng.uniform(1 - aug.time_stretch, 1 + aug.time_stretch)))
        u = np.linspace(0.0, 1.0, new_n)
        bend = rng.uniform(-0.6, 0.6)  # |bend| < 1 keeps the warp monotone
        warped = u + bend * np.sin(np.pi * u) / np.pi
        pts = pts[np.round(warped * (n - 1)).astype(int)]
        n = len(pts)
    if aug.frame_drop and n > 8:
        keep = rng.random(n) >= aug.frame_drop
        if keep.sum() >= 4:
            pts = pts[keep]
            n = len(pts)
    if aug.mirror_p and rng.random() < aug.mirror_p:
        pts = mirror_points(pts, layout)

    # Space, in pixel-proportional units (x * aspect) so that rotations are rotations.
    xy = pts[..., :2].copy()
    xy[..., 0] *= TRAIN_ASPECT
    for hand in (layout.left_hand, layout.right_hand):
        if aug.hand_rotate_deg or aug.hand_scale:
            angle = np.deg2rad(rng.uniform(-aug.hand_rotate_deg, aug.hand_rotate_deg))
            scale = rng.uniform(1 - aug.hand_scale, 1 + aug.hand_scale)
            wrist = xy[:, hand[:1], :]
            xy[:, hand, :] = wrist + _rotate(xy[:, hand, :] - wrist, angle) * scale
    centre = np.nanmean(xy.reshape(-1, 2), axis=0) if np.isfinite(xy).any() else np.zeros(2)
    angle = np.deg2rad(rng.uniform(-aug.rotate_deg, aug.rotate_deg))
    scale = rng.uniform(1 - aug.scale, 1 + aug.scale)
    aspect = rng.uniform(1 - aug.aspect, 1 + aug.aspect)
    xy = _rotate(xy - centre, angle) * scale * np.array([aspect, 1.0 / aspect]) + centre
    xy += rng.uniform(-aug.shift, aug.shift, size=2) * np.array([TRAIN_ASPECT, 1.0])
    if aug.noise:
        xy += rng.normal(0.0, aug.noise, size=xy.shape)
    xy[..., 0] /= TRAIN_ASPECT
    pts[..., :2] = xy

    # Detection failures.
    for hand in (layout.left_hand, layout.right_hand):
        if aug.part_drop_p:
            drop = rng.random(n) < aug.part_drop_p
            pts[np.ix_(drop, hand)] = np.nan
    if aug.pose_drop_p and rng.random() < aug.pose_drop_p:
        drop = rng.random(n) < rng.uniform(0.2, 1.0)
        pts[np.ix_(drop, layout.pose)] = np.nan
    if aug.clip_part_drop_p and rng.random() < aug.clip_part_drop_p:
        visible = [h for h in (layout.left_hand, layout.right_hand) if np.isfinite(pts[:, h, 0]).any()]
        candidates = [layout.pose] + (visible if len(visible) == 2 else [])
        pts[:, candidates[rng.integers(len(candidates))]] = np.nan
    return pts.astype(np.float32)


def _rotate(xy: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return xy @ np.array([[c, s], [-s, c]], dtype=xy.dtype)


def recombine(shape_clip: np.ndarray, motion_clip: np.ndarray) -> np.ndarray:
    """A new raw sequence [T, 543, 3]: the body and hand paths of `motion_clip` with the hand shapes
    of `shape_clip` (time-aligned by resampling). Where `shape_clip` has no hand, the hand stays.

    Many signs differ only in handshape or only in movement, so such mixes look like sign forms
    that no training clip shows. Their label is unknown: only the teachers label them.
    """
    from ml.layout import LEFT_HAND, RIGHT_HAND

    n = len(motion_clip)
    shapes = shape_clip[np.round(np.linspace(0, len(shape_clip) - 1, n)).astype(int)]
    out = motion_clip.copy()
    for hand in (LEFT_HAND, RIGHT_HAND):
        relative = shapes[:, hand] - shapes[:, hand.start : hand.start + 1]
        moved = motion_clip[:, hand.start : hand.start + 1] + relative
        out[:, hand] = np.where(np.isfinite(moved), moved, motion_clip[:, hand])
    return out
