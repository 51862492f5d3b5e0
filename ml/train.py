"""Train the seed model on a Kaggle-layout dataset (TensorFlow; run in .venv-train).

    python -m ml train --data var/datasets/islr-videos --split clip --run-dir var/runs/NAME

A run directory gets: config.json, train.json (options, split, data), checkpoints/, model.keras,
history.csv, metrics.json, and plots (curves.png, part_weights.png).
Augmentation works on raw selected points in numpy (see ml.model), so the TF preprocessing that the
exported model contains is exactly the one used in training.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.dataset_build import default_dataset_dir, load_sign_map, read_rows, split_dataset
from ml.islr_io import read_sequence
from ml.layout import crop_to_aspect

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


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    mixup: float = 0.0  # Beta(a, a) mixup of features and labels within a batch; 0 = off
    warmup_epochs: int = 10
    repeats: int = 4  # augmented copies of each clip per epoch
    variants: int = 32  # augmented copies of each clip precomputed (the pool epochs draw from)
    patience: int = 60
    monitor: str = "loss"  # early stopping on training loss: validation clips must not pick the model
    seed: int = 0
    distill: float = 0.0  # weight of the teachers' distribution in each training clip's target; 0 = off
    distill_temperature: float = 2.0  # > 1 spreads the teachers' mass over more candidate signs
    recombined: int = 0  # with teachers: this many hand-shape x movement mixes of training clips per clip
    consistent: bool = False  # with teachers: they score every augmented variant, not only the clean clip
    teacher_aspect: float = 1.0  # width / height of the teachers' training video (Kaggle phones: 9/16)


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


@dataclass
class Sample:
    points: np.ndarray  # [T, P, 3]
    label: int
    sequence_id: int


def load_samples(root: Path, rows: list[dict], sign_to_index: dict[str, int], layout) -> list[Sample]:
    from ml.model import select_points

    return [
        Sample(
            select_points(read_sequence(root / r["path"]), layout), sign_to_index[r["sign"]], r["sequence_id"]
        )
        for r in rows
    ]


def make_featurizer(config):
    """Batched twin of the model's preprocessing: list of [T_i, P, 3] -> (features, masks) arrays.

    Pads to the longest sequence and maps the exact per-sequence TF function over the batch (each
    sequence sliced back to its own length), so training sees what the exported model computes.
    """
    import tensorflow as tf

    from ml.model import make_preprocess, point_layout

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


def train(
    *,
    data_dir: Path,
    run_dir: Path,
    split: str,
    config=None,
    options: TrainOptions | None = None,
    augment: Augment | None = None,
    teachers: list[Path] = (),
    verbose: int = 1,
) -> dict:
    """Train one model; returns the metrics dict also written to run_dir/metrics.json.

    split="clip" (or "signer", automatically, for multi-signer data) holds out what
    ml.dataset_build.split_dataset holds out; split="all" trains on every sequence.
    With `teachers` and options.distill > 0 each training clip's target mixes its one-hot label
    with the teachers' distribution on that clip (knowledge distillation).
    """
    import keras

    from ml.model import (
        ModelConfig,
        build_classifier,
        mirror_points,
        point_layout,
        raw_layout,
        save_config,
        select_points,
    )

    config = config or ModelConfig()
    options = options or TrainOptions()
    augment = augment or Augment()
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)

    sign_to_index = load_sign_map()
    rows = read_rows(data_dir)
    if split == "all":
        train_rows, val_rows, method = rows, [], "none (all sequences)"
    else:
        parts = split_dataset(rows, seed=options.seed)
        train_rows, val_rows, method = parts.train, parts.val, parts.method
    layout = point_layout(config)
    train_samples = load_samples(data_dir, train_rows, sign_to_index, layout)
    val_samples = load_samples(data_dir, val_rows, sign_to_index, layout)

    featurize = make_featurizer(config)
    n_classes = config.n_classes
    targets = np.eye(n_classes, dtype=np.float32)[[s.label for s in train_samples]]
    pooled = list(train_samples)  # what epochs draw from: the training clips, then any mixes
    raw_pool, teach = [], None
    if teachers and options.distill:
        labels = [s for s, _ in sorted(sign_to_index.items(), key=lambda kv: kv[1])]
        raw_pool = [read_sequence(data_dir / r["path"]) for r in train_rows]
        teach = functools.partial(teacher_targets, load_teachers(teachers), labels=labels,
                                  temperature=options.distill_temperature, frame_aspect=TRAIN_ASPECT,
                                  teacher_aspect=options.teacher_aspect)  # fmt: skip
        if options.recombined:
            n = len(raw_pool)
            pairs = [(a, b) for b in range(n) for a in rng.choice(n, options.recombined)]
            mixes = [recombine(raw_pool[a], raw_pool[b]) for a, b in pairs if a != b]
            raw_pool = raw_pool + mixes
            pooled = pooled + [Sample(select_points(m, layout), -1, -1) for m in mixes]

    def mix_targets(soft: np.ndarray) -> np.ndarray:
        """Training clips: (1 - w) one-hot + w teachers; mixes (no label of their own): teachers only."""
        clips = (1 - options.distill) * targets + options.distill * soft[: len(targets)]
        return np.concatenate([clips, soft[len(targets) :]])

    clean_targets = mix_targets(teach(raw_pool)) if teach and not options.consistent else targets
    # Augmenting and preprocessing on the fly would cost more CPU than the small model's training
    # step, so a pool of `variants` augmented copies per clip is built once and epochs draw from it.
    # With options.consistent the teachers score each augmented variant itself ("consistent teaching":
    # the student is taught what the teacher says about exactly what the student sees).
    started = time.perf_counter()
    pool_features, pool_masks, pool_labels = [], [], []
    raw_augment = dataclasses.replace(augment, mirror_p=0.0)  # raw faces cannot be mirrored faithfully
    whole = raw_layout()
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
        pool_features.append(f)
        pool_masks.append(m)
        pool_labels.append(variant_targets)
    pool_features = np.concatenate(pool_features)
    pool_masks = np.concatenate(pool_masks)
    pool_labels = np.concatenate(pool_labels)
    pool_seconds = time.perf_counter() - started

    class AugmentedClips(keras.utils.PyDataset):
        """Each epoch: `repeats` random pool variants of every training clip, shuffled."""

        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.n_clips = len(pooled)
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(self.n_clips * options.repeats / options.batch_size)

        def __getitem__(self, i):
            picked = self.order[i * options.batch_size : (i + 1) * options.batch_size]
            labels = pool_labels[picked]
            features, masks = pool_features[picked], pool_masks[picked]
            if options.mixup:
                lam = rng.beta(options.mixup, options.mixup, size=(len(picked), 1))
                lam = np.maximum(lam, 1 - lam)  # the first clip stays the main one
                other = rng.permutation(len(picked))
                features = lam[:, :, None] * features + (1 - lam[:, :, None]) * features[other]
                masks = lam[:, :, None] * masks + (1 - lam[:, :, None]) * masks[other]
                labels = lam * labels + (1 - lam) * labels[other]
            return (features.astype(np.float32), masks.astype(np.float32)), labels

        def on_epoch_end(self):
            clip = np.tile(np.arange(self.n_clips), options.repeats)
            variant = rng.integers(0, options.variants, size=clip.shape)
            self.order = variant * self.n_clips + clip
            rng.shuffle(self.order)

    model = build_classifier(config)
    steps = len(AugmentedClips()) * options.epochs
    warmup = min(len(AugmentedClips()) * options.warmup_epochs, steps // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup, warmup_target=options.learning_rate, warmup_steps=warmup, alpha=0.02
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=options.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=options.label_smoothing),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="top1"),
            keras.metrics.TopKCategoricalAccuracy(5, name="top5"),
            keras.metrics.TopKCategoricalAccuracy(10, name="top10"),
        ],
    )
    save_config(config, run_dir)
    meta = {
        "data": str(data_dir),
        "split": method,
        "n_train": len(train_samples),
        "n_recombined": len(pooled) - len(train_samples),
        "n_val": len(val_samples),
        "train_sequence_ids": [s.sequence_id for s in train_samples],
        "val_sequence_ids": [s.sequence_id for s in val_samples],
        "options": dataclasses.asdict(options),
        "augment": dataclasses.asdict(augment),
        "teachers": [str(t) for t in teachers] if options.distill else [],
        "params": int(model.count_params()),
        "pool_seconds": round(pool_seconds, 1),
    }
    (run_dir / "train.json").write_text(json.dumps(meta, indent=1))

    validation = None
    if val_samples:
        vf, vm = featurize([s.points for s in val_samples])
        validation = ((vf, vm), keras.utils.to_categorical([s.label for s in val_samples], n_classes))
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            run_dir / "checkpoints" / "best.weights.h5",
            monitor=options.monitor,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.EarlyStopping(
            monitor=options.monitor, patience=options.patience, restore_best_weights=True
        ),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
    ]
    started = time.perf_counter()
    history = model.fit(
        AugmentedClips(),
        validation_data=validation,
        epochs=options.epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - started
    model.save(run_dir / "model.keras")

    from ml.model import part_weights

    metrics = {
        "epochs_run": len(history.history["loss"]),
        "train_seconds": round(seconds, 1),
        "part_weights": part_weights(model),
        "params": int(model.count_params()),
    }
    if validation is not None:
        values = model.evaluate(*validation, verbose=0, return_dict=True)
        metrics["val"] = {k: float(values[k]) for k in ("top1", "top5", "top10", "loss")}
        metrics["val"]["n"] = len(val_samples)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    plot_history(history.history, run_dir / "curves.png")
    plot_part_weights(metrics["part_weights"], run_dir / "part_weights.png")
    return metrics


def plot_history(history: dict, path: Path) -> None:
    """Loss and accuracy per epoch (training on augmented clips; validation on held-out clips)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax_loss.plot(epochs, history["loss"], label="train (augmented)")
    if "val_loss" in history:
        ax_loss.plot(epochs, history["val_loss"], label="held-out clips")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    for key, style in (("top1", "-"), ("top10", "--")):
        ax_acc.plot(epochs, history[key], style, color="C0", label=f"train {key}")
        if f"val_{key}" in history:
            ax_acc.plot(epochs, history[f"val_{key}"], style, color="C1", label=f"held-out {key}")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1))
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_part_weights(weights: dict[str, float], path: Path) -> None:
    """The learned fusion weights: how much each body part contributes to the sign embedding."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.bar(list(weights), list(weights.values()), color="C2")
    for i, w in enumerate(weights.values()):
        ax.text(i, w, f"{w:.2f}", ha="center", va="bottom")
    ax.set(
        ylabel="softmax weight", title="learned part-embedding weights", ylim=(0, max(weights.values()) * 1.2)
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def default_run_dir(name: str) -> Path:
    return Path(__file__).resolve().parent.parent / "var" / "runs" / name


def add_arguments(parser) -> None:
    # Model defaults come from ModelConfig in run(): ml.model imports TensorFlow, parsing must not.
    defaults = TrainOptions()
    parser.add_argument("--data", type=Path, default=default_dataset_dir(), help="Kaggle-layout dataset dir")
    parser.add_argument("--split", choices=("holdout", "all"), default="holdout",
                        help="holdout: by signer, or by clip without signer ids; all: train on everything")  # fmt: skip
    parser.add_argument("--run-dir", type=Path, default=None, help="default: var/runs/<timestamp>")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--repeats", type=int, default=defaults.repeats)
    parser.add_argument("--variants", type=int, default=defaults.variants)
    parser.add_argument("--patience", type=int, default=defaults.patience)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--dim", type=int, default=None, help="embedding width (default 128)")
    parser.add_argument("--blocks", type=int, default=None, help="Transformer blocks (default 2)")
    parser.add_argument("--frames", type=int, default=None, help="resampled length (default 32)")
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--lips", action="store_true", help="add a lips part")
    parser.add_argument("--no-flip-dominant", action="store_true")
    parser.add_argument("--no-aspect-from-face", action="store_true")
    parser.add_argument("--no-augment", action="store_true")
    parser.add_argument("--mixup", type=float, default=defaults.mixup, help="Beta(a, a) mixup; 0 = off")
    parser.add_argument("--clip-part-drop", type=float, default=0.0, help="p of removing one part per clip")
    parser.add_argument("--teacher", type=Path, action="append", default=[],
                        help="Kaggle-contract TFLite model (folder or file) to distil from; repeatable")  # fmt: skip
    parser.add_argument("--distill", type=float, default=defaults.distill,
                        help="weight of the teachers' distribution in the targets (0 = off)")  # fmt: skip
    parser.add_argument("--distill-temperature", type=float, default=defaults.distill_temperature)
    parser.add_argument("--recombined", type=int, default=defaults.recombined,
                        help="with --teacher: hand-shape x movement mixes per training clip, teacher-labelled")  # fmt: skip
    parser.add_argument("--teacher-aspect", type=float, default=defaults.teacher_aspect,
                        help="width/height of the teachers' training video (default 1: square; Kaggle phones 0.5625)")  # fmt: skip
    parser.add_argument("--consistent", action="store_true",
                        help="with --teacher: teachers score every augmented variant, not only the clean clip")  # fmt: skip
    parser.add_argument("--quiet", action="store_true")


def run(args) -> int:
    from ml.model import ModelConfig

    chosen = {"n_frames": args.frames, "dim": args.dim, "n_blocks": args.blocks, "dropout": args.dropout}
    config = ModelConfig(
        **{k: v for k, v in chosen.items() if v is not None},
        use_lips=args.lips,
        flip_dominant=not args.no_flip_dominant,
        aspect_from_face=not args.no_aspect_from_face,
    )
    options = TrainOptions(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        repeats=args.repeats,
        variants=args.variants,
        mixup=args.mixup,
        patience=args.patience,
        seed=args.seed,
        distill=args.distill if args.teacher else 0.0,
        distill_temperature=args.distill_temperature,
        recombined=args.recombined,
        consistent=args.consistent,
        teacher_aspect=args.teacher_aspect,
    )
    if args.no_augment:
        augment = Augment(**{f.name: 0.0 for f in dataclasses.fields(Augment)})
    else:
        augment = Augment(clip_part_drop_p=args.clip_part_drop)
    run_dir = args.run_dir or default_run_dir(time.strftime("%Y%m%d-%H%M%S"))
    metrics = train(
        data_dir=args.data,
        run_dir=run_dir,
        split=args.split,
        config=config,
        options=options,
        augment=augment,
        teachers=args.teacher,
        verbose=0 if args.quiet else 1,
    )
    val = metrics.get("val")
    summary = f"{run_dir}: {metrics['epochs_run']} epochs in {metrics['train_seconds']:.0f} s"
    if val:
        summary += (
            f"; held-out n={val['n']} top1 {val['top1']:.3f} top5 {val['top5']:.3f} top10 {val['top10']:.3f}"
        )
    print(summary)
    return 0
