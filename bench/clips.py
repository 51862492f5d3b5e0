"""The real clips the benchmarks run on, chosen the same way by each of them."""

import sys
from pathlib import Path

from ml.paths import islr_dir


def pick_clips(n: int) -> list[Path]:
    """n clips spread evenly over the sorted folder (different signs, same 640x360 source)."""
    folder = islr_dir() / "videos"
    clips = sorted(folder.glob("*.mp4"))
    if not clips:
        sys.exit(f"no clips in {folder} (set SIGNLEARN_ISLR_DIR)")
    step = max(1, len(clips) // n)
    return clips[::step][:n]
