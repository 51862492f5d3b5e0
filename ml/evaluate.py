"""Score models (ours, the reference TFLite models, the 1-NN DTW baseline) on the same sequences.

    python -m ml evaluate --model ml/models --model ../shared/models/gislr-prabhanjan \
        --baseline knn-dtw --videos ../shared/islr/videos --subset heldout

`--subset heldout` scores only what `ml.dataset_build.split_dataset` holds out (other signers, or
without signer ids the other clips of signs that have several); the DTW baseline then uses the
training part as its references, so nothing it is scored on is one of its references.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ml.conditions import CONDITIONS, LANDMARK_CONDITIONS, RECORDED
from ml.configuration import configuration_ensemble, read_configuration
from ml.dataset_build import (
    build_dataset,
    clip_row,
    list_clips,
    load_sign_map,
    read_rows,
    split_dataset,
)
from ml.ensemble import Ensemble, MirrorAveraged
from ml.inference import MODEL_FILENAME, EmptyLandmarksError, SignClassifier, default_model_dir
from ml.islr_io import read_sequence
from ml.robustness import condition_cache, sample_clips
from ml.video import VideoError, probe_video

BASELINES = ("knn-dtw",)
SUBSETS = ("heldout", "train", "all")


@dataclass
class EvalResult:
    model: str
    n: int
    top1: float
    top5: float
    top10: float
    subset: str
    per_sign: dict[str, dict] = field(default_factory=dict)  # sign -> {"n", "top1", "top10"}
    confused: list[dict] = field(default_factory=list)  # [{"sign", "predicted", "count"}], most first
    latency_ms: dict[str, float] = field(default_factory=dict)  # p50 / p95 per sequence
    ranks: list[int | None] = field(default_factory=list, repr=False)  # 1-based rank of the true sign
    n_empty: int = 0  # sequences with nothing detected: a miss, as grading fails them (no_person)

    def summary(self) -> dict:
        return {"model": self.model, "subset": self.subset, "n": self.n, "top1": self.top1, "top5": self.top5,
                "top10": self.top10, "n_empty": self.n_empty}  # fmt: skip


@dataclass
class Example:
    data: np.ndarray  # [T, 543, 3]
    label: int
    sign: str
    sequence_id: int
    frame_aspect: float | None = None  # width / height of the source video, when known


@dataclass(frozen=True)
class ModelArg:
    """A model to score, and the shape of the video it learnt from (None: show it clips as extracted)."""

    path: Path
    input_aspect: float | None = None


def model_arg(text: str) -> ModelArg:
    """`DIR[@ASPECT]`, e.g. `../shared/models/gislr-prabhanjan@0.5625` (Kaggle phone video, 9:16)."""
    path, _, aspect = str(text).rpartition("@")
    if not path or "/" in aspect:  # no "@", or one inside a folder name
        return ModelArg(Path(text))
    try:
        value = float(aspect)
    except ValueError:
        raise ValueError(
            f"{text!r}: the part after @ must be the model's video aspect, e.g. 0.5625"
        ) from None
    if value <= 0:
        raise ValueError(f"{text!r}: the aspect must be positive")
    return ModelArg(Path(path), value)


def score(predictor, examples: list[Example], *, name: str, subset: str) -> EvalResult:
    """Rank of the true sign for each example under `predictor.probabilities`, and summaries.

    A sequence with nothing detected has no rank (None): it counts as a miss at every k, as grading
    fails such a clip (`no_person`), and `n_empty` says how many there were.
    """
    ranks: list[int | None] = []
    times = []
    per_sign: dict[str, list[int | None]] = defaultdict(list)
    confused: Counter = Counter()
    n_empty = 0
    for ex in examples:
        started = time.perf_counter()
        try:
            probs = predictor.probabilities(ex.data, frame_aspect=ex.frame_aspect)
        except EmptyLandmarksError:
            n_empty += 1
            ranks.append(None)
            per_sign[ex.sign].append(None)
            continue
        times.append((time.perf_counter() - started) * 1000)
        order = np.argsort(-probs, kind="stable")
        rank = int(np.flatnonzero(order == ex.label)[0]) + 1
        ranks.append(rank)
        per_sign[ex.sign].append(rank)
        if rank != 1:
            confused[(ex.sign, predictor.labels[int(order[0])])] += 1
    n = len(examples)

    def within(k, values):
        return float(np.mean([r is not None and r <= k for r in values])) if values else 0.0

    return EvalResult(
        model=name,
        n=n,
        top1=within(1, ranks),
        top5=within(5, ranks),
        top10=within(10, ranks),
        subset=subset,
        per_sign={
            s: {"n": len(r), "top1": within(1, r), "top10": within(10, r)}
            for s, r in sorted(per_sign.items())
        },
        confused=[{"sign": a, "predicted": b, "count": c} for (a, b), c in confused.most_common(10)],
        latency_ms={"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95))}
        if times
        else {},
        ranks=ranks,
        n_empty=n_empty,
    )


def load_examples(root: Path, rows: list[dict], sign_to_index: dict[str, int]) -> list[Example]:
    return [
        Example(
            read_sequence(root / r["path"]),
            sign_to_index[r["sign"]],
            r["sign"],
            r["sequence_id"],
            r.get("frame_aspect"),
        )
        for r in rows
    ]


def select_rows(rows: list[dict], subset: str, *, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """(rows to score, reference rows for the baseline) for a subset."""
    if subset == "all":
        return rows, rows
    split = split_dataset(rows, seed=seed)
    return (split.val, split.train) if subset == "heldout" else (split.train, split.train)


def load_predictor(path: Path | ModelArg) -> tuple[SignClassifier, str]:
    spec = path if isinstance(path, ModelArg) else ModelArg(Path(path))
    model_path = spec.path / MODEL_FILENAME if spec.path.is_dir() else spec.path
    classifier = SignClassifier(model_path, input_aspect=spec.input_aspect)
    name = f"{classifier.info.name} {classifier.info.version}"
    return classifier, f"{name} @{spec.input_aspect:g}" if spec.input_aspect else name


def load_predictors(
    *,
    models: list[Path | ModelArg] = (),
    ensembles: list[list[Path | ModelArg]] = (),
    shipped: Path | None = None,
    labels: list[str] | None = None,
    mirror_tta: bool = False,
) -> list[tuple[str, object]]:
    """(name, predictor) for every model, ensemble and the shipped configuration, in that order.

    An ensemble averages its members' probabilities with equal weights, as the registry's "mean"
    activation of several models does. `shipped` (a model folder) adds each member of its
    configuration (ml.configuration) and then the configuration itself, last. `mirror_tta` adds, after
    each, the same predictor with test-time mirroring (ml.ensemble.MirrorAveraged).
    """
    labels = labels or _labels()
    named: list[tuple[str, object]] = [load_predictor(path)[::-1] for path in models]
    for members in ensembles:
        loaded = [load_predictor(path) for path in members]
        ensemble = Ensemble(labels=labels, members=[(classifier, 1.0) for classifier, _ in loaded])
        named.append(("ensemble(" + " + ".join(name for _, name in loaded) + ")", ensemble))
    if shipped is not None:
        configuration = read_configuration(shipped)
        ensemble = configuration_ensemble(configuration)
        for member, (classifier, _) in zip(configuration.members, ensemble.members, strict=True):
            name = f"{classifier.info.name} {classifier.info.version}"
            name += f" @{member.input_aspect:g}" if member.input_aspect else ""
            named.append((name + (" +mirror" if member.test_time_mirror else ""), classifier))
        named.append((f"configuration {configuration.title}", ensemble))
    if mirror_tta:
        named = [pair for name, p in named for pair in ((name, p), (f"{name} +mirror", MirrorAveraged(p)))]
    return named


def _labels() -> list[str]:
    sign_to_index = load_sign_map()
    return [s for s, _ in sorted(sign_to_index.items(), key=lambda kv: kv[1])]


def evaluate(
    *,
    models: list[Path | ModelArg] = (),
    data_dir: Path,
    subset: str = "heldout",
    baselines: tuple[str, ...] = (),
    seed: int = 0,
    all_rows: list[dict] | None = None,
    ensembles: list[list[Path | ModelArg]] = (),
    predictors: list[tuple[str, object]] | None = None,
) -> list[EvalResult]:
    """Evaluate every model, ensemble (see load_predictors) or given (name, predictor) and baseline on
    the same examples; results in that order.

    The split is made over `all_rows` (default: data_dir's train.csv); only the sequences it needs
    are read, so a clip folder only needs those extracted. A row's `frame_aspect` (clips: read from the
    video) lets a model with an input aspect see the clip as a crop of its own video's shape.
    """
    sign_to_index = load_sign_map()
    labels = _labels()
    rows, reference_rows = select_rows(all_rows or read_rows(data_dir), subset, seed=seed)
    examples = load_examples(data_dir, rows, sign_to_index)
    if predictors is None:
        predictors = load_predictors(models=models, ensembles=ensembles, labels=labels)
    results = [score(predictor, examples, name=name, subset=subset) for name, predictor in predictors]
    for baseline in baselines:
        if baseline != "knn-dtw":
            raise ValueError(f"unknown baseline {baseline!r}")
        if subset == "all":
            raise ValueError("the DTW baseline needs held-out references: use --subset heldout")
        from ml.baseline import KnnDtw

        references = [(ex.data, ex.label) for ex in load_examples(data_dir, reference_rows, sign_to_index)]
        knn = KnnDtw(references, labels)
        results.append(score(knn, examples, name=f"knn-dtw ({len(references)} refs)", subset=subset))
    return results


def format_table(results: list[EvalResult]) -> str:
    """One row per model; an `empty` column (sequences with nothing detected, each a miss) when any."""
    width = max(len(r.model) for r in results)
    empty = any(r.n_empty for r in results)
    head = f"{'model':<{width}}  {'n':>4}  {'top1':>6}  {'top5':>6}  {'top10':>6}  {'p95 ms':>7}"
    lines = [head + ("  empty" if empty else "")]
    for r in results:
        p95 = r.latency_ms.get("p95", float("nan"))
        line = f"{r.model:<{width}}  {r.n:>4}  {r.top1:>6.3f}  {r.top5:>6.3f}  {r.top10:>6.3f}  {p95:>7.1f}"
        lines.append(line + (f"  {r.n_empty:>5}" if empty else ""))
    return "\n".join(lines)


def format_details(result: EvalResult) -> str:
    lines = [f"{result.model}: per-sign top-1 / top-10 (n)"]
    for sign, stats in result.per_sign.items():
        lines.append(f"  {sign:<14} {stats['top1']:.2f} / {stats['top10']:.2f} ({stats['n']})")
    if result.confused:
        lines.append("  most confused (true -> predicted: count): " + ", ".join(
            f"{c['sign']}->{c['predicted']}: {c['count']}" for c in result.confused[:5]))  # fmt: skip
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("--model", type=_model_arg_type, action="append", default=[],
                        help="a model folder (model.tflite + label map) or .tflite file, repeatable; "
                        "DIR@ASPECT shows --videos clips to it as a crop of its own video's shape "
                        "(width / height, e.g. @0.5625 for the Kaggle ISLR models' phone video)")  # fmt: skip
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="Kaggle-layout dataset (train.csv + train_landmark_files/)")
    source.add_argument(
        "--videos", type=Path, help="folder of <index>_<sign>_<n>.mp4 clips (extracted, cached)"
    )
    parser.add_argument("--cache", type=Path, default=None,
                        help="where --videos landmarks are cached (default var/datasets/<folder>; "
                        "the shared clips use var/datasets/islr-videos)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="--videos extraction processes (default 1)")
    parser.add_argument("--fps", type=float, default=None,
                        help="--videos: sample frames at this rate, as the grading worker does (15); "
                        "default every frame, as the Kaggle data and training")  # fmt: skip
    parser.add_argument("--subset", choices=SUBSETS, default="heldout",
                        help="heldout (default): only held-out clips/signers; all: every sequence")  # fmt: skip
    parser.add_argument("--ensemble", type=_ensemble_arg_type, action="append", default=[],
                        help="DIR[@ASPECT],DIR[@ASPECT],...: score the mean of these models' probabilities "
                        "(as the registry's ensemble activation); repeatable")  # fmt: skip
    parser.add_argument("--shipped", type=Path, nargs="?", const=default_model_dir(), default=None,
                        help="score the shipped configuration (default ml/models or SIGNLEARN_MODEL_DIR): "
                        "one JSON line per member, then the configuration's line last")  # fmt: skip
    parser.add_argument("--mirror-tta", action="store_true",
                        help="also score each model with test-time mirroring (mean with the mirrored sequence)")  # fmt: skip
    parser.add_argument("--sample", type=int, default=None,
                        help="--videos: score only N clips (seeded by --seed, one per sign), all of them")  # fmt: skip
    parser.add_argument("--conditions", default=None,
                        help="'all' or e.g. 'mirrored,dim': score every model under these capture conditions "
                        f"(clips: {', '.join(CONDITIONS)}; --data sequences: {', '.join(LANDMARK_CONDITIONS)})"
                        "; one table model x condition, JSON to --out (default var/bench/recognition.json)")  # fmt: skip
    parser.add_argument("--baseline", choices=BASELINES, action="append", default=[])
    parser.add_argument("--seed", type=int, default=0, help="split seed (as in training)")
    parser.add_argument("--details", action="store_true", help="per-sign accuracy and confusions")
    parser.add_argument("--out", type=Path, default=None, help="write the full results as JSON here")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON line per model, the first model last"
    )


def _model_arg_type(text: str) -> ModelArg:
    try:
        return model_arg(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _ensemble_arg_type(text: str) -> list[ModelArg]:
    members = [_model_arg_type(part) for part in text.split(",") if part.strip()]
    if len(members) < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: an ensemble needs at least two comma-separated models")
    return members


def run(args) -> int:
    started = time.perf_counter()
    if not args.model and not args.ensemble and not args.baseline and args.shipped is None:
        print("error: give at least one --model, --ensemble, --shipped or --baseline")
        return 2
    predictors = load_predictors(
        models=args.model, ensembles=args.ensemble, shipped=args.shipped, mirror_tta=args.mirror_tta
    )
    if args.conditions:
        from ml.robustness import run_conditions

        return run_conditions(args, predictors)
    subset = "all" if args.sample else args.subset
    data_dir, all_rows = args.data, None
    if args.videos is not None:
        # Split on the clip names first, then extract (or reuse) only the clips the split needs.
        clips = sample_clips(list_clips(args.videos, load_sign_map()), args.sample, seed=args.seed)
        all_rows = [clip_row(c) for c in clips]
        scored, references = select_rows(all_rows, subset, seed=args.seed)
        needed = {r["sequence_id"] for r in scored + (references if args.baseline else [])}
        built = build_dataset(
            clips_dir=args.videos,
            out_dir=args.cache or _default_cache(args.videos, args.fps),
            sign_to_index=load_sign_map(),
            only={c.path.name for c in clips if c.sequence_id in needed},
            workers=args.workers,
            fps=args.fps,
            progress=not (args.json or args.shipped),
        )
        data_dir = built.root
        # Only models given a video shape need the clips' own; the baseline's references never do.
        shown = {r["sequence_id"] for r in scored}
        aspects = {c.sequence_id: _frame_aspect(c.path) for c in clips if c.sequence_id in shown}
        for row in all_rows:
            row["frame_aspect"] = aspects.get(row["sequence_id"])
        if built.n_failed:
            print(f"warning: {built.n_failed} clips could not be read and are left out")
            present = {r["sequence_id"] for r in read_rows(data_dir)}
            all_rows = [r for r in all_rows if r["sequence_id"] in present or r["sequence_id"] not in needed]
    if args.data is not None and any(m.input_aspect for m in args.model + sum(args.ensemble, [])):
        print("note: --data has no video sizes, so models with @ASPECT see landmarks as extracted")
    results = evaluate(
        data_dir=data_dir,
        subset=subset,
        baselines=tuple(args.baseline),
        seed=args.seed,
        all_rows=all_rows,
        predictors=predictors,
    )
    seconds = time.perf_counter() - started
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"data": str(data_dir), "subset": subset, "seconds": seconds,
                   "results": [{**asdict(r), "ranks": r.ranks} for r in results]}  # fmt: skip
        args.out.write_text(json.dumps(payload, indent=1))
    if args.json or args.shipped is not None:
        for result in json_order(results, shipped=args.shipped is not None):
            print(json.dumps(result.summary()))
        return 0
    print(f"{subset} sequences of {data_dir} ({seconds:.1f} s)")
    print(format_table(results))
    if args.details:
        for result in results:
            print(format_details(result))
    return 0


def json_order(results: list, *, shipped: bool) -> list:
    """The order of --json lines: the shipped configuration's line last when it is scored, otherwise
    the first --model (or the baseline) last."""
    if shipped:
        last = [r for r in results if r.model.startswith("configuration ")][-1:]
        return [r for r in results if r not in last] + last
    return results[1:] + results[:1]


def _frame_aspect(path: Path) -> float | None:
    """Width / height of a clip as displayed (header and first frame only); None if unreadable."""
    try:
        info = probe_video(path, min_seconds=0.0, max_seconds=3600.0)
    except VideoError:
        return None
    return info.width / info.height


def _default_cache(videos: Path, fps: float | None = None) -> Path:
    return condition_cache(videos, fps, RECORDED)
