"""Top-k sign recognition with a TFLite model fed through its adapter (DESIGN §3).

A Kaggle-ISLR-contract model takes raw landmarks `[n_frames, 543, 3]` float32 (NaN = missing) through
its `serving_default` signature (`inputs` -> `outputs[250]`) and does its own preprocessing; a model
with another input (sentisign-66) is fed by the adapter its card names (`ml.adapters`). This module
validates input, runs the LiteRT interpreter through the adapter and maps scores to signs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.adapters import KAGGLE, ContractError, resolve_adapter
from ml.layout import N_COORDS, N_SIGNS, ROWS_PER_FRAME, crop_to_aspect

log = logging.getLogger(__name__)

MODEL_FILENAME = "model.tflite"
LABELS_FILENAMES = ("sign_to_prediction_index_map.json", "labels.json")
CARD_FILENAME = "model_card.json"
MODEL_DIR_ENV = "SIGNLEARN_MODEL_DIR"


@dataclass(frozen=True)
class Prediction:
    sign: str
    index: int
    score: float


@dataclass
class ModelInfo:
    name: str
    version: str
    sha256: str
    adapter: str = KAGGLE  # how it is fed (ml.adapters)


class ModelValidationError(Exception):
    """A file is not a usable Kaggle-contract model; `message` says why in one line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EmptyLandmarksError(ValueError):
    """No frame or no detected landmark at all: nothing to classify (the worker's `no_person`)."""


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_labels(path: str | Path) -> list[str]:
    """Read a sign -> index json and return the signs in index order (index 0..249)."""
    mapping = json.loads(Path(path).read_text())
    indices = sorted(mapping.values())
    if indices != list(range(len(mapping))):
        raise ValueError(f"{path}: indices are not 0..{len(mapping) - 1}")
    labels = [""] * len(mapping)
    for sign, index in mapping.items():
        labels[index] = sign
    return labels


def find_labels(model_path: str | Path) -> Path:
    folder = Path(model_path).parent
    for name in LABELS_FILENAMES:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no label map ({' or '.join(LABELS_FILENAMES)}) next to {model_path}")


def read_model_card(path: str | Path) -> dict | None:
    path = Path(path)
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def model_info(model_path: str | Path, card: dict | None, sha256: str) -> ModelInfo:
    """Name and version from the card if there is one, else from the folder and the file hash."""
    model_path = Path(model_path)
    if card is None:
        return ModelInfo(name=model_path.parent.name, version=sha256[:12], sha256=sha256)
    card_sha = card.get("sha256")
    if card_sha and card_sha != sha256:
        log.warning("model card sha256 %s does not match %s (%s)", card_sha, model_path, sha256)
    return ModelInfo(
        name=str(card.get("name") or model_path.parent.name),
        version=str(card.get("version") or sha256[:12]),
        sha256=sha256,
    )


def as_landmark_array(data) -> np.ndarray:
    """Accept an ndarray or anything with `.data` (ml.landmarks.Landmarks); return float32 [T,543,3].

    Raises EmptyLandmarksError when there is nothing to classify and ValueError on a wrong shape.
    """
    array = np.asarray(getattr(data, "data", data), dtype=np.float32)
    if array.ndim != 3 or array.shape[1:] != (ROWS_PER_FRAME, N_COORDS):
        raise ValueError(f"landmarks must be [n_frames, {ROWS_PER_FRAME}, {N_COORDS}], got {array.shape}")
    if array.shape[0] == 0:
        raise EmptyLandmarksError("no frames")
    if np.isnan(array).all():
        raise EmptyLandmarksError("no landmarks detected in any frame")
    return np.ascontiguousarray(array)


def to_probabilities(outputs: np.ndarray) -> np.ndarray:
    """Models return either probabilities or logits; softmax only the latter."""
    scores = np.asarray(outputs, dtype=np.float64).reshape(-1)
    if not np.isfinite(scores).all():
        raise ValueError("model returned non-finite scores")
    is_probability = scores.min() >= 0.0 and scores.max() <= 1.0 and abs(scores.sum() - 1.0) < 1e-3
    if not is_probability:
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
    return scores.astype(np.float32)


def _make_interpreter(model_path: str | Path, num_threads: int):
    from ai_edge_litert.interpreter import Interpreter  # heavy import kept out of `import ml`

    return Interpreter(model_path=str(model_path), num_threads=num_threads)


class SignClassifier:
    """One LiteRT interpreter for one model file.

    Not thread-safe (the interpreter is not): build one per process or per thread, e.g. through
    `shared_classifier()` or `get_classifier()`, and never share one instance between threads.
    """

    def __init__(
        self,
        model_path: str | Path,
        labels_path: str | Path | None = None,
        card_path: str | Path | None = None,
        *,
        num_threads: int = 1,
        input_aspect: float | None = None,
        adapter: str | None = None,
        test_time_mirror: bool | None = None,
    ):
        """`adapter` (default: the card's `adapter`, else detected from the model's inputs) feeds it;
        `test_time_mirror` (default: the card's) averages its scores on a sequence and on its mirror."""
        self.model_path = Path(model_path)
        self.input_aspect = input_aspect
        self.labels_path = Path(labels_path) if labels_path else find_labels(self.model_path)
        self.card_path = Path(card_path) if card_path else self.model_path.parent / CARD_FILENAME
        self.labels = load_labels(self.labels_path)
        self.card = read_model_card(self.card_path)
        self.info = model_info(self.model_path, self.card, file_sha256(self.model_path))
        self._interpreter = _make_interpreter(self.model_path, num_threads)
        self.adapter = resolve_adapter(adapter or (self.card or {}).get("adapter"), self._interpreter)
        if test_time_mirror is None:
            test_time_mirror = bool((self.card or {}).get("test_time_mirror", False))
        self.test_time_mirror = test_time_mirror
        self.info.adapter = self.adapter.name
        self._run = self.adapter.runner(self._interpreter)

    def probabilities(self, data, *, frame_aspect: float | None = None) -> np.ndarray:
        """Scores over the signs (softmaxed if the model returns logits), shape [n_labels].

        With the model's `input_aspect` (width / height of the video it learnt from) and the clip's
        `frame_aspect`, the model sees the clip as a centre crop of its own video's shape; without
        either it sees the landmarks as extracted. With `test_time_mirror` the scores are the mean of
        those of the sequence and of its mirror (ml.mirror), so left- and right-handed signing of a sign
        score alike.
        """
        array = as_landmark_array(data)
        if self.input_aspect and frame_aspect:
            array = crop_to_aspect(array, frame_aspect=frame_aspect, view_aspect=self.input_aspect)
        if self.test_time_mirror:
            from ml.mirror import mirror_average

            return mirror_average(self._probabilities, array)
        return self._probabilities(array)

    def _probabilities(self, array: np.ndarray) -> np.ndarray:
        probs = to_probabilities(self._run(array))
        if probs.shape[0] != len(self.labels):
            raise ValueError(f"model returned {probs.shape[0]} scores for {len(self.labels)} labels")
        return probs

    def top_k(self, data, k: int = 10, *, frame_aspect: float | None = None) -> list[Prediction]:
        return top_k_predictions(self.probabilities(data, frame_aspect=frame_aspect), self.labels, k=k)


def top_k_predictions(probs: np.ndarray, labels: list[str], *, k: int = 10) -> list[Prediction]:
    # Stable sort so ties keep index order, which makes results reproducible.
    order = np.argsort(-probs, kind="stable")[:k]
    return [Prediction(sign=labels[i], index=int(i), score=float(probs[i])) for i in order]


def default_model_dir() -> Path:
    """The shipped model (ml/models/) unless SIGNLEARN_MODEL_DIR points elsewhere."""
    override = os.environ.get(MODEL_DIR_ENV)
    return Path(override) if override else Path(__file__).resolve().parent / "models"


# The process's one cache of LiteRT interpreters: every caller (the default model, the shipped
# configuration's members, the registry's registered files) gets its classifier here, so a model file
# fed one way is loaded once per process. Keyed by the file's identity (path, size, mtime: a replaced
# file is loaded again) and how it is fed.
_classifiers: dict[tuple, SignClassifier] = {}
_classifiers_lock = threading.Lock()


def shared_classifier(
    model_path: str | Path,
    *,
    labels_path: str | Path | None = None,
    card_path: str | Path | None = None,
    input_aspect: float | None = None,
    adapter: str | None = None,
    test_time_mirror: bool | None = None,
) -> SignClassifier:
    """The process-wide SignClassifier for one model file fed one way, built on first use.

    Not thread-safe to use (the interpreter is not): one per process, which is what Celery prefork
    and gunicorn sync workers give. The arguments are SignClassifier's.
    """
    path = Path(model_path).resolve()
    stat = path.stat()
    key = (
        path,
        stat.st_size,
        stat.st_mtime_ns,
        Path(labels_path).resolve() if labels_path else None,
        Path(card_path).resolve() if card_path else None,
        input_aspect,
        adapter,
        test_time_mirror,
    )
    with _classifiers_lock:
        if key not in _classifiers:
            _classifiers[key] = SignClassifier(
                model_path,
                labels_path=labels_path,
                card_path=card_path,
                input_aspect=input_aspect,
                adapter=adapter,
                test_time_mirror=test_time_mirror,
            )
        return _classifiers[key]


def shared_classifiers_clear() -> None:
    """Forget every cached classifier (tests; a process never needs it)."""
    with _classifiers_lock:
        _classifiers.clear()


def get_classifier(model_dir: str | Path | None = None) -> SignClassifier:
    """The process-wide classifier for a model folder (`model.tflite` + labels + card), built once."""
    folder = Path(model_dir) if model_dir else default_model_dir()
    return shared_classifier(folder / MODEL_FILENAME)


def validate_model(
    path: str | Path, labels_path: str | Path | None = None, *, adapter: str | None = None
) -> ModelInfo:
    """Check that a file can be served before anyone serves it.

    Loads it, checks its inputs against its adapter (`adapter`, else the card's, else detected; the
    Kaggle contract's `serving_default` signature when none matches), and runs it on random input with
    NaN parts. Raises ModelValidationError with a one-line reason.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelValidationError(f"{path}: no such file")
    try:
        interpreter = _make_interpreter(path, num_threads=1)
    except Exception as exc:  # LiteRT raises ValueError/RuntimeError for non-models
        raise ModelValidationError(f"not a TFLite model: {exc}") from exc
    card = read_model_card(path.parent / CARD_FILENAME)
    try:
        feeder = resolve_adapter(adapter or (card or {}).get("adapter"), interpreter)
        feeder.validate(interpreter)
    except ContractError as exc:
        raise ModelValidationError(str(exc)) from exc

    rng = np.random.default_rng(0)
    smoke = rng.random((23, ROWS_PER_FRAME, N_COORDS), dtype=np.float32)
    smoke[:, 468:489] = np.nan  # a missing left hand, as in most real clips
    smoke[5:9] = np.nan  # and a few frames with nobody detected
    try:
        outputs = feeder.runner(interpreter)(smoke)
    except Exception as exc:
        raise ModelValidationError(f"inference failed on NaN-containing input: {exc}") from exc
    outputs = np.asarray(outputs).reshape(-1)
    if outputs.shape[0] != N_SIGNS:
        raise ModelValidationError(f"output must have {N_SIGNS} scores, got {outputs.shape[0]}")
    if not np.isfinite(outputs).all():
        raise ModelValidationError("output contains NaN or inf on input with missing landmarks")

    if labels_path is not None or any((path.parent / n).is_file() for n in LABELS_FILENAMES):
        labels = load_labels(labels_path or find_labels(path))
        if len(labels) != N_SIGNS:
            raise ModelValidationError(f"label map has {len(labels)} signs, expected {N_SIGNS}")
    info = model_info(path, card, file_sha256(path))
    info.adapter = feeder.name
    return info
