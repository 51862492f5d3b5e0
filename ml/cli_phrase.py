"""`python -m ml phrase CLIP [--signs a,b,c]`: grade a phrase, or say what was signed.

Exit codes: 0 the phrase passed (or, without --signs, something was recognised), 1 it did not pass
(nothing recognised), 2 an error (unreadable input, unknown sign, nobody in the clip).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GRADING_FPS = 15.0  # the grading worker samples clips at this rate
MAX_PHRASE_SECONDS = 30.0


def add_phrase_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "phrase",
        help="grade 2-4 signs in order in one clip, or recognise the signs in it",
        description="Align the expected signs in order to a clip (video or ISLR parquet) and grade each.",
    )
    parser.add_argument("input", type=Path, help="VIDEO (mp4, webm, ...) or SEQ.parquet (ISLR layout)")
    parser.add_argument(
        "--signs", default=None, help="expected signs in order, comma-separated (e.g. mom,milk)"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model or configuration folder (default: the shipped ml/models configuration)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_phrase)


def _error(args, code: str, message: str) -> int:
    if args.json:
        print(json.dumps({"error": code, "message": message}))
    else:
        print(f"error: {code}: {message}", file=sys.stderr)
    return 2


def _landmarks(path: Path):
    """(data [T, 543, 3], fps, timestamps or None, frame aspect or None) of a video or a parquet file."""
    if path.suffix.lower() == ".parquet":
        from ml.islr_io import read_sequence

        return read_sequence(path), GRADING_FPS, None, None
    from ml.landmarks import get_extractor, quiet_native_logs
    from ml.video import read_video

    video = read_video(path, target_fps=GRADING_FPS, max_seconds=MAX_PHRASE_SECONDS)
    with quiet_native_logs():
        landmarks = get_extractor().extract(video.frames, timestamps_s=video.timestamps_s)
    return landmarks.data, video.fps, landmarks.timestamps_s, video.width / video.height


def run_phrase(args) -> int:
    import numpy as np

    from ml.configuration import ConfigurationError, configuration_ensemble, read_configuration
    from ml.inference import default_model_dir
    from ml.landmarks import quiet_native_logs
    from ml.phrase import grade_phrase, recognise_phrase
    from ml.video import VideoError

    if not args.input.is_file():
        return _error(args, "not_found", f"No such file: {args.input}")
    expected = [s.strip() for s in args.signs.split(",") if s.strip()] if args.signs else []
    try:
        with quiet_native_logs():
            classifier = configuration_ensemble(read_configuration(args.model or default_model_dir()))
    except (ConfigurationError, OSError, ValueError) as error:
        return _error(args, "bad_model", f"{args.model}: {error}")
    unknown = [s for s in expected if s not in classifier.labels]
    if unknown:
        return _error(args, "unknown_sign", f"Not among the model's signs: {', '.join(unknown)}")
    try:
        data, fps, timestamps, aspect = _landmarks(args.input)
    except VideoError as error:
        return _error(args, error.code, error.message)
    except (ValueError, OSError) as error:
        return _error(args, "unreadable_sequence", f"{args.input}: {error}")
    if len(data) == 0 or np.isnan(data).all():
        return _error(args, "no_person", "Nobody was detected in the clip.")

    if expected:
        result = grade_phrase(
            classifier, data, expected, fps=fps, timestamps_s=timestamps, frame_aspect=aspect
        )
        payload, ok = result.as_dict(), result.passed
    else:
        signs = recognise_phrase(classifier, data, fps=fps, timestamps_s=timestamps, frame_aspect=aspect)
        payload = {"signs": [_recognised(v) for v in signs]}
        ok = bool(signs)
    if args.json:
        print(json.dumps(payload))
    else:
        _print_table(payload)
    return 0 if ok else 1


def _recognised(verdict) -> dict:
    return {
        "sign": verdict.sign,
        "start_s": round(verdict.start_s, 3),
        "end_s": round(verdict.end_s, 3),
        "score": round(verdict.score, 5),
    }


def _print_table(payload: dict) -> None:
    if "passed" in payload:
        print("passed" if payload["passed"] else "not passed")
    for sign in payload["signs"]:
        verdict = (
            ("found" if sign["found"] else "missed") + f" rank {sign['rank']}" if "found" in sign else ""
        )
        print(f"{sign['start_s']:6.2f}-{sign['end_s']:6.2f} s  {sign['sign']:<16} {verdict}")
