"""Benchmark video -> landmarks on real clips: per-stage cost, our overhead, subsampling, memory.

    .venv/bin/python bench/landmarks.py [--clips 20] [--videos 30] [--core 0]

Stages per clip: decode (ml.video.read_video), Holistic (ml.landmarks, the shared extractor), write
(ml.islr_io.write_sequence); against raw MediaPipe Holistic (`Holistic.process` on the same decoded
frames, nothing else) in the same run, interleaved clip by clip, to get our overhead. The process is
pinned to one core, so "per core" is literal; CPU time is reported next to wall time because a shared
machine steals wall time. Then the subsampling trade-off (frames kept vs frames with a hand) and RSS
across many videos in one process. Writes var/bench/landmarks.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

import numpy as np  # noqa: E402

from bench.clips import pick_clips  # noqa: E402
from ml.islr_io import write_sequence  # noqa: E402
from ml.landmarks import get_extractor, quiet_native_logs  # noqa: E402
from ml.video import read_video  # noqa: E402

LOG = sys.stderr  # main() points it at a copy of the terminal before MediaPipe's logs are held back
TARGETS = {"fps_per_core": 30.0, "overhead": 0.10, "rss_growth_mb_per_video": 0.1}


class Clock:
    """Wall and CPU (all threads of this process) seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stage(wall: float, cpu: float, frames: int) -> dict:
    return {
        "frames": frames,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "ms_per_frame_wall": round(1000 * wall / frames, 2),
        "ms_per_frame_cpu": round(1000 * cpu / frames, 2),
        "fps_wall": round(frames / wall, 1),
        "fps_cpu": round(frames / cpu, 1),
    }


def bench_stages(clips: list[Path], out_dir: Path) -> dict:
    from mediapipe.python.solutions import holistic as mp_holistic

    extractor = get_extractor()
    raw = mp_holistic.Holistic(model_complexity=1, refine_face_landmarks=False)
    totals = {name: [0.0, 0.0] for name in ("decode", "holistic", "write", "raw_holistic", "reset")}
    frames_total = 0
    for i, clip in enumerate(clips):
        with Clock() as decode:
            video = read_video(clip)
        frames = video.frames

        def ours(frames=frames, video=video):
            with Clock() as c:
                landmarks = extractor.extract(frames, timestamps_s=video.timestamps_s)
            return c, landmarks

        def baseline(frames=frames):
            with Clock() as reset:
                raw.reset()  # the same reset our extractor does, timed apart
            with Clock() as c:
                for frame in frames:
                    raw.process(frame)
            return c, reset

        # Alternate the order so neither side always runs on a warmer cache or a quieter machine.
        if i % 2 == 0:
            (holistic, landmarks), (raw_clock, reset) = ours(), baseline()
        else:
            (raw_clock, reset), (holistic, landmarks) = baseline(), ours()
        with Clock() as write:
            write_sequence(landmarks.data, out_dir / f"{clip.stem}.parquet")
        for name, clock in (
            ("decode", decode),
            ("holistic", holistic),
            ("write", write),
            ("raw_holistic", raw_clock),
            ("reset", reset),
        ):
            totals[name][0] += clock.wall
            totals[name][1] += clock.cpu
        frames_total += len(frames)
        print(
            f"  {clip.name}: {len(frames)} frames, ours {holistic.wall:.2f} s, raw {raw_clock.wall:.2f} s",
            file=LOG,
        )
    raw.close()
    stages = {name: stage(wall, cpu, frames_total) for name, (wall, cpu) in totals.items() if name != "reset"}
    end_to_end = [sum(totals[name][k] for name in ("decode", "holistic", "write")) for k in (0, 1)]
    stages["end_to_end"] = stage(*end_to_end, frames_total)
    return {
        "stages": stages,
        "reset_ms_per_video": round(1000 * totals["reset"][0] / len(clips), 2),
        "overhead_vs_raw": {
            "wall": round(totals["holistic"][0] / totals["raw_holistic"][0] - 1, 4),
            "cpu": round(totals["holistic"][1] / totals["raw_holistic"][1] - 1, 4),
        },
    }


def bench_subsampling(clips: list[Path], rates: list[float | None]) -> list[dict]:
    extractor = get_extractor()
    rows = []
    for rate in rates:
        frames = hand_frames = 0
        wall = cpu = seconds = 0.0
        for clip in clips:
            video = read_video(clip, target_fps=rate)
            with Clock() as c:
                landmarks = extractor.extract(video.frames)
            hands = landmarks.part_detected("left_hand") | landmarks.part_detected("right_hand")
            frames += landmarks.n_frames
            hand_frames += int(hands.sum())
            wall += c.wall
            cpu += c.cpu
            seconds += video.timestamps_s[-1] + 1 / video.fps
        rows.append(
            {
                "target_fps": rate,
                "frames_per_clip": round(frames / len(clips), 1),
                "frames_with_a_hand_share": round(hand_frames / frames, 3),
                "frames_with_a_hand_per_video_second": round(hand_frames / seconds, 2),
                "holistic_ms_per_clip_wall": round(1000 * wall / len(clips), 1),
                "holistic_ms_per_clip_cpu": round(1000 * cpu / len(clips), 1),
            }
        )
        print(f"  fps {rate}: {rows[-1]}", file=LOG)
    return rows


def bench_memory(clips: list[Path], n_videos: int, out_dir: Path) -> dict:
    """Decode + extract + write n_videos clips in this process, as a worker does; RSS after each."""
    extractor = get_extractor()
    rss = [round(rss_mb(), 1)]
    for i in range(n_videos):
        video = read_video(clips[i % len(clips)])
        landmarks = extractor.extract(video.frames, timestamps_s=video.timestamps_s)
        write_sequence(landmarks.data, out_dir / "memory.parquet")
        del video, landmarks
        rss.append(round(rss_mb(), 1))
    # Growth per video over the second half, after allocator pools and caches have settled.
    half = rss[len(rss) // 2 :]
    slope = float(np.polyfit(np.arange(len(half)), half, 1)[0]) if len(half) > 2 else float("nan")
    return {
        "videos": n_videos,
        "rss_mb_before": rss[0],
        "rss_mb_after": rss[-1],
        "rss_mb_max": max(rss),
        "growth_mb_per_video_second_half": round(slope, 3),
        "rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=20, help="real clips for the stage timings (default 20)")
    parser.add_argument(
        "--videos", type=int, default=30, help="videos for the memory check (default 30; try 100)"
    )
    parser.add_argument(
        "--subsample-clips", type=int, default=10, help="clips for the fps trade-off (default 10)"
    )
    parser.add_argument("--core", type=int, default=0, help="CPU to pin to; -1 to leave unpinned")
    parser.add_argument("--out", type=Path, default=REPO_DIR / "var" / "bench" / "landmarks.json")
    args = parser.parse_args()

    global LOG
    LOG = os.fdopen(os.dup(2), "w", buffering=1)
    if args.core >= 0:
        os.sched_setaffinity(0, {args.core})  # threads MediaPipe starts later inherit it
    clips = pick_clips(args.clips)
    started = time.perf_counter()
    result: dict = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cpus_online": os.cpu_count(),
            "pinned_to_cpu": args.core if args.core >= 0 else None,
            "load_avg_at_start": os.getloadavg(),
            "python": platform.python_version(),
        },
        "clips": [clip.name for clip in clips],
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory() as tmp, quiet_native_logs():
        print(f"stages on {len(clips)} clips ...", file=LOG)
        result.update(bench_stages(clips, Path(tmp)))
        print("subsampling ...", file=LOG)
        result["subsampling"] = bench_subsampling(clips[: args.subsample_clips], [None, 15.0, 10.0, 7.5, 5.0])
        print(f"memory over {args.videos} videos ...", file=LOG)
        result["memory"] = bench_memory(clips, args.videos, Path(tmp))
    result["machine"]["load_avg_at_end"] = os.getloadavg()
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    e2e = result["stages"]["end_to_end"]
    result["meets"] = {
        "fps_per_core_cpu": e2e["fps_cpu"] >= TARGETS["fps_per_core"],
        "fps_per_core_wall": e2e["fps_wall"] >= TARGETS["fps_per_core"],
        "overhead": result["overhead_vs_raw"]["cpu"] <= TARGETS["overhead"],
        "memory_flat": result["memory"]["growth_mb_per_video_second_half"]
        <= TARGETS["rss_growth_mb_per_video"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    s = result["stages"]
    print(
        f"landmarks benchmark: {s['end_to_end']['frames']} frames of {len(clips)} clips, one core, {result['elapsed_s']} s"
    )
    for name in ("decode", "holistic", "write", "end_to_end", "raw_holistic"):
        row = s[name]
        print(
            f"  {name:13s} {row['ms_per_frame_wall']:7.2f} ms/frame wall {row['fps_wall']:7.1f} fps | {row['ms_per_frame_cpu']:7.2f} ms/frame cpu {row['fps_cpu']:7.1f} fps"
        )
    print(
        f"  overhead vs raw Holistic: wall {result['overhead_vs_raw']['wall']:+.1%}, cpu {result['overhead_vs_raw']['cpu']:+.1%}; reset {result['reset_ms_per_video']} ms/video"
    )
    for row in result["subsampling"]:
        print(
            f"  fps {row['target_fps'] or 'all':>4}: {row['frames_per_clip']:5.1f} frames/clip, {row['frames_with_a_hand_share']:.0%} with a hand, {row['holistic_ms_per_clip_cpu']:.0f} ms/clip cpu"
        )
    m = result["memory"]
    print(
        f"  memory: RSS {m['rss_mb_before']} -> {m['rss_mb_after']} MB over {m['videos']} videos, {m['growth_mb_per_video_second_half']:+.3f} MB/video in the second half"
    )
    print(f"  meets targets: {result['meets']}  -> {args.out}")


if __name__ == "__main__":
    main()
