"""`python -m ml predict|train|evaluate|export`: argparse wrappers registered by ml/__main__.py.

train and export import TensorFlow (run them with .venv-train/bin/python); predict and evaluate need
only LiteRT. Handlers return an exit code; bad input prints `error: <code>: <message>` (or a JSON
object with --json) and returns 1.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path


def cli_fail(args, code: str, message: str) -> int:
    """Print a CLI error (`error: <code>: <message>`, or a JSON object with --json); exit code 1."""
    if getattr(args, "json", False):
        print(json.dumps({"error": code, "message": message}))
    else:
        print(f"error: {code}: {message}", file=sys.stderr)
    return 1


# --- predict ---------------------------------------------------------------------------------------


def add_predict_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "predict", help="video or landmarks parquet -> top-10 signs", description="Top-k signs for one clip."
    )
    parser.add_argument("input", type=Path, help="VIDEO (mp4, webm, ...) or SEQ.parquet (ISLR layout)")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model folder (default: the shipped ml/models); a folder with configuration.json is graded "
        "with its whole configuration, as the server does",
    )
    parser.add_argument("-k", type=int, default=10, help="how many signs (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(handler=run_predict)


def run_predict(args) -> int:
    from ml.configuration import configuration_ensemble, read_configuration
    from ml.inference import EmptyLandmarksError, default_model_dir
    from ml.landmarks import Landmarks
    from ml.video import VideoError, probe_video

    if not args.input.is_file():
        return cli_fail(args, "not_found", f"No such file: {args.input}")
    started = time.perf_counter()
    frame_aspect = None  # uploaded landmarks have no video shape: models see them as extracted
    try:
        if args.input.suffix.lower() == ".parquet":
            from ml.islr_io import read_sequence

            landmarks = Landmarks(data=read_sequence(args.input))
        else:
            from ml.landmarks import extract_video, quiet_native_logs

            info = probe_video(args.input, min_seconds=0.0, max_seconds=3600.0)
            frame_aspect = info.width / info.height
            with quiet_native_logs():
                landmarks = extract_video(args.input)
    except VideoError as error:
        return cli_fail(args, error.code, error.message)
    except (ValueError, OSError) as error:
        return cli_fail(args, "unreadable_sequence", f"{args.input}: {error}")
    extracted = time.perf_counter()
    try:
        from ml.landmarks import quiet_native_logs

        with quiet_native_logs():  # LiteRT's "Created XNNPACK delegate" notice
            configuration = read_configuration(args.model or default_model_dir())
            predictor = configuration_ensemble(configuration)
        loaded = time.perf_counter()
        predictions = predictor.top_k(landmarks.data, k=args.k, frame_aspect=frame_aspect)
    except EmptyLandmarksError as error:
        return cli_fail(args, "no_person", f"Nobody was detected in the clip ({error}).")
    done = time.perf_counter()
    detected = landmarks.detection_rates()
    if args.json:
        print(
            json.dumps(
                {
                    "model": _model_summary(configuration, predictor),
                    "frames": landmarks.n_frames,
                    "detected": {k: round(v, 4) for k, v in detected.items()},
                    f"top{args.k}": [asdict(p) for p in predictions],
                }
            )
        )
        return 0
    model = _model_summary(configuration, predictor)
    print(
        f"{args.input.name}: {landmarks.n_frames} frames | "
        + " ".join(f"{k} {v:.0%}" for k, v in detected.items())
    )
    sha = f" ({model['sha256'][:12]})" if model["sha256"] else f" ({len(model['members'])} models)"
    print(f"model {model['name']} {model['version']}{sha} | landmarks {extracted - started:.2f} s, "
          f"inference {(done - loaded) * 1000:.1f} ms")  # fmt: skip
    print(f"{'rank':>4}  {'sign':<16} {'index':>5}  {'score':>6}")
    for rank, p in enumerate(predictions, 1):
        print(f"{rank:>4}  {p.sign:<16} {p.index:>5}  {p.score:>6.3f}")
    return 0


def _model_summary(configuration, predictor) -> dict:
    """A single model's info, or the configuration's name and version with each member's info."""
    members = [asdict(classifier.info) for classifier, _ in predictor.members]
    if len(members) == 1:
        return members[0]
    return {"name": configuration.name, "version": configuration.version, "sha256": "", "members": members}


# --- train / export (TensorFlow) / evaluate --------------------------------------------------------


def _needs_tensorflow(args) -> int | None:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return cli_fail(args, "no_tensorflow", "TensorFlow is not installed here: run `make train-venv` and use "
                     ".venv-train/bin/python -m ml ...")  # fmt: skip
    return None


def _module_command(name: str, help_text: str, *, needs_tensorflow: bool):
    """`python -m ml NAME`: module ml.NAME adds its arguments and runs them (`add_arguments`, `run`)."""

    def add(subparsers) -> None:
        module = importlib.import_module(f"ml.{name}")
        parser = subparsers.add_parser(name, help=help_text, description=module.__doc__.split("\n")[0])
        module.add_arguments(parser)
        parser.set_defaults(handler=functools.partial(_run_module, name, needs_tensorflow))

    add.__name__ = f"add_{name}_command"
    return add


def _run_module(name: str, needs_tensorflow: bool, args) -> int:
    if needs_tensorflow and (failed := _needs_tensorflow(args)) is not None:
        return failed
    return importlib.import_module(f"ml.{name}").run(args)


add_train_command = _module_command(
    "train", "train the seed model (needs .venv-train)", needs_tensorflow=True
)
add_export_command = _module_command(
    "export", "trained run -> TFLite model folder (needs .venv-train)", needs_tensorflow=True
)
add_evaluate_command = _module_command(
    "evaluate", "top-1/5/10 of models and baselines on held-out data", needs_tensorflow=False
)


MODEL_COMMANDS = [add_predict_command, add_train_command, add_evaluate_command, add_export_command]
