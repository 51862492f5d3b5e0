"""The capture-conditions benchmark: every model on the same clips as recorded, mirrored, portrait, ...

    python -m ml evaluate --videos ../shared/islr/videos --fps 15 --sample 50 --conditions all \
        --model ml/models --model ../shared/models/gislr-prabhanjan@0.5625 --out var/bench/recognition.json

Clips get every condition of `ml.conditions` (derived while decoding, extracted once per condition and
cached under var/datasets/<folder>-<fps>fps-<condition>); Kaggle-layout sequences (`--data`) get the
landmark-level ones (as recorded, mirrored with hands swapped). One table: model x condition, top-1 /
top-10, and the worst condition's top-10 drop from "as recorded".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ml.conditions import CONDITIONS, LANDMARK_CONDITIONS, MIRRORED, RECORDED, condition_aspect
from ml.dataset_build import Clip, build_dataset, clip_row, default_dataset_dir, islr_dir, read_rows


def sample_clips(clips: list[Clip], n: int | None, *, seed: int = 0) -> list[Clip]:
    """`n` clips picked at random (seeded), at most one per sign while signs last; all when n is None."""
    if n is None or n >= len(clips):
        return list(clips)
    rng = random.Random(seed)
    by_sign: dict[str, list[Clip]] = {}
    for clip in clips:
        by_sign.setdefault(clip.sign, []).append(clip)
    signs = sorted(by_sign)
    rng.shuffle(signs)
    picked = [rng.choice(by_sign[s]) for s in signs[:n]]
    return sorted(picked, key=lambda c: (c.sign_index, c.n))


def parse_conditions(text: str, *, video: bool) -> list[str]:
    """`all` or a comma-separated list; sequences without video only have the landmark-level ones."""
    allowed = CONDITIONS if video else LANDMARK_CONDITIONS
    names = list(allowed) if text == "all" else [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in allowed]
    if unknown:
        kind = "clips" if video else "landmark sequences (no video)"
        raise ValueError(
            f"{', '.join(unknown)}: not a condition for {kind} (choose from {', '.join(allowed)})"
        )
    if RECORDED not in names:
        names.insert(0, RECORDED)  # the drop is measured from it
    return names


def condition_cache(videos: Path, fps: float | None, condition: str) -> Path:
    """Where a clip folder's landmarks under `condition` are cached ("recorded" shares evaluate's cache)."""
    if videos.resolve() == (islr_dir() / "videos").resolve():
        folder = default_dataset_dir()
    else:
        folder = default_dataset_dir().parent / videos.resolve().name
    name = folder.name + (f"-{fps:g}fps" if fps else "")
    if condition != RECORDED:
        name += f"-{condition}"
    return folder.with_name(name)


@dataclass
class ConditionData:
    """One condition's extracted sequences: a Kaggle-layout folder and the rows to score."""

    condition: str
    root: Path
    rows: list[dict]
    n_failed: int


def build_condition(
    *,
    videos: Path,
    clips: list[Clip],
    condition: str,
    fps: float | None,
    workers: int = 1,
    cache: Path | None = None,
    frame_aspects: dict[int, float] | None = None,
    progress: bool = False,
) -> ConditionData:
    """Extract (or reuse) `clips` under `condition`; rows carry the conditioned video's frame aspect."""
    built = build_dataset(
        clips_dir=videos,
        out_dir=cache or condition_cache(videos, fps, condition),
        only={c.path.name for c in clips},
        workers=workers,
        fps=fps,
        condition=None if condition == RECORDED else condition,
        progress=progress,
    )
    present = {r["sequence_id"] for r in read_rows(built.root)}
    rows = []
    for clip in clips:
        if clip.sequence_id not in present:
            continue
        row = clip_row(clip)
        if frame_aspects and clip.sequence_id in frame_aspects:
            row["frame_aspect"] = condition_aspect(frame_aspects[clip.sequence_id], condition)
        rows.append(row)
    return ConditionData(condition=condition, root=built.root, rows=rows, n_failed=built.n_failed)


def kaggle_condition(data_dir: Path, rows: list[dict], condition: str) -> list:
    """Examples of a Kaggle-layout folder as recorded or mirrored (hands swapped, ml.mirror)."""
    from ml.dataset_build import load_sign_map
    from ml.evaluate import load_examples
    from ml.mirror import mirror_sequence

    examples = load_examples(data_dir, rows, load_sign_map())
    if condition == MIRRORED:
        for example in examples:
            example.data = mirror_sequence(example.data)
    return examples


@dataclass
class ConditionTable:
    """Per model: one EvalResult per condition (same clips, same order), and how far each falls."""

    conditions: list[str]
    results: dict[str, dict[str, object]]  # model name -> condition -> ml.evaluate.EvalResult

    def worst(self, model: str) -> tuple[str, float]:
        """The condition with the lowest top-10, and its drop from "as recorded" (positive = worse)."""
        by_condition = self.results[model]
        name = min(self.conditions, key=lambda c: (by_condition[c].top10, c != RECORDED))
        return name, by_condition[RECORDED].top10 - by_condition[name].top10

    def as_dict(self) -> dict:
        return {
            model: {
                "conditions": {c: r.summary() for c, r in by_condition.items()},
                "ranks": {c: r.ranks for c, r in by_condition.items()},
                "worst_condition": self.worst(model)[0],
                "worst_top10_drop": self.worst(model)[1],
                "latency_ms": by_condition[RECORDED].latency_ms,  # per clip, inference only
            }
            for model, by_condition in self.results.items()
        }


def score_conditions(predictors: list[tuple[str, object]], examples: dict[str, list]) -> ConditionTable:
    from ml.evaluate import score

    table = {
        name: {c: score(predictor, exs, name=name, subset=c) for c, exs in examples.items()}
        for name, predictor in predictors
    }
    return ConditionTable(conditions=list(examples), results=table)


def format_conditions(table: ConditionTable) -> str:
    """model x condition, top-1 / top-10, empty clips (nothing detected) in brackets, worst drop."""
    width = max(len(m) for m in table.results)
    head = "".join(f"  {c:>14}" for c in table.conditions)
    lines = [f"{'model (top-1 / top-10)':<{width}}{head}  worst top-10 drop"]
    for model, by_condition in table.results.items():
        cells = ""
        for c in table.conditions:
            r = by_condition[c]
            empty = f"[{r.n_empty}]" if r.n_empty else ""
            cells += f"  {empty + f'{r.top1:.2f} / {r.top10:.2f}':>14}"
        worst, drop = table.worst(model)
        lines.append(f"{model:<{width}}{cells}  {drop:+.2f} ({worst})")
    return "\n".join(lines)


def run_conditions(args, predictors: list[tuple[str, object]]) -> int:
    """`python -m ml evaluate --conditions ...`: extract each condition once (cached), score, print."""
    import json
    import time

    from ml.dataset_build import list_clips, load_sign_map
    from ml.evaluate import _frame_aspect, load_examples, select_rows

    started = time.perf_counter()
    try:
        conditions = parse_conditions(args.conditions, video=args.videos is not None)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    examples: dict[str, list] = {}
    if args.videos is not None:
        clips = sample_clips(list_clips(args.videos, load_sign_map()), args.sample, seed=args.seed)
        if not args.sample and args.subset != "all":
            scored, _ = select_rows([clip_row(c) for c in clips], args.subset, seed=args.seed)
            keep = {r["sequence_id"] for r in scored}
            clips = [c for c in clips if c.sequence_id in keep]
        aspects = {c.sequence_id: _frame_aspect(c.path) for c in clips}
        data = {}
        for condition in conditions:
            data[condition] = build_condition(
                videos=args.videos,
                clips=clips,
                condition=condition,
                fps=args.fps,
                workers=args.workers,
                cache=Path(f"{args.cache}-{condition}")
                if args.cache and condition != RECORDED
                else args.cache,
                frame_aspects=aspects,
                progress=not (args.json or args.shipped),
            )
        # Score the same clips under every condition: a clip that failed to decode anywhere is left out.
        common = set.intersection(*({r["sequence_id"] for r in d.rows} for d in data.values()))
        for condition, d in data.items():
            rows = [r for r in d.rows if r["sequence_id"] in common]
            examples[condition] = load_examples(d.root, rows, load_sign_map())
        source = f"{len(common)} clips of {args.videos}" + (f" at {args.fps:g} fps" if args.fps else "")
    else:
        rows = select_rows(read_rows(args.data), "all" if args.sample else args.subset, seed=args.seed)[0]
        for condition in conditions:
            examples[condition] = kaggle_condition(args.data, rows, condition)
        source = f"{len(rows)} sequences of {args.data}"
    table = score_conditions(predictors, examples)
    seconds = time.perf_counter() - started
    out = args.out or Path(__file__).resolve().parent.parent / "var" / "bench" / "recognition.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"source": source, "seconds": seconds, "conditions": conditions, "models": table.as_dict()}
    out.write_text(json.dumps(payload, indent=1))
    if args.json or args.shipped is not None:
        for model, entry in table.as_dict().items():
            del entry["ranks"]
            print(json.dumps({"model": model, **entry}))
        return 0
    print(f"{source}, {seconds:.0f} s; [n] = clips with nothing detected (a miss); JSON in {out}")
    print(format_conditions(table))
    return 0
