"""The seed recogniser: in-graph preprocessing + part embeddings + Transformer (TensorFlow/Keras).

Training and export only: it imports TensorFlow, so it runs in .venv-train, never in the web/worker.

Data flow (the same TF code in training and in the exported TFLite, so they cannot drift):
    raw [T, 543, 3] --select_points--> [T, P, 3] --(augment, training only)--> preprocess
    --> features [L, F] + part mask [L, n_parts] --> classifier --> 250 scores
`select_points` is a gather, so augmentation (numpy, ml/augment.py) works on the few selected points.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ml.layout import FACE, LEFT_HAND, LIPS, N_SIGNS, POSE, POSE_PAIRS, RIGHT_HAND, ROWS_PER_FRAME

# Pose landmarks kept: nose, shoulders, elbows, wrists, the pose's hand points, hips.
POSE_KEEP = (0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
POSE_LEFT_SHOULDER, POSE_RIGHT_SHOULDER = 11, 12
HAND_POINTS = 21
# Face-mesh oval: forehead top, chin, right cheek, left cheek. A face's height/width is about constant,
# so these four points tell the frame's aspect ratio (x and y are normalised by width and height).
FACE_TOP, FACE_CHIN, FACE_SIDE_A, FACE_SIDE_B = 10, 152, 234, 454
# Face height / face width in pixels, measured on the 640x360 training clips (median over frames).
FACE_HEIGHT_OVER_WIDTH = 1.29
EPS = 1e-6


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and preprocessing; saved next to the weights as config.json."""

    n_frames: int = 32  # resampled sequence length
    use_lips: bool = False
    flip_dominant: bool = True  # mirror so the more-visible hand is always the "right" one
    aspect_from_face: bool = True  # undo the frame's aspect ratio (portrait phone vs landscape webcam)
    dim: int = 128  # embedding width
    n_blocks: int = 2
    n_heads: int = 4
    mlp_ratio: int = 2
    dropout: float = 0.2
    embed_dropout: float = 0.1
    n_classes: int = N_SIGNS

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class PointLayout:
    """Which raw rows are selected, and where each part sits in the selection."""

    rows: np.ndarray  # indices into the 543 raw rows
    left_hand: np.ndarray  # positions in `rows`
    right_hand: np.ndarray
    pose: np.ndarray
    lips: np.ndarray
    face: np.ndarray  # the four face-oval points (top, chin, side, side)
    mirror: np.ndarray  # permutation of the selection that swaps left and right
    shoulders: tuple[int, int]  # positions of pose 11 and 12 in `rows`

    @property
    def parts(self) -> tuple[str, ...]:
        return ("pose", "left_hand", "right_hand") + (("lips",) if len(self.lips) else ())


def point_layout(config: ModelConfig) -> PointLayout:
    pose_rows = [POSE.start + i for i in POSE_KEEP]
    lips_rows = [FACE.start + i for i in LIPS] if config.use_lips else []
    face_rows = [FACE.start + i for i in (FACE_TOP, FACE_CHIN, FACE_SIDE_A, FACE_SIDE_B)]
    rows = (list(range(LEFT_HAND.start, LEFT_HAND.stop)) + list(range(RIGHT_HAND.start, RIGHT_HAND.stop))
            + pose_rows + lips_rows + face_rows)  # fmt: skip
    position = {row: i for i, row in enumerate(rows)}
    mirror = list(range(len(rows)))
    for k in range(HAND_POINTS):
        left, right = position[LEFT_HAND.start + k], position[RIGHT_HAND.start + k]
        mirror[left], mirror[right] = right, left
    for a, b in POSE_PAIRS:
        if a in POSE_KEEP and b in POSE_KEEP:
            pa, pb = position[POSE.start + a], position[POSE.start + b]
            mirror[pa], mirror[pb] = pb, pa
    side_a, side_b = position[FACE.start + FACE_SIDE_A], position[FACE.start + FACE_SIDE_B]
    mirror[side_a], mirror[side_b] = side_b, side_a
    # Lips are symmetric as a contour but have no pair table here: mirroring flips x only.
    n_hands = 2 * HAND_POINTS
    return PointLayout(
        rows=np.array(rows, dtype=np.int32),
        left_hand=np.arange(0, HAND_POINTS),
        right_hand=np.arange(HAND_POINTS, n_hands),
        pose=np.arange(n_hands, n_hands + len(pose_rows)),
        lips=np.arange(n_hands + len(pose_rows), n_hands + len(pose_rows) + len(lips_rows)),
        face=np.arange(len(rows) - len(face_rows), len(rows)),
        mirror=np.array(mirror, dtype=np.int32),
        shoulders=(position[POSE.start + POSE_LEFT_SHOULDER], position[POSE.start + POSE_RIGHT_SHOULDER]),
    )


def raw_layout() -> PointLayout:
    """All 543 raw rows as a layout, so training can augment whole sequences that a teacher then
    scores. Its mirror swaps hands and pose pairs but not face-mesh points (no pair table here), so
    mirrored raw sequences are not faithful faces: mirror after selecting points instead."""
    mirror = np.arange(ROWS_PER_FRAME)
    mirror[LEFT_HAND], mirror[RIGHT_HAND] = (
        np.arange(RIGHT_HAND.start, RIGHT_HAND.stop),
        np.arange(LEFT_HAND.start, LEFT_HAND.stop),
    )
    for a, b in POSE_PAIRS:
        mirror[POSE.start + a], mirror[POSE.start + b] = POSE.start + b, POSE.start + a
    return PointLayout(
        rows=np.arange(ROWS_PER_FRAME, dtype=np.int32),
        left_hand=np.arange(LEFT_HAND.start, LEFT_HAND.stop),
        right_hand=np.arange(RIGHT_HAND.start, RIGHT_HAND.stop),
        pose=np.arange(POSE.start, POSE.stop),
        lips=np.array([FACE.start + i for i in LIPS]),
        face=np.array([FACE.start + i for i in (FACE_TOP, FACE_CHIN, FACE_SIDE_A, FACE_SIDE_B)]),
        mirror=mirror.astype(np.int32),
        shoulders=(POSE.start + POSE_LEFT_SHOULDER, POSE.start + POSE_RIGHT_SHOULDER),
    )


def select_points(raw: np.ndarray, layout: PointLayout) -> np.ndarray:
    """[T, 543, 3] -> [T, P, 3] (numpy twin of the graph's first gather)."""
    assert raw.shape[1] == ROWS_PER_FRAME
    return raw[:, layout.rows, :]


def mirror_points(points: np.ndarray, layout: PointLayout) -> np.ndarray:
    """Left/right mirror in image coordinates: x -> 1 - x, and swap left and right points."""
    mirrored = points[:, layout.mirror, :].copy()
    mirrored[..., 0] = 1.0 - mirrored[..., 0]
    return mirrored


def feature_sizes(config: ModelConfig) -> dict[str, int]:
    """Per-part feature width: (x, y) per point plus motion; hands add their body-relative position."""
    layout = point_layout(config)
    sizes = {"pose": len(layout.pose) * 2 * 2, "left_hand": (HAND_POINTS + 1) * 2 * 2,
             "right_hand": (HAND_POINTS + 1) * 2 * 2}  # fmt: skip
    if config.use_lips:
        sizes["lips"] = len(layout.lips) * 2 * 2
    return sizes


def _part_present(xy, idx):
    part = tf.gather(xy, idx, axis=1)  # [T, k, 2]
    return tf.reduce_all(tf.equal(part, part), axis=[1, 2])  # no NaN anywhere in the part


def _masked_mean(values, mask, axis):
    mask = tf.cast(mask, values.dtype)
    total = tf.reduce_sum(values * mask, axis=axis)
    count = tf.reduce_sum(mask, axis=axis)
    return total / tf.maximum(count, 1.0), count


def _frame_height_over_width(xy, layout: PointLayout):
    """Frame H/W from the face oval (mean over frames with a face); 9/16 when no face is seen."""
    face = tf.gather(xy, layout.face, axis=1)  # [T, 4, 2]
    height = tf.abs(face[:, 0, 1] - face[:, 1, 1])
    width = tf.abs(face[:, 2, 0] - face[:, 3, 0])
    ok = tf.logical_and(tf.equal(height * width, height * width), width > 1e-4)
    ok = tf.logical_and(ok, height > 1e-4)
    ratio = tf.where(ok, FACE_HEIGHT_OVER_WIDTH * width / tf.where(ok, height, 1.0), 0.0)
    mean, count = _masked_mean(ratio, ok, axis=0)
    return tf.where(count > 0, mean, 9.0 / 16.0)


def _signing_frames(left, right, n, length: int):
    """`length` frame indices spread over [first, last] hand-visible frame; all frames when no hand is
    ever visible."""
    any_hand = tf.logical_or(left, right)
    frame_ids = tf.range(n)
    first = tf.reduce_min(tf.where(any_hand, frame_ids, n))
    last = tf.reduce_max(tf.where(any_hand, frame_ids, -1))
    none = last < first
    first = tf.where(none, 0, first)
    last = tf.where(none, n - 1, last)
    pick = tf.cast(first, tf.float32) + tf.linspace(0.0, 1.0, length) * tf.cast(last - first, tf.float32)
    return tf.cast(tf.round(pick), tf.int32)


def _body_frame(xy, layout: PointLayout):
    """Pose part (centred on the shoulders' midpoint, scaled by their width, per sequence) and that
    (centre, scale), which hands and lips are placed in."""
    pose = tf.gather(xy, layout.pose, axis=1)
    pose_ok = tf.reduce_all(tf.equal(pose, pose), axis=[1, 2])  # [L]
    pose = tf.where(tf.equal(pose, pose), pose, 0.0)
    l_sh, r_sh = layout.shoulders
    sh_a = tf.gather(xy, l_sh, axis=1)
    sh_b = tf.gather(xy, r_sh, axis=1)
    ok = tf.logical_and(pose_ok, tf.reduce_all(tf.equal(sh_a - sh_b, sh_a - sh_b), axis=1))
    sh_a = tf.where(tf.equal(sh_a, sh_a), sh_a, 0.0)
    sh_b = tf.where(tf.equal(sh_b, sh_b), sh_b, 0.0)
    centre, n_ok = _masked_mean((sh_a + sh_b) / 2.0, ok[:, None], axis=0)  # [2]
    width, _ = _masked_mean(tf.norm(sh_a - sh_b, axis=1), ok, axis=0)
    scale = tf.where(n_ok > 0, tf.maximum(width, 1e-3), 1.0)
    pose_feat = (pose - centre) / scale
    pose_feat = tf.where(pose_ok[:, None, None], pose_feat, 0.0)
    return pose_feat, pose_ok, centre, scale


def _hand_part(xy, idx, centre, scale):
    """A hand's shape (centred and scaled by itself, per frame) plus its position in the body frame."""
    hand = tf.gather(xy, idx, axis=1)  # [L, 21, 2]
    hand_ok = tf.reduce_all(tf.equal(hand, hand), axis=[1, 2])
    hand = tf.where(tf.equal(hand, hand), hand, 0.0)
    h_centre = tf.reduce_mean(hand, axis=1, keepdims=True)
    h_scale = tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(hand - h_centre), axis=2), axis=1))
    shape = (hand - h_centre) / tf.maximum(h_scale, 1e-3)[:, None, None]
    where = (h_centre - centre) / scale  # [L, 1, 2]
    feat = tf.concat([shape, where], axis=1)
    return tf.where(hand_ok[:, None, None], feat, 0.0), hand_ok


def _lips_part(xy, idx, scale):
    lips = tf.gather(xy, idx, axis=1)
    lips_ok = tf.reduce_all(tf.equal(lips, lips), axis=[1, 2])
    lips = tf.where(tf.equal(lips, lips), lips, 0.0)
    l_centre = tf.reduce_mean(lips, axis=1, keepdims=True)
    feat = (lips - l_centre) / scale
    return tf.where(lips_ok[:, None, None], feat, 0.0), lips_ok


def _with_motion(parts):
    """Each part's features and frame-to-frame motion (0 where either frame lacks the part), and masks."""
    features, masks = [], []
    for feat, present in parts:
        both = tf.logical_and(present[1:], present[:-1])
        motion = tf.where(both[:, None], feat[1:] - feat[:-1], 0.0)
        motion = tf.concat([tf.zeros_like(feat[:1]), motion], axis=0)
        features += [feat, motion]
        masks.append(tf.cast(present, tf.float32))
    return tf.concat(features, axis=1), tf.stack(masks, axis=1)


def make_preprocess(config: ModelConfig):
    """A TF function [T, P, 3] selected points -> (features [L, F], mask [L, n_parts]).

    Steps: mirror so the dominant hand is the right one (optional); keep the span of frames in which a
    hand is visible; centre/scale pose by the shoulders (per sequence), each hand by itself (per frame)
    plus its position relative to the body; NaN -> 0 with a per-part mask; nearest-frame resample to
    `n_frames`; append frame-to-frame motion. Builtin TFLite ops only (NaN test is x != x).
    """
    layout = point_layout(config)
    mirror_perm = tf.constant(layout.mirror)
    length = config.n_frames

    def preprocess(points):
        xy = points[:, :, :2]
        if config.aspect_from_face:
            xy = xy * tf.stack([1.0, _frame_height_over_width(xy, layout)])
        left = _part_present(xy, layout.left_hand)
        right = _part_present(xy, layout.right_hand)
        if config.flip_dominant:
            flip = tf.reduce_sum(tf.cast(left, tf.int32)) > tf.reduce_sum(tf.cast(right, tf.int32))
            mirrored = tf.gather(xy, mirror_perm, axis=1) * tf.constant([-1.0, 1.0]) + tf.constant([1.0, 0.0])
            xy = tf.where(flip, mirrored, xy)
            left, right = (tf.where(flip, right, left), tf.where(flip, left, right))
        xy = tf.gather(xy, _signing_frames(left, right, tf.shape(xy)[0], length))  # [L, P, 2]

        pose_feat, pose_ok, centre, scale = _body_frame(xy, layout)
        parts = [(tf.reshape(pose_feat, [length, -1]), pose_ok)]
        for idx in (layout.left_hand, layout.right_hand):
            feat, ok = _hand_part(xy, idx, centre, scale)
            parts.append((tf.reshape(feat, [length, -1]), ok))
        if config.use_lips:
            feat, ok = _lips_part(xy, layout.lips, scale)
            parts.append((tf.reshape(feat, [length, -1]), ok))
        return _with_motion(parts)

    return preprocess


def build_classifier(config: ModelConfig):
    """Keras model: (features [B, L, F], mask [B, L, n_parts]) -> logits [B, n_classes]."""
    sizes = feature_sizes(config)
    names = list(sizes)
    total = sum(sizes.values())
    features = keras.Input((config.n_frames, total), name="features")
    mask = keras.Input((config.n_frames, len(names)), name="mask")

    # Each part's features sit as [position | motion] blocks in the concatenation order of preprocess.
    embeddings = []
    offset = 0
    for i, name in enumerate(names):
        width = sizes[name]
        x = FeatureSlice(offset, offset + width, name=f"{name}_slice")(features)
        offset += width
        x = layers.Dense(config.dim, name=f"{name}_dense1")(x)
        x = layers.LayerNormalization(name=f"{name}_ln")(x)
        x = layers.Activation("gelu")(x)
        x = layers.Conv1D(config.dim, 3, padding="same", name=f"{name}_conv")(x)
        x = layers.Activation("gelu")(x)
        x = layers.Dense(config.dim, name=f"{name}_dense2")(x)
        present = FeatureSlice(i, i + 1, name=f"{name}_present")(mask)
        x = MissingPart(name=f"{name}_missing")([x, present])
        embeddings.append(x)
    fused = PartFusion(names, name="part_fusion")(embeddings)
    x = PositionEmbedding(name="position")(fused)
    x = layers.Dropout(config.embed_dropout)(x)
    for b in range(config.n_blocks):
        h = layers.LayerNormalization(name=f"block{b}_ln1")(x)
        h = layers.MultiHeadAttention(
            config.n_heads, config.dim // config.n_heads, dropout=config.dropout, name=f"block{b}_mha"
        )(h, h)
        x = layers.Add()([x, layers.Dropout(config.dropout)(h)])
        h = layers.LayerNormalization(name=f"block{b}_ln2")(x)
        h = layers.Dense(config.dim * config.mlp_ratio, activation="gelu", name=f"block{b}_mlp1")(h)
        h = layers.Dense(config.dim, name=f"block{b}_mlp2")(h)
        x = layers.Add()([x, layers.Dropout(config.dropout)(h)])
    x = layers.LayerNormalization(name="final_ln")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(config.dropout)(x)
    logits = layers.Dense(config.n_classes, name="logits")(x)
    return keras.Model([features, mask], logits, name="signlearn_seed")


@keras.saving.register_keras_serializable(package="signlearn")
class FeatureSlice(layers.Layer):
    """Last-axis slice [start:stop] (a named layer, not a Lambda, so saved models load safely)."""

    def __init__(self, start: int, stop: int, **kwargs):
        super().__init__(**kwargs)
        self.start, self.stop = start, stop

    def call(self, x):
        return x[..., self.start : self.stop]

    def get_config(self):
        return {**super().get_config(), "start": self.start, "stop": self.stop}


@keras.saving.register_keras_serializable(package="signlearn")
class MissingPart(layers.Layer):
    """Replace a part's embedding by a learned 'not visible' vector in frames where it is missing."""

    def build(self, input_shape):
        self.empty = self.add_weight(shape=(input_shape[0][-1],), initializer="zeros", name="empty")

    def call(self, inputs):
        x, present = inputs
        return x * present + self.empty * (1.0 - present)


@keras.saving.register_keras_serializable(package="signlearn")
class PartFusion(layers.Layer):
    """Softmax-weighted sum of the part embeddings; the learned weights say which parts matter."""

    def __init__(self, part_names, **kwargs):
        super().__init__(**kwargs)
        self.part_names = list(part_names)

    def build(self, input_shape):
        self.part_logits = self.add_weight(
            shape=(len(self.part_names),), initializer="zeros", name="part_logits"
        )

    def call(self, inputs):
        weights = ops.softmax(self.part_logits)
        stacked = ops.stack(inputs, axis=-1)  # [B, L, D, n_parts]
        return ops.sum(stacked * weights, axis=-1)

    def part_weights(self) -> dict[str, float]:
        weights = ops.convert_to_numpy(ops.softmax(self.part_logits))
        return {name: float(w) for name, w in zip(self.part_names, weights, strict=True)}

    def get_config(self):
        return {**super().get_config(), "part_names": self.part_names}


@keras.saving.register_keras_serializable(package="signlearn")
class PositionEmbedding(layers.Layer):
    def build(self, input_shape):
        self.table = self.add_weight(
            shape=(input_shape[1], input_shape[2]),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="table",
        )

    def call(self, x):
        return x + self.table


def part_weights(model) -> dict[str, float]:
    return model.get_layer("part_fusion").part_weights()


def make_serving_fn(model, config: ModelConfig, *, probabilities: bool = True):
    """raw `inputs` [n, 543, 3] float32 (NaN allowed) -> {"outputs": [n_classes]}: the Kaggle contract."""
    layout = point_layout(config)
    preprocess = make_preprocess(config)
    rows = tf.constant(layout.rows)

    def serve(inputs):
        points = tf.gather(inputs, rows, axis=1)
        features, mask = preprocess(points)
        logits = model([features[None], mask[None]], training=False)[0]
        return {"outputs": tf.nn.softmax(logits) if probabilities else logits}

    return serve


def save_config(config: ModelConfig, run_dir: Path) -> None:
    (run_dir / "config.json").write_text(config.to_json())


def load_config(run_dir: Path) -> ModelConfig:
    return ModelConfig.from_json((run_dir / "config.json").read_text())
