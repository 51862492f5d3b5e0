"""Export a trained run to a Kaggle-contract TFLite model folder (TensorFlow; run in .venv-train).

    python -m ml export var/runs/NAME -o ml/models [--quantize none|float16|dynamic]

Goes through `keras.export.ExportArchive` with a `serving_default` endpoint: converting a Keras 3
model wrapped in a plain `tf.Module` with `from_saved_model` can leave its weights as uninitialised
resource variables (a ~4 KiB .tflite that runs with garbage weights). Builtin ops only (no Flex), so
the plain LiteRT interpreter runs it. A parity check (Keras vs TFLite on given sequences) runs on
every export and its numbers go into the model card.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.inference import CARD_FILENAME, LABELS_FILENAMES, MODEL_FILENAME, SignClassifier, file_sha256

QUANTIZE = ("none", "float16", "dynamic")


@dataclass
class ExportResult:
    model_path: Path
    size_bytes: int
    sha256: str
    parity_max_abs_diff: float  # Keras vs TFLite scores on the parity sequences
    parity_top10_identical: bool


def load_run_model(run_dir: Path):
    import keras

    import ml.model  # noqa: F401 - registers the custom layers for deserialisation

    return keras.models.load_model(run_dir / "model.keras", compile=False)


def convert(model, config, *, quantize: str = "none") -> bytes:
    """Keras classifier + in-graph preprocessing -> TFLite flatbuffer bytes (builtin ops only)."""
    import keras
    import tensorflow as tf

    from ml.model import make_serving_fn

    if quantize not in QUANTIZE:
        raise ValueError(f"quantize must be one of {QUANTIZE}")
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serving_default",
        make_serving_fn(model, config),
        input_signature=[tf.TensorSpec([None, 543, 3], tf.float32, name="inputs")],
    )
    with tempfile.TemporaryDirectory() as tmp:
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=["serving_default"])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif quantize == "dynamic":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        return converter.convert()


def parity(model, config, tflite_path: Path, sequences: list[np.ndarray]) -> tuple[float, bool]:
    """Max |Keras - TFLite| over the sequences' scores, and whether every top-10 is identical."""
    import tensorflow as tf

    from ml.model import make_serving_fn

    serve = make_serving_fn(model, config)
    classifier = SignClassifier(tflite_path, labels_path=_labels_for_parity(tflite_path))
    worst, same_top10 = 0.0, True
    for seq in sequences:
        expected = serve(tf.constant(seq, tf.float32))["outputs"].numpy()
        got = classifier.probabilities(seq)
        worst = max(worst, float(np.abs(expected - got).max()))
        same_top10 &= list(np.argsort(-expected, kind="stable")[:10]) == list(
            np.argsort(-got, kind="stable")[:10]
        )
    return worst, bool(same_top10)


def _labels_for_parity(tflite_path: Path) -> Path:
    for name in LABELS_FILENAMES:
        if (tflite_path.parent / name).is_file():
            return tflite_path.parent / name
    from ml.paths import islr_dir

    return islr_dir() / "sign_to_prediction_index_map.json"


def export_run(
    *,
    run_dir: Path,
    out_dir: Path,
    quantize: str = "none",
    parity_sequences: list[np.ndarray],
    labels_path: Path,
    card: dict | None = None,
) -> ExportResult:
    """Write out_dir/model.tflite, the label map and model_card.json (card fields merged in)."""
    from ml.model import load_config

    config = load_config(run_dir)
    model = load_run_model(run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILENAME
    model_path.write_bytes(convert(model, config, quantize=quantize))
    if labels_path.resolve() != (out_dir / LABELS_FILENAMES[0]).resolve():
        shutil.copyfile(labels_path, out_dir / LABELS_FILENAMES[0])
    worst, same = parity(model, config, model_path, parity_sequences)
    sha = file_sha256(model_path)
    full_card = {
        **(card or {}),
        "sha256": sha,
        "size_bytes": model_path.stat().st_size,
        "quantization": quantize,
        "export": {
            "parity_sequences": len(parity_sequences),
            "parity_max_abs_diff": worst,
            "parity_top10_identical": same,
        },
        "architecture": {**json.loads(config.to_json()), "params": int(model.count_params())},
    }
    (out_dir / CARD_FILENAME).write_text(json.dumps(full_card, indent=2) + "\n")
    return ExportResult(model_path, model_path.stat().st_size, sha, worst, same)


def add_arguments(parser) -> None:
    parser.add_argument("run_dir", type=Path, help="a training run directory (var/runs/NAME)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="model folder to write, e.g. ml/models")
    parser.add_argument("--quantize", choices=QUANTIZE, default="none")
    parser.add_argument("--card", type=Path, default=None, help="JSON with model-card fields to include")
    parser.add_argument(
        "--parity-data", type=Path, default=None, help="Kaggle-layout dir (default: the run's data)"
    )
    parser.add_argument("--parity-n", type=int, default=20, help="sequences used for the parity check")


def run(args) -> int:
    from ml.dataset_build import read_rows
    from ml.islr_io import read_sequence
    from ml.paths import islr_dir

    meta = json.loads((args.run_dir / "train.json").read_text())
    data = args.parity_data or Path(meta["data"])
    rows = read_rows(data)[: args.parity_n]
    sequences = [read_sequence(data / r["path"]) for r in rows]
    card = json.loads(args.card.read_text()) if args.card else {}
    result = export_run(
        run_dir=args.run_dir,
        out_dir=args.out,
        quantize=args.quantize,
        parity_sequences=sequences,
        labels_path=islr_dir() / "sign_to_prediction_index_map.json",
        card=card,
    )
    print(
        f"{result.model_path}: {result.size_bytes / 1e6:.2f} MB sha256 {result.sha256[:12]}; parity on "
        f"{len(sequences)} sequences: max |diff| {result.parity_max_abs_diff:.2e}, top-10 identical "
        f"{result.parity_top10_identical}"
    )
    tolerance_ok = result.parity_top10_identical and (
        args.quantize != "none" or result.parity_max_abs_diff < 1e-4
    )
    return 0 if tolerance_ok else 1
