"""A folder of labelled clips (`<index>_<sign>_<n>.mp4`) -> a Kaggle-layout ISLR dataset, and splits.

Extraction is the slow part (MediaPipe Holistic, ~0.3 s per clip-second on one core), so each clip's
sequence is cached: a clip whose name, size and mtime are unchanged is not extracted again.
The dataset then loads with the same code as the Kaggle data (`ml.islr_io.read_kaggle_dataset`).
"""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ml import islr_io
from ml.paths import islr_dir

log = logging.getLogger(__name__)

CLIP_PATTERN = re.compile(
    r"^(?P<index>\d+)_(?P<sign>.+)_(?P<n>\d+)\.(?P<ext>mp4|webm|mov|mkv)$", re.IGNORECASE
)
MANIFEST = "clips.json"
# Clips of our folder have no signer ids: they all get this participant id (split by clip instead).
CLIP_PARTICIPANT_ID = 0
# Bump when extraction changes in a way that makes cached sequences stale.
EXTRACTION_VERSION = 1


@dataclass(frozen=True)
class Clip:
    path: Path
    sign_index: int
    sign: str
    n: int

    @property
    def sequence_id(self) -> int:
        """Stable id from the name: sign index * 1000 + clip number."""
        return self.sign_index * 1000 + self.n


@dataclass
class BuildResult:
    root: Path
    n_clips: int
    n_extracted: int  # clips extracted in this run (the rest came from the cache)
    n_failed: int
    seconds: float


def default_dataset_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "var" / "datasets" / "islr-videos"


def parse_clip_name(path: str | Path, sign_to_index: dict[str, int] | None = None) -> Clip:
    """`97_go_3.mp4` -> Clip(sign_index=97, sign='go', n=3); the index must match the label map."""
    path = Path(path)
    match = CLIP_PATTERN.match(path.name)
    if not match:
        raise ValueError(f"{path.name}: not a clip name like <index>_<sign>_<n>.mp4")
    clip = Clip(path=path, sign_index=int(match["index"]), sign=match["sign"], n=int(match["n"]))
    if sign_to_index is not None and sign_to_index.get(clip.sign) != clip.sign_index:
        raise ValueError(
            f"{path.name}: sign {clip.sign!r} has index {sign_to_index.get(clip.sign)} in the label map"
        )
    return clip


def list_clips(folder: str | Path, sign_to_index: dict[str, int] | None = None) -> list[Clip]:
    """The labelled clips in a folder, sorted by (sign index, n); other files are ignored."""
    clips = [
        parse_clip_name(p, sign_to_index)
        for p in sorted(Path(folder).iterdir())
        if p.is_file() and CLIP_PATTERN.match(p.name)
    ]
    return sorted(clips, key=lambda c: (c.sign_index, c.n))


def _fingerprint(path: Path, fps: float | None = None, condition: str | None = None) -> dict:
    stat = path.stat()
    fingerprint = {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "extraction_version": EXTRACTION_VERSION,
    }
    if fps is not None:  # only when sampled, so caches of every frame stay valid
        fingerprint["fps"] = fps
    if condition is not None:  # only when derived, so caches of the clips as recorded stay valid
        fingerprint["condition"] = condition
    return fingerprint


def build_dataset(
    *,
    clips_dir: str | Path,
    out_dir: str | Path | None = None,
    sign_to_index: dict[str, int] | None = None,
    extract: Callable[[Path], object] | None = None,
    only: set[str] | None = None,
    workers: int = 1,
    fps: float | None = None,
    condition: str | None = None,
    progress: bool = False,
) -> BuildResult:
    """Extract every clip not already cached and (re)write `train.csv` and the clip manifest.

    `extract(path) -> Landmarks` defaults to ml.landmarks.extract_video (injectable for tests);
    `only` limits extraction to these clip file names; `workers` > 1 extracts in that many processes
    (one Holistic graph each); `fps` samples frames at that rate, as the grading worker does
    (None: every frame, as in the Kaggle data); `condition` (ml.conditions) derives a capture condition
    from each clip before extraction (use one `out_dir` per condition). A clip that fails to decode is
    logged and left out.
    """
    root = Path(out_dir) if out_dir else default_dataset_dir()
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    listed = list_clips(clips_dir, sign_to_index)
    clips = [c for c in listed if only is None or c.path.name in only]
    started = time.perf_counter()
    cached = functools.partial(_is_cached, manifest=manifest, root=root, fps=fps, condition=condition)

    todo = [c for c in clips if not cached(c)]
    jobs = [(c.path, root / islr_io.landmark_file_path(CLIP_PARTICIPANT_ID, c.sequence_id)) for c in todo]
    pool = None
    if workers > 1 and extract is None and len(jobs) > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers)
        results = pool.imap(functools.partial(_extract_job, fps=fps, condition=condition), jobs)
    else:
        results = (_extract_job(job, extract, fps=fps, condition=condition) for job in jobs)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=len(jobs), desc="extract", unit="clip")
    try:
        n_failed = _record_extractions(todo, results, manifest, manifest_path, fps=fps, condition=condition)
    finally:
        if pool is not None:
            pool.terminate()
    # train.csv lists every clip of the folder that has a sequence, also those outside `only`.
    rows = [clip_row(clip) for clip in listed if cached(clip)]
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    train_csv = root / "train.csv"
    train_csv.unlink(missing_ok=True)
    islr_io.write_train_csv(rows, root)
    return BuildResult(
        root=root,
        n_clips=len(rows),
        n_extracted=len(todo) - n_failed,
        n_failed=n_failed,
        seconds=time.perf_counter() - started,
    )


def _is_cached(clip: Clip, *, manifest: dict, root: Path, fps: float | None, condition: str | None) -> bool:
    """Extracted before from the same file (name, size, mtime), at the same fps and condition."""
    entry = manifest.get(clip.path.name)
    relative = islr_io.landmark_file_path(CLIP_PARTICIPANT_ID, clip.sequence_id)
    return (
        entry is not None
        and entry.get("fingerprint") == _fingerprint(clip.path, fps, condition)
        and (root / relative).exists()
    )


def _record_extractions(
    todo: list[Clip],
    results,
    manifest: dict,
    manifest_path: Path,
    *,
    fps: float | None,
    condition: str | None,
) -> int:
    """Each extracted clip into the manifest, saved as it goes so an interrupted build keeps what it
    extracted; a clip that failed is logged and left out. Returns how many failed."""
    n_failed = 0
    for clip, (frames, detected, error) in zip(todo, results, strict=True):
        if error is not None:
            log.warning("skipping %s: %s", clip.path.name, error)
            n_failed += 1
            continue
        manifest[clip.path.name] = {
            "fingerprint": _fingerprint(clip.path, fps, condition),
            "path": islr_io.landmark_file_path(CLIP_PARTICIPANT_ID, clip.sequence_id),
            "sequence_id": clip.sequence_id,
            "sign": clip.sign,
            "frames": frames,
            "detected": detected,
        }
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return n_failed


def clip_row(clip: Clip) -> dict:
    """The train.csv row of a clip (known from its name before any extraction)."""
    return {
        "path": islr_io.landmark_file_path(CLIP_PARTICIPANT_ID, clip.sequence_id),
        "participant_id": CLIP_PARTICIPANT_ID,
        "sequence_id": clip.sequence_id,
        "sign": clip.sign,
    }


def _extract_job(
    job: tuple[Path, Path],
    extract: Callable[[Path], object] | None = None,
    *,
    fps: float | None = None,
    condition: str | None = None,
):
    """Extract one clip and write its parquet: (frames, detection rates, None) or (0, {}, error)."""
    path, out = job
    if extract is None and condition is not None:
        from ml.conditions import extract_condition

        extract = functools.partial(extract_condition, condition=condition, fps=fps)
    elif extract is None:
        from ml.landmarks import extract_video

        extract = functools.partial(extract_video, target_fps=fps)
    try:
        landmarks = extract(path)
    except Exception as exc:  # a bad clip must not stop a 300-clip build
        return 0, {}, str(exc)
    islr_io.write_sequence(landmarks.data, out)
    return int(landmarks.data.shape[0]), landmarks.detection_rates(), None


@dataclass
class Split:
    train: list[dict]
    val: list[dict]
    method: str  # "signer" or "clip"


def split_dataset(rows: list[dict], *, seed: int = 0, val_signer_share: float = 0.2) -> Split:
    """Train/validation split that never scores anything seen in training.

    With several signers (Kaggle data), whole signers are held out. Without (our clips, one
    participant id), the split is by clip: each sign with at least two clips keeps one random clip
    for training and holds out the others; signs with a single clip are training-only.
    """
    rng = random.Random(seed)
    participants = sorted({row["participant_id"] for row in rows})
    if len(participants) > 1:
        n_val = max(1, round(len(participants) * val_signer_share))
        held = set(rng.sample(participants, n_val))
        return Split(
            train=[r for r in rows if r["participant_id"] not in held],
            val=[r for r in rows if r["participant_id"] in held],
            method="signer",
        )
    by_sign: dict[str, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r["sequence_id"]):
        by_sign[row["sign"]].append(row)
    train, val = [], []
    for sign in sorted(by_sign):
        group = by_sign[sign]
        keep = rng.randrange(len(group))
        train.append(group[keep])
        val.extend(row for i, row in enumerate(group) if i != keep)
    return Split(train=train, val=val, method="clip")


def read_rows(root: str | Path) -> list[dict]:
    """train.csv rows (no landmarks loaded), with ints for the ids."""
    import csv

    with open(Path(root) / "train.csv", newline="") as handle:
        return [
            {
                "path": r["path"],
                "participant_id": int(r["participant_id"]),
                "sequence_id": int(r["sequence_id"]),
                "sign": r["sign"],
            }
            for r in csv.DictReader(handle)
        ]


def load_sign_map(path: str | Path | None = None) -> dict[str, int]:
    path = Path(path) if path else islr_dir() / "sign_to_prediction_index_map.json"
    return json.loads(Path(path).read_text())


def main_build(argv: list[str] | None = None) -> int:
    """`python -m ml.dataset_build [CLIPS_DIR] [-o OUT]`: build (or refresh) the clip dataset."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ml.dataset_build", description=main_build.__doc__)
    parser.add_argument("clips_dir", nargs="?", default=None, help="default: $SIGNLEARN_ISLR_DIR/videos")
    parser.add_argument("-o", "--out", default=None, help=f"default: {default_dataset_dir()}")
    parser.add_argument("--workers", type=int, default=1, help="extraction processes (default 1)")
    parser.add_argument("--fps", type=float, default=None, help="sample frames at this rate (default: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = build_dataset(
        clips_dir=args.clips_dir or islr_dir() / "videos",
        out_dir=args.out,
        sign_to_index=load_sign_map(),
        workers=args.workers,
        fps=args.fps,
        progress=True,
    )
    print(
        f"{result.n_clips} clips in {result.root} ({result.n_extracted} extracted, "
        f"{result.n_failed} failed) in {result.seconds:.0f} s"
    )
    return 0 if result.n_clips else 1


if __name__ == "__main__":
    raise SystemExit(main_build())
