"""What a training run learns from: the split's clips, the pool of augmented variants, the batches.

Imports TensorFlow/Keras (the featurizer is the exported model's own preprocessing, and the batches
are a Keras dataset), so only `ml.train.train` imports this module: parsing `python -m ml train`
must not need TensorFlow.

Steps, in the order ml.train runs them:
1. `load_training_set`: the split's training and held-out clips, as the model's selected points.
2. `teacher_labeller` (with teachers): a function raw sequences -> teachers' distributions, plus the
   recombined clips (one clip's hand shapes on another's movement) that only teachers label.
3. `build_variant_pool`: `variants` augmented copies of every clip, featurized once, with targets.
4. `AugmentedClips`: each epoch draws `repeats` pool variants of every clip, shuffled, in batches.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from ml.augment import TRAIN_ASPECT, Augment, augment_points, recombine
from ml.dataset_build import load_sign_map, read_rows, split_dataset
from ml.distill import load_teachers, teacher_targets
from ml.islr_io import read_sequence
from ml.model import make_preprocess, mirror_points, point_layout, raw_layout, select_points


@dataclass
class Sample:
    points: np.ndarray  # [T, P, 3]
    label: int
    sequence_id: int


@dataclass
class TrainingSet:
    """The split: training clips (rows and selected points) and held-out clips, never mixed."""

    train_rows: list[dict]
    train: list[Sample]
    val: list[Sample]
    method: str  # how the split was made, as train.json records it


@dataclass
class VariantPool:
    """`variants` augmented copies of `n_clips` clips, variant-major: row v * n_clips + c."""

    features: np.ndarray
    masks: np.ndarray
    labels: np.ndarray  # targets: one-hot, or mixed with the teachers' distribution
    n_clips: int  # training clips, then recombined clips
    variants: int
    seconds: float


def load_samples(root: Path, rows: list[dict], sign_to_index: dict[str, int], layout) -> list[Sample]:
    return [
        Sample(
            select_points(read_sequence(root / r["path"]), layout), sign_to_index[r["sign"]], r["sequence_id"]
        )
        for r in rows
    ]


def load_training_set(data_dir: Path, *, split: str, seed: int, config) -> TrainingSet:
    """split="all" trains on every sequence; otherwise ml.dataset_build.split_dataset holds clips out
    (by signer for multi-signer data, else by clip)."""
    rows = read_rows(data_dir)
    if split == "all":
        train_rows, val_rows, method = rows, [], "none (all sequences)"
    else:
        parts = split_dataset(rows, seed=seed)
        train_rows, val_rows, method = parts.train, parts.val, parts.method
    sign_to_index = load_sign_map()
    layout = point_layout(config)
    return TrainingSet(
        train_rows=train_rows,
        train=load_samples(data_dir, train_rows, sign_to_index, layout),
        val=load_samples(data_dir, val_rows, sign_to_index, layout),
        method=method,
    )


def make_featurizer(config):
    """Batched twin of the model's preprocessing: list of [T_i, P, 3] -> (features, masks) arrays.

    Pads to the longest sequence and maps the exact per-sequence TF function over the batch (each
    sequence sliced back to its own length), so training sees what the exported model computes.
    """
    import tensorflow as tf

    preprocess = make_preprocess(config)
    n_points = len(point_layout(config).rows)
    n_parts = 4 if config.use_lips else 3
    signature = (
        tf.TensorSpec([config.n_frames, None], tf.float32),
        tf.TensorSpec([config.n_frames, n_parts], tf.float32),
    )

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, n_points, 3], tf.float32),
            tf.TensorSpec([None], tf.int32),
        ]
    )
    def batch(padded, lengths):
        return tf.map_fn(lambda a: preprocess(a[0][: a[1]]), (padded, lengths), fn_output_signature=signature)

    def featurize(points_list: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        longest = max(len(p) for p in points_list)
        padded = np.full((len(points_list), longest, n_points, 3), np.nan, dtype=np.float32)
        for i, points in enumerate(points_list):
            padded[i, : len(points)] = points
        features, masks = batch(padded, np.array([len(p) for p in points_list], dtype=np.int32))
        return features.numpy(), masks.numpy()

    return featurize


Teach = Callable[[list[np.ndarray]], np.ndarray]  # raw sequences -> teachers' distributions [N, 250]


def teacher_labeller(
    data_dir: Path, data: TrainingSet, teachers: list[Path], options, rng: np.random.Generator
) -> tuple[Teach, list[np.ndarray]]:
    """The teachers as one function, and the raw sequences they label: every training clip, then
    `options.recombined` hand-shape x movement mixes per clip (held-out clips are never among them)."""
    sign_to_index = load_sign_map()
    labels = [s for s, _ in sorted(sign_to_index.items(), key=lambda kv: kv[1])]
    raw_pool = [read_sequence(data_dir / r["path"]) for r in data.train_rows]
    teach = functools.partial(teacher_targets, load_teachers(teachers), labels=labels,
                              temperature=options.distill_temperature, frame_aspect=TRAIN_ASPECT,
                              teacher_aspect=options.teacher_aspect)  # fmt: skip
    if options.recombined:
        n = len(raw_pool)
        pairs = [(a, b) for b in range(n) for a in rng.choice(n, options.recombined)]
        raw_pool = raw_pool + [recombine(raw_pool[a], raw_pool[b]) for a, b in pairs if a != b]
    return teach, raw_pool


def build_variant_pool(
    data: TrainingSet,
    featurize: Callable[[list[np.ndarray]], tuple[np.ndarray, np.ndarray]],
    *,
    config,
    options,
    augment: Augment,
    rng: np.random.Generator,
    teach: Teach | None = None,
    raw_pool: list[np.ndarray] = (),
) -> VariantPool:
    """Augmenting and preprocessing on the fly would cost more CPU than the small model's training
    step, so a pool of `options.variants` augmented copies per clip is built once and epochs draw
    from it. With options.consistent the teachers score each augmented variant itself ("consistent
    teaching": the student is taught what the teacher says about exactly what the student sees);
    otherwise they score each clean clip once."""
    started = time.perf_counter()
    layout = point_layout(config)
    targets = np.eye(config.n_classes, dtype=np.float32)[[s.label for s in data.train]]
    mixes = [Sample(select_points(m, layout), -1, -1) for m in raw_pool[len(data.train) :]]
    pooled = data.train + mixes

    def mix_targets(soft: np.ndarray) -> np.ndarray:
        """Training clips: (1 - w) one-hot + w teachers; mixes (no label of their own): teachers only."""
        clips = (1 - options.distill) * targets + options.distill * soft[: len(targets)]
        return np.concatenate([clips, soft[len(targets) :]])

    clean_targets = mix_targets(teach(raw_pool)) if teach and not options.consistent else targets
    raw_augment = dataclasses.replace(augment, mirror_p=0.0)  # raw faces cannot be mirrored faithfully
    whole = raw_layout()
    features, masks, labels = [], [], []
    for _ in range(options.variants):
        if teach and options.consistent:
            views = [augment_points(r, whole, raw_augment, rng) for r in raw_pool]
            variant_targets = mix_targets(teach(views))
            points = [select_points(v, layout) for v in views]
            points = [mirror_points(p, layout) if rng.random() < augment.mirror_p else p for p in points]
        else:
            points = [augment_points(s.points, layout, augment, rng) for s in pooled]
            variant_targets = clean_targets
        f, m = featurize(points)
        features.append(f)
        masks.append(m)
        labels.append(variant_targets)
    return VariantPool(
        features=np.concatenate(features),
        masks=np.concatenate(masks),
        labels=np.concatenate(labels),
        n_clips=len(pooled),
        variants=options.variants,
        seconds=time.perf_counter() - started,
    )


def batches_per_epoch(pool: VariantPool, options) -> int:
    return math.ceil(pool.n_clips * options.repeats / options.batch_size)


class AugmentedClips(keras.utils.PyDataset):
    """Each epoch: `options.repeats` random pool variants of every clip, shuffled, with optional
    in-batch mixup of features and targets."""

    def __init__(self, pool: VariantPool, options, rng: np.random.Generator):
        super().__init__(workers=1, use_multiprocessing=False)
        self.pool = pool
        self.options = options
        self.rng = rng
        self.on_epoch_end()

    def __len__(self):
        return batches_per_epoch(self.pool, self.options)

    def __getitem__(self, i):
        size = self.options.batch_size
        picked = self.order[i * size : (i + 1) * size]
        labels = self.pool.labels[picked]
        features, masks = self.pool.features[picked], self.pool.masks[picked]
        if self.options.mixup:
            lam = self.rng.beta(self.options.mixup, self.options.mixup, size=(len(picked), 1))
            lam = np.maximum(lam, 1 - lam)  # the first clip stays the main one
            other = self.rng.permutation(len(picked))
            features = lam[:, :, None] * features + (1 - lam[:, :, None]) * features[other]
            masks = lam[:, :, None] * masks + (1 - lam[:, :, None]) * masks[other]
            labels = lam * labels + (1 - lam) * labels[other]
        return (features.astype(np.float32), masks.astype(np.float32)), labels

    def on_epoch_end(self):
        clip = np.tile(np.arange(self.pool.n_clips), self.options.repeats)
        variant = self.rng.integers(0, self.pool.variants, size=clip.shape)
        self.order = variant * self.pool.n_clips + clip
        self.rng.shuffle(self.order)
