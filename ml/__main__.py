"""`python -m ml <command>`: thin argparse wrappers over the ml library (DESIGN §7).

Each command is one `add_<name>_command(subparsers)` function that registers its arguments and a
handler `run_<name>(args) -> exit code`; COMMANDS lists them. Handlers print a one-line summary, or
one JSON object with --json. Bad input (VideoError, unreadable parquet, missing file) exits 1 with
`error: <code>: <message>` on stderr (or {"error", "message"} on stdout with --json).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ml.cli_model import MODEL_COMMANDS, cli_fail
from ml.cli_phrase import add_phrase_command
from ml.video import VideoError


class InputError(Exception):
    """Bad command-line input the user can fix; printed without a traceback."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- extract ---------------------------------------------------------------------------------------


def add_extract_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract", help="video -> ISLR landmarks parquet", description="Extract MediaPipe Holistic landmarks."
    )
    parser.add_argument("video", type=Path, help="mp4, webm, mov, mkv, ...")
    parser.add_argument("-o", "--output", type=Path, required=True, help="SEQ.parquet (ISLR layout)")
    parser.add_argument("--fps", type=float, default=None, help="subsample to at most this frame rate")
    parser.add_argument("--max-seconds", type=float, default=15.0, help="refuse longer clips (default 15)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("-v", "--verbose", action="store_true", help="show MediaPipe's native log lines")
    parser.set_defaults(handler=run_extract)


def run_extract(args) -> int:
    from ml.islr_io import write_sequence

    started = time.perf_counter()
    video, landmarks, timings = _video_landmarks(
        args.video, fps=args.fps, max_seconds=args.max_seconds, quiet=args.json, verbose=args.verbose
    )
    t = time.perf_counter()
    write_sequence(landmarks.data, args.output)
    timings["write"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    summary = {
        "input": str(args.video),
        "output": str(args.output),
        "n_frames": landmarks.n_frames,
        "fps": round(video.fps, 3),
        "width": video.width,
        "height": video.height,
        "rotation": video.rotation,
    }
    line = (
        f"{args.video.name}: {landmarks.n_frames} frames {video.width}x{video.height} @ {video.fps:.2f} fps"
    )
    return _report(args, summary, landmarks, timings, line=f"{line} -> {args.output}")


# --- render ----------------------------------------------------------------------------------------


def add_render_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="skeleton overlay -> mp4 or png",
        description="Draw the landmarks over the video (or a blank canvas for a parquet sequence). "
        "OUT.mp4 gives a replay, OUT.png a contact sheet (or a thumbnail with --thumbnail).",
    )
    parser.add_argument("input", type=Path, help="VIDEO or SEQ.parquet")
    parser.add_argument("-o", "--output", type=Path, required=True, help="OUT.mp4 or OUT.png")
    parser.add_argument(
        "--landmarks", type=Path, default=None, help="SEQ.parquet to draw over VIDEO instead of extracting"
    )
    parser.add_argument(
        "--fps", type=float, default=None, help="subsample the video to at most this frame rate"
    )
    parser.add_argument("-n", "--frames", type=int, default=8, help="frames on the contact sheet (default 8)")
    parser.add_argument("--thumbnail", action="store_true", help="png: one frame instead of a contact sheet")
    parser.add_argument(
        "--size", default="640x360", help="blank canvas WxH for a parquet input (default 640x360)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    parser.add_argument("-v", "--verbose", action="store_true", help="show MediaPipe's native log lines")
    parser.set_defaults(handler=run_render)


def run_render(args) -> int:
    from ml.islr_io import read_sequence
    from ml.landmarks import Landmarks
    from ml.render import render_contact_sheet, render_thumbnail, render_video

    started = time.perf_counter()
    suffix = args.output.suffix.lower()
    if suffix not in (".mp4", ".png"):
        raise InputError("bad_output", f"output must end in .mp4 or .png, not {args.output.name!r}")
    canvas = _parse_size(args.size)
    video = None
    if args.input.suffix.lower() == ".parquet":
        landmarks = Landmarks(data=_read_parquet(args.input, read_sequence))
        timings = {}
    elif args.landmarks is not None:
        from ml.video import read_video

        t = time.perf_counter()
        video = read_video(args.input, target_fps=args.fps)
        landmarks = Landmarks(data=_read_parquet(args.landmarks, read_sequence))
        timings = {"decode": time.perf_counter() - t}
    else:
        video, landmarks, timings = _video_landmarks(
            args.input, fps=args.fps, max_seconds=15.0, quiet=args.json, verbose=args.verbose
        )
    t = time.perf_counter()
    if suffix == ".mp4":
        rendered = render_video(video, landmarks, args.output, canvas_size=canvas)
    elif args.thumbnail:
        rendered = render_thumbnail(landmarks, args.output, video=video, canvas_size=canvas)
    else:
        rendered = render_contact_sheet(video, landmarks, args.output, n=args.frames, canvas_size=canvas)
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    summary = {
        "input": str(args.input),
        "output": str(rendered.path),
        "n_frames": rendered.n_frames,
        "width": rendered.width,
        "height": rendered.height,
        "codec": rendered.codec,
    }
    line = (
        f"{args.input.name}: {rendered.n_frames} frames -> {rendered.path} ({rendered.codec},"
        f" {rendered.width}x{rendered.height})"
    )
    return _report(args, summary, landmarks, timings, line=line)


# --- shared ----------------------------------------------------------------------------------------


def _video_landmarks(path: Path, *, fps: float | None, max_seconds: float, quiet: bool, verbose: bool):
    """Decode + extract with a progress bar on a terminal; returns (video, landmarks, timings).

    MediaPipe's native notices are held back unless --verbose (they are replayed on a crash).
    """
    import contextlib
    import os

    from tqdm import tqdm

    from ml.landmarks import get_extractor, quiet_native_logs
    from ml.video import read_video

    t = time.perf_counter()
    video = read_video(path, target_fps=fps, max_seconds=max_seconds)
    decoded = time.perf_counter()
    with contextlib.ExitStack() as stack:
        progress_file = stack.enter_context(os.fdopen(os.dup(2), "w"))  # the terminal, before any redirect
        if not verbose:
            stack.enter_context(quiet_native_logs())
        frames = tqdm(
            video.frames,
            desc="landmarks",
            unit="frame",
            leave=False,
            file=progress_file,
            disable=True if quiet else None,
        )
        landmarks = get_extractor().extract(frames, timestamps_s=video.timestamps_s)
    timings = {"decode": decoded - t, "landmarks": time.perf_counter() - decoded}
    return video, landmarks, timings


def _read_parquet(path: Path, read_sequence):
    if not path.is_file():
        raise InputError("not_found", f"No such file: {path}")
    try:
        return read_sequence(path)
    except (ValueError, OSError) as error:  # pyarrow's ArrowInvalid is a ValueError
        raise InputError(
            "unreadable_sequence", f"{path} is not an ISLR landmark parquet file ({error})"
        ) from error


def _parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise InputError("bad_size", f"--size must look like 640x360, not {text!r}") from None
    if width < 16 or height < 16:
        raise InputError("bad_size", "--size must be at least 16x16")
    return width, height


def _report(args, summary: dict, landmarks, timings: dict[str, float], *, line: str) -> int:
    """Print the command's summary with detection rates and timings: one JSON object with --json, else
    one line."""
    summary = {
        **summary,
        "detection_rates": {k: round(v, 4) for k, v in landmarks.detection_rates().items()},
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{line} | {_rates_text(summary['detection_rates'])} | {_timings_text(timings)}")
    return 0


def _rates_text(rates: dict[str, float]) -> str:
    return " ".join(f"{name} {rate:.0%}" for name, rate in rates.items())


def _timings_text(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())


COMMANDS = [add_extract_command, add_render_command, *MODEL_COMMANDS, add_phrase_command]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description="SignLearn recogniser tools.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (VideoError, InputError) as error:
        return cli_fail(args, error.code, error.message)


if __name__ == "__main__":
    sys.exit(main())
