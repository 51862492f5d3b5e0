"""Parity of the page's landmark extractor (MediaPipe Holistic WASM in Chromium) with `ml.landmarks`.

    .venv/bin/python bench/browser_parity.py [--clips 20] [--frames 8]

Each real clip from ../shared/islr/videos is decoded as the grading worker decodes it (15 fps), and
`--frames` evenly spaced frames go, as the same RGB pixels, through both extractors: `ml.landmarks`
(MediaPipe's Python Holistic) and static/js/ondevice/ in headless Debian Chromium (SwiftShader WebGL2),
each with tracking reset per clip. Reported per part (face, left_hand, pose, right_hand): mean |Δx| and
|Δy| over frames where both found the part, the share of frames where each extractor found it, and the
intended sign's rank (1-250) from each sequence with the default model (the shipped one), as a video
upload (the clip's shape known) and as a landmark upload (shape unknown) would be graded.
Headless Chromium on a busy 2-core machine takes seconds per frame, hence few frames per clip.
Writes var/bench/browser_parity.json.
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

import numpy as np

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_DIR))

from bench.browser_extractor import BrowserExtractor, evenly_spaced  # noqa: E402
from bench.clips import pick_clips  # noqa: E402
from ml.layout import PARTS  # noqa: E402

OUT = REPO_DIR / "var" / "bench" / "browser_parity.json"
GRADING_FPS = 15.0
TARGETS = {"hands_mean_abs_delta": 0.02, "browser_top10_whenever_server_top10": True}


def sign_of(clip: Path) -> str:
    return clip.stem.split("_", 1)[1].rsplit("_", 1)[0]


def part_figures(server: np.ndarray, browser: np.ndarray) -> dict:
    """Per part: mean |Δx|, |Δy| where both found it, and each extractor's detection share."""
    figures = {}
    for name, rows in PARTS:
        found_s = ~np.isnan(server[:, rows, 0]).all(axis=1)
        found_b = ~np.isnan(browser[:, rows, 0]).all(axis=1)
        both = found_s & found_b
        delta = np.abs(server[both][:, rows, :2] - browser[both][:, rows, :2])
        figures[name] = {
            "frames_both": int(both.sum()),
            "mean_abs_dx": round(float(np.nanmean(delta[..., 0])), 5) if both.any() else None,
            "mean_abs_dy": round(float(np.nanmean(delta[..., 1])), 5) if both.any() else None,
            "detected_server": round(float(found_s.mean()), 3),
            "detected_browser": round(float(found_b.mean()), 3),
        }
    return figures


def rank_of(classifier, data: np.ndarray, sign: str, *, frame_aspect: float | None) -> int | None:
    if np.isnan(data).all():
        return None
    ranked = classifier.top_k(data, k=250, frame_aspect=frame_aspect)
    return next((i for i, p in enumerate(ranked, start=1) if p.sign == sign), None)


def summarise(rows: list[dict]) -> dict:
    summary: dict = {"parts": {}}
    for name, _ in PARTS:
        weights = np.array([r["parts"][name]["frames_both"] for r in rows], dtype=float)
        dx = [r["parts"][name]["mean_abs_dx"] or 0.0 for r in rows]
        dy = [r["parts"][name]["mean_abs_dy"] or 0.0 for r in rows]
        total = weights.sum()
        summary["parts"][name] = {
            "mean_abs_dx": round(float(np.dot(weights, dx) / total), 5) if total else None,
            "mean_abs_dy": round(float(np.dot(weights, dy) / total), 5) if total else None,
            "detected_server": round(float(np.mean([r["parts"][name]["detected_server"] for r in rows])), 3),
            "detected_browser": round(
                float(np.mean([r["parts"][name]["detected_browser"] for r in rows])), 3
            ),
        }
    hands = [
        summary["parts"][h][k] for h in ("left_hand", "right_hand") for k in ("mean_abs_dx", "mean_abs_dy")
    ]
    summary["hands_mean_abs_delta_max"] = max(v for v in hands if v is not None)
    for mode in ("as_video", "as_landmarks"):
        server = [r["rank_server"][mode] for r in rows]
        browser = [r["rank_browser"][mode] for r in rows]
        in10 = lambda r: r is not None and r <= 10  # noqa: E731
        summary[f"rank_{mode}"] = {
            "server_top10": sum(map(in10, server)),
            "browser_top10": sum(map(in10, browser)),
            "browser_top10_whenever_server_top10": all(
                in10(b) for s, b in zip(server, browser, strict=True) if in10(s)
            ),
            "same_rank": sum(s == b for s, b in zip(server, browser, strict=True)),
        }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--frames", type=int, default=8, help="evenly spaced frames per clip")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from ml.inference import get_classifier
    from ml.landmarks import get_extractor, quiet_native_logs
    from ml.video import read_video

    classifier = get_classifier()
    clips = pick_clips(args.clips)
    rows = []
    started = time.perf_counter()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = BrowserExtractor(playwright, profile_dir=Path(profile))
        print(f"Holistic loaded in the page in {browser.load_s:.1f} s", file=sys.stderr)
        try:
            for clip in clips:
                video = read_video(clip, target_fps=GRADING_FPS)
                frames = list(video.frames)
                picked = evenly_spaced(len(frames), args.frames)
                chosen = [frames[i] for i in picked]
                with quiet_native_logs():
                    server = get_extractor().extract(chosen).data
                in_page = browser.extract(chosen)
                sign, aspect = sign_of(clip), video.width / video.height
                row = {
                    "clip": clip.name,
                    "sign": sign,
                    "size": [video.width, video.height],
                    "frames": picked,
                    "browser_frame_ms": [round(ms) for ms in in_page.frame_ms],
                    "parts": part_figures(server, in_page.data),
                    "rank_server": {
                        "as_video": rank_of(classifier, server, sign, frame_aspect=aspect),
                        "as_landmarks": rank_of(classifier, server, sign, frame_aspect=None),
                    },
                    "rank_browser": {
                        "as_video": rank_of(classifier, in_page.data, sign, frame_aspect=aspect),
                        "as_landmarks": rank_of(classifier, in_page.data, sign, frame_aspect=None),
                    },
                }
                rows.append(row)
                print(
                    f"{clip.name}: ranks server {row['rank_server']['as_video']} browser "
                    f"{row['rank_browser']['as_video']}, {np.median(in_page.frame_ms) / 1000:.1f} s/frame",
                    file=sys.stderr,
                )
        finally:
            browser.close()
    frame_ms = [ms for r in rows for ms in r["browser_frame_ms"][1:]]  # the first includes warm-up
    report = {
        "machine": {
            "cpu": platform.machine(),
            "cpus_online": os.cpu_count(),
            "load_avg_at_start_of_report": list(os.getloadavg()),
        },
        "settings": {
            "frames_per_clip": args.frames,
            "grading_fps": GRADING_FPS,
            "model": f"{classifier.info.name} {classifier.info.version}",
            "browser": "headless Debian Chromium, SwiftShader WebGL2, @mediapipe/holistic 0.5.1675471629",
        },
        "targets": TARGETS,
        "browser_load_s": round(browser.load_s, 1),
        "browser_ms_per_frame": {
            "p50": round(float(np.median(frame_ms))) if frame_ms else None,
            "max": round(max(frame_ms)) if frame_ms else None,
        },
        "wall_s": round(time.perf_counter() - started, 1),
        "summary": summarise(rows),
        "clips": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1))
    print(json.dumps(report["summary"], indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
