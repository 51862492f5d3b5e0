"""Benchmark phrase grading on phrases joined from real clips.

    .venv/bin/python bench/phrases.py [--phrases 40] [--pool 60] [--speeds 1 0.75 1.5] [--model DIR]

Grades with the shipped configuration (ml/models/configuration.json) unless --model names another.

Clips from ../shared/islr/videos are extracted at the grading worker's 15 fps (cached like
`python -m ml evaluate --fps 15`). Of a pool of clips spread over the folder, those whose sign is in the
model's top-10 on the clip alone make phrases: 2-4 clips of different signs joined with a third of a
second of the hands at rest between them (the signer's last face and pose, no hands), at their own
speed and sped up or slowed down. Each phrase is graded with its signs, and again with one sign swapped
for another. Reported:
- pass rate of the phrases (all their signs pass alone, by construction), per speed;
- swapped sign caught at its position (not found there) and the other signs still found;
- boundary error: the middle of the gap between two aligned spans against the middle of the true rest;
- alignment time per second of clip (landmarks given), and end to end (decode + Holistic + alignment)
  on `--videos-e2e` phrases written as real video files.
Writes var/bench/phrases.json and prints a summary.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from bench.report import report_write  # noqa: E402
from ml.configuration import configuration_ensemble, read_configuration  # noqa: E402
from ml.dataset_build import build_dataset, clip_row, list_clips, load_sign_map  # noqa: E402
from ml.evaluate import _default_cache  # noqa: E402
from ml.grading import TOP_K  # noqa: E402
from ml.inference import default_model_dir  # noqa: E402
from ml.islr_io import read_sequence  # noqa: E402
from ml.paths import islr_dir  # noqa: E402
from ml.phrase import grade_phrase, rank_of  # noqa: E402

OUT = REPO_DIR / "var" / "bench" / "phrases.json"
FPS = 15.0
REST_FRAMES = 5
FRAME_ASPECT = 640 / 360  # every shared clip is 640x360: members with an input aspect see it cropped
TARGETS = {
    "pass_rate": 0.85,
    "swap_caught_rate": 0.90,
    "boundary_error_median_ms": 250,
    "grading_p50_ratio": 1.0,
}


def load_pool(videos: Path, n: int) -> list[tuple[str, np.ndarray]]:
    """(sign, landmarks at 15 fps) of n clips spread evenly over the folder, one per sign."""
    clips, seen = [], set()
    for clip in list_clips(videos, load_sign_map()):
        if clip.sign not in seen:
            seen.add(clip.sign)
            clips.append(clip)
    clips = clips[:: max(1, len(clips) // n)][:n]
    built = build_dataset(
        clips_dir=videos,
        out_dir=_default_cache(videos, FPS),
        sign_to_index=load_sign_map(),
        only={c.path.name for c in clips},
        fps=FPS,
        progress=True,
    )
    files = [(c.sign, built.root / clip_row(c)["path"]) for c in clips]
    return [(sign, read_sequence(path)) for sign, path in files if path.is_file()]


def at_speed(data: np.ndarray, speed: float) -> np.ndarray:
    """The sign signed `speed` times as fast (nearest frames of the same 15 fps timeline)."""
    n = max(2, round(len(data) / speed))
    return data[np.minimum((np.arange(n) * speed).astype(int), len(data) - 1)]


def join(pieces: list[np.ndarray]) -> tuple[np.ndarray, list[float]]:
    """Pieces joined with the hands at rest between them, and the middle of each rest in seconds."""
    parts, rests = [], []
    for piece in pieces:
        if parts:
            rest = np.repeat(parts[-1][-1:], REST_FRAMES, axis=0)
            rest[:, 468:489] = rest[:, 522:543] = np.nan
            start = sum(len(p) for p in parts)
            rests.append((start + REST_FRAMES / 2) / FPS)
            parts.append(rest)
        parts.append(piece)
    return np.concatenate(parts).astype(np.float32), rests


def write_phrase_video(clips: list[Path], out: Path) -> float:
    """The clips' frames back to back (each clip's last frame held a third of a second) as an mp4."""
    import av

    from ml.video import read_video

    videos = [read_video(c) for c in clips]
    fps = round(videos[0].fps)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = videos[0].width, videos[0].height, "yuv420p"
        n = 0
        for video in videos:
            held = [video.frames[-1]] * (fps // 3)
            for frame in list(video.frames) + held:
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
                n += 1
        container.mux(stream.encode())
    return n / fps


def percentile(values, q) -> float | None:
    return round(float(np.percentile(values, q)), 3) if len(values) else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=Path, default=islr_dir() / "videos")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model or configuration folder (default: the shipped configuration)",
    )
    parser.add_argument("--pool", type=int, default=60, help="clips to build phrases from")
    parser.add_argument("--phrases", type=int, default=40)
    parser.add_argument("--speeds", type=float, nargs="+", default=[1.0, 0.75, 1.5])
    parser.add_argument(
        "--videos-e2e", type=int, default=3, help="phrases also graded from a real video file"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


@dataclass
class Measures:
    """What grading the phrases (from landmarks) measured, one list entry per graded phrase or gap."""

    passed: dict[float, list[bool]]  # per speed
    boundary_ms: list[float] = field(default_factory=list)
    align_ratio: list[float] = field(default_factory=list)
    caught: list[bool] = field(default_factory=list)
    others_kept: list[bool] = field(default_factory=list)


def phrases_grade(classifier, phrases, speeds: list[float], rng) -> Measures:
    """Each phrase at each speed with its own signs, then once with one sign swapped for another."""
    measures = Measures(passed={speed: [] for speed in speeds})
    for phrase in phrases:
        signs = [s for s, _ in phrase]
        for speed in speeds:
            data, rests = join([at_speed(d, speed) for _, d in phrase])
            started = time.perf_counter()
            result = grade_phrase(classifier, data, signs, fps=FPS, frame_aspect=FRAME_ASPECT)
            measures.align_ratio.append((time.perf_counter() - started) / (len(data) / FPS))
            measures.passed[speed].append(result.passed)
            for left, right, rest in zip(result.signs[:-1], result.signs[1:], rests, strict=True):
                measures.boundary_ms.append(abs((left.end_s + right.start_s) / 2 - rest) * 1000)
        position = int(rng.integers(len(signs)))
        swapped = list(signs)
        swapped[position] = str(rng.choice([s for s in classifier.labels if s not in signs]))
        data, _ = join([d for _, d in phrase])
        result = grade_phrase(classifier, data, swapped, fps=FPS, frame_aspect=FRAME_ASPECT)
        measures.caught.append(not result.signs[position].found)
        measures.others_kept.append(all(v.found for i, v in enumerate(result.signs) if i != position))
    return measures


def end_to_end_ratios(classifier, phrases, videos: Path) -> list[float]:
    """Seconds to grade a phrase from a real video file (decode + Holistic + alignment) per clip second."""
    ratios = []
    clip_paths = {c.sign: c.path for c in list_clips(videos, load_sign_map())}
    with tempfile.TemporaryDirectory() as tmp:
        from ml.landmarks import extract_video, quiet_native_logs

        for i, phrase in enumerate(phrases):
            path = Path(tmp) / f"phrase{i}.mp4"
            duration = write_phrase_video([clip_paths[s] for s, _ in phrase], path)
            started = time.perf_counter()
            with quiet_native_logs():
                landmarks = extract_video(path, target_fps=FPS, max_seconds=60)
            grade_phrase(
                classifier, landmarks.data, [s for s, _ in phrase], fps=FPS, frame_aspect=FRAME_ASPECT
            )
            ratios.append((time.perf_counter() - started) / duration)
    return ratios


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configuration = read_configuration(args.model or default_model_dir())
    classifier = configuration_ensemble(configuration)
    pool = load_pool(args.videos, args.pool)
    passing = [
        (s, d) for s, d in pool if rank_of(classifier.probabilities(d), classifier.labels.index(s)) <= TOP_K
    ]
    print(f"{len(passing)} of {len(pool)} pool clips pass alone")
    rng = np.random.default_rng(args.seed)
    phrases = [
        [passing[i] for i in rng.choice(len(passing), size=rng.integers(2, 5), replace=False)]
        for _ in range(args.phrases)
    ]
    measures = phrases_grade(classifier, phrases, args.speeds, rng)
    e2e_ratio = end_to_end_ratios(classifier, phrases[: args.videos_e2e], args.videos)

    all_passed = [p for values in measures.passed.values() for p in values]
    report = {
        "benchmark": "phrases",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "model": configuration.title,
        "members": len(configuration.members),
        "pool": len(pool),
        "pool_passing_alone": len(passing),
        "phrases": len(phrases),
        "signs_per_phrase": [int(n) for n in np.bincount([len(p) for p in phrases], minlength=5)[2:]],
        "pass_rate": round(float(np.mean(all_passed)), 3),
        "pass_rate_by_speed": {str(s): round(float(np.mean(v)), 3) for s, v in measures.passed.items()},
        "swap_caught_rate": round(float(np.mean(measures.caught)), 3),
        "swap_other_signs_found_rate": round(float(np.mean(measures.others_kept)), 3),
        "boundary_error_median_ms": percentile(measures.boundary_ms, 50),
        "boundary_error_p90_ms": percentile(measures.boundary_ms, 90),
        "alignment_p50_ratio": percentile(measures.align_ratio, 50),
        "grading_p50_ratio": percentile(e2e_ratio, 50),
        "grading_ratios": [round(r, 3) for r in e2e_ratio],
        "targets": TARGETS,
    }
    report_write(report=report, out=OUT, indent=1, echo=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
