"""Train the seed model on a Kaggle-layout dataset (TensorFlow; run in .venv-train).

    python -m ml train --data var/datasets/islr-videos --split clip --run-dir var/runs/NAME

A run directory gets: config.json, train.json (options, split, data), checkpoints/, model.keras,
history.csv, metrics.json, and plots (curves.png, part_weights.png).

`train` runs the steps in order: load the split and build the variant pool (ml.train_data, with
teachers' targets from ml.distill and augmentation from ml.augment), compile, fit, record.
Augmentation works on raw selected points in numpy (see ml.model), so the TF preprocessing that the
exported model contains is exactly the one used in training.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.augment import Augment
from ml.dataset_build import default_dataset_dir


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

    from ml import train_data
    from ml.model import ModelConfig, save_config

    config = config or ModelConfig()
    options = options or TrainOptions()
    augment = augment or Augment()
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)

    data = train_data.load_training_set(data_dir, split=split, seed=options.seed, config=config)
    featurize = train_data.make_featurizer(config)
    teach, raw_pool = None, []
    if teachers and options.distill:
        teach, raw_pool = train_data.teacher_labeller(data_dir, data, teachers, options, rng)
    pool = train_data.build_variant_pool(
        data,
        featurize,
        config=config,
        options=options,
        augment=augment,
        rng=rng,
        teach=teach,
        raw_pool=raw_pool,
    )
    model = compile_model(config, options, steps_per_epoch=train_data.batches_per_epoch(pool, options))
    save_config(config, run_dir)
    record_setup(run_dir, data_dir=data_dir, data=data, pool=pool, model=model, options=options,
                 augment=augment, teachers=teachers)  # fmt: skip
    validation = None
    if data.val:
        vf, vm = featurize([s.points for s in data.val])
        validation = ((vf, vm), keras.utils.to_categorical([s.label for s in data.val], config.n_classes))
    batches = train_data.AugmentedClips(pool, options, rng)
    history, seconds = fit_model(
        model, batches, validation, run_dir=run_dir, options=options, verbose=verbose
    )
    return record_results(model, history, validation, run_dir=run_dir, seconds=seconds)


def compile_model(config, options: TrainOptions, *, steps_per_epoch: int):
    """The classifier with AdamW on a warmup + cosine schedule, soft-target cross-entropy, top-k metrics."""
    import keras

    from ml.model import build_classifier

    model = build_classifier(config)
    steps = steps_per_epoch * options.epochs
    warmup = min(steps_per_epoch * options.warmup_epochs, steps // 2)
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
    return model


def record_setup(run_dir: Path, *, data_dir: Path, data, pool, model, options: TrainOptions,
                 augment: Augment, teachers: list[Path]) -> None:  # fmt: skip
    """train.json: what the run learnt from (the split's sequence ids, options, teachers), before fitting."""
    meta = {
        "data": str(data_dir),
        "split": data.method,
        "n_train": len(data.train),
        "n_recombined": pool.n_clips - len(data.train),
        "n_val": len(data.val),
        "train_sequence_ids": [s.sequence_id for s in data.train],
        "val_sequence_ids": [s.sequence_id for s in data.val],
        "options": dataclasses.asdict(options),
        "augment": dataclasses.asdict(augment),
        "teachers": [str(t) for t in teachers] if options.distill else [],
        "params": int(model.count_params()),
        "pool_seconds": round(pool.seconds, 1),
    }
    (run_dir / "train.json").write_text(json.dumps(meta, indent=1))


def fit_model(model, batches, validation, *, run_dir: Path, options: TrainOptions, verbose: int):
    """Fit with the best weights (by training loss) checkpointed and restored; returns (history, seconds)."""
    import keras

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
        batches, validation_data=validation, epochs=options.epochs, callbacks=callbacks, verbose=verbose
    )
    seconds = time.perf_counter() - started
    model.save(run_dir / "model.keras")
    return history, seconds


def record_results(model, history, validation, *, run_dir: Path, seconds: float) -> dict:
    """metrics.json (epochs, time, part weights, held-out top-k) and the plots; returns the metrics."""
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
        metrics["val"]["n"] = len(validation[1])
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
                        help="model (folder or file; DIR@ASPECT: its own video's width/height) to distil from, fed "
                             "by its adapter (e.g. sentisign-66); repeatable: the teachers are averaged")  # fmt: skip
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
