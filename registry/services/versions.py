"""Registering model versions: a validated `.tflite` with its label map and card, from a path, an admin
upload or the shipped configuration."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.utils.text import slugify

from ml.adapters import KAGGLE
from ml.configuration import member_classifier, member_version, read_configuration
from ml.inference import (
    CARD_FILENAME,
    LABELS_FILENAMES,
    MODEL_FILENAME,
    ModelInfo,
    ModelValidationError,
    file_sha256,
    find_labels,
    load_labels,
    validate_model,
)
from ml.layout import N_SIGNS

from ..models import ModelVersion
from ..selectors import CARD_FILENAME as REGISTRY_CARD_FILENAME
from ..selectors import active_configuration, configuration_members, vocabulary
from .activation import configuration_activate
from .evaluation import evaluation_run_queue

log = logging.getLogger(__name__)

SHIPPED_NOTE = "shipped configuration"


def _check_labels(labels_path: Path) -> None:
    try:
        labels = load_labels(labels_path)
    except (ValueError, json.JSONDecodeError, AttributeError) as exc:
        raise ModelValidationError(f"label map is not a sign -> index JSON object: {exc}") from exc
    if len(labels) != N_SIGNS:
        raise ModelValidationError(f"label map has {len(labels)} signs, expected {N_SIGNS}")
    known = vocabulary()
    if known and set(labels) != set(known):
        unknown = sorted(set(labels) - set(known))[:3]
        raise ModelValidationError(f"label map signs differ from SignLearn's 250 signs (e.g. {unknown})")


def model_version_register(
    *,
    model_path: Path,
    source: str,
    labels_path: Path | None = None,
    card: dict | None = None,
    version: str = "",
    name: str = "",
    notes: str = "",
    extra_files: list[Path] = (),
    input_aspect: float | None = None,
    adapter: str | None = None,
) -> ModelVersion:
    """Validate a model and store it as a candidate (or return it if already stored).

    `input_aspect` (default: the card's `input_aspect`) is the width / height of the video the model
    learnt from; grading and evaluation then show it each clip as a centre crop of that shape.
    `adapter` (default: the card's, else detected from its inputs; ml.adapters) is how it is fed; one
    other than the Kaggle contract is recorded in the stored card, which every classifier reads.

    Raises ModelValidationError with a one-line reason for anything that cannot be served: not a
    TFLite file, wrong signature or shapes, inference failing on NaN input, a bad label map.
    """
    model_path = Path(model_path)
    info = validate_model(model_path, adapter=adapter)  # the file itself first: raises ModelValidationError
    if labels_path is None:
        try:
            labels_path = find_labels(model_path)
        except FileNotFoundError:
            labels_path = None
    with tempfile.TemporaryDirectory(prefix="signlearn-labels-") as tmp:
        if labels_path is None:
            # No map given: the project's vocabulary, whose order is the Kaggle index map.
            labels_path = Path(tmp) / LABELS_FILENAMES[0]
            labels_path.write_text(json.dumps({sign: i for i, sign in enumerate(vocabulary())}))
        labels_path = Path(labels_path)
        if not labels_path.is_file():
            raise ModelValidationError(f"no label map at {labels_path}")
        _check_labels(labels_path)
        sha = file_sha256(model_path)
        existing = ModelVersion.objects.filter(sha256=sha).first()
        if existing:
            return existing
        mv = _model_version_new(
            model_path=model_path, info=info, sha=sha, card=card, version=version, name=name
        )
        mv.source, mv.notes = source, notes
        mv.input_aspect = _checked_aspect(input_aspect or mv.card.get("input_aspect"))
        return _model_version_store(
            mv, model_path=model_path, labels_path=labels_path, extra_files=extra_files
        )


def _model_version_new(
    *, model_path: Path, info: ModelInfo, sha: str, card: dict | None, version: str, name: str
) -> ModelVersion:
    """The unsaved row: its card (given, else the one next to the file), name and unique version."""
    card = dict(card or {})
    if not card and (model_path.parent / CARD_FILENAME).is_file():
        card = json.loads((model_path.parent / CARD_FILENAME).read_text())
    if info.adapter != KAGGLE:
        card["adapter"] = info.adapter
    name = name or str(card.get("name") or info.name)
    version = _unique_version(
        version or str(card.get("version") or f"{slugify(name)[:30] or 'model'}-{sha[:8]}"), sha
    )
    return ModelVersion(
        version=version, name=name[:120], card=card, sha256=sha, size_bytes=model_path.stat().st_size
    )


def _checked_aspect(input_aspect) -> float | None:
    numeric = isinstance(input_aspect, int | float) and not isinstance(input_aspect, bool)
    if input_aspect is not None and not (numeric and input_aspect > 0):
        raise ModelValidationError(f"input aspect must be a positive width / height, got {input_aspect!r}")
    return input_aspect


def _model_version_store(
    mv: ModelVersion, *, model_path: Path, labels_path: Path, extra_files: list[Path]
) -> ModelVersion:
    """Copy the files into the version's own folder (with its card) and save the row."""
    with open(model_path, "rb") as fh:
        mv.file.save(MODEL_FILENAME, File(fh), save=False)
    with open(labels_path, "rb") as fh:
        mv.labels.save(LABELS_FILENAMES[0], File(fh), save=False)
    folder = Path(mv.file.path).parent
    (folder / REGISTRY_CARD_FILENAME).write_text(
        json.dumps({**mv.card, "version": mv.version, "sha256": mv.sha256}, indent=2)
    )
    for extra in extra_files:
        shutil.copyfile(extra, folder / Path(extra).name)
    mv.save()
    log.info("registered model %s (%s, %s)", mv.version, mv.source, mv.sha256[:12])
    return mv


def _unique_version(version: str, sha: str) -> str:
    version = version[:50]
    if ModelVersion.objects.filter(version=version).exists():
        version = f"{version[:41]}-{sha[:8]}"
    return version


def model_version_register_upload(
    *,
    model_file,
    labels_file=None,
    card: dict | None = None,
    version: str = "",
    notes: str = "",
    input_aspect: float | None = None,
) -> ModelVersion:
    """An admin upload: write to a temp folder, validate and register (source uploaded)."""
    with tempfile.TemporaryDirectory(prefix="signlearn-upload-") as tmp:
        model_path = Path(tmp) / MODEL_FILENAME
        _write_upload(model_file, model_path)
        labels_path = None
        if labels_file is not None:
            labels_path = Path(tmp) / LABELS_FILENAMES[0]
            _write_upload(labels_file, labels_path)
        # Without a card, name it after the uploaded file, never after the temporary folder.
        stem = Path(getattr(model_file, "name", "") or "").stem
        name = "" if (card or {}).get("name") else (stem if stem not in ("", "model") else "uploaded-model")
        return model_version_register(
            model_path=model_path,
            labels_path=labels_path,
            card=card,
            version=version,
            name=name,
            source=ModelVersion.Source.UPLOADED,
            notes=notes,
            input_aspect=input_aspect,
        )


def _write_upload(upload, path: Path) -> None:
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


@dataclass
class ShippedRegistration:
    members: list[tuple[ModelVersion, float]]
    combine: str
    activated: bool  # this call made it the active configuration


def model_version_register_shipped(
    *, activate_if_none: bool = True, evaluate_new: bool = False
) -> ShippedRegistration:
    """Register the shipped configuration (settings.SIGNLEARN_MODEL_DIR, ml.configuration): each member
    model with its input aspect and adapter, then make it the active configuration if none is active.

    `make run` and the web container do this on every start. Activating it changes no prediction (it
    is what serves while nothing is active) but puts it in the activation log, so the gate, monitoring
    and rollback have a starting point. A new release's configuration replaces an older shipped one
    that is still active as it was shipped; a configuration an admin chose is left alone.
    With `evaluate_new`, a member never evaluated is queued on the latest evaluation set.
    """
    configuration = read_configuration(settings.SIGNLEARN_MODEL_DIR)
    members = []
    for member in configuration.members:
        mv = model_version_register(
            model_path=member.model_path,
            source=ModelVersion.Source.SHIPPED,
            version=member_version(member_classifier(member)),
            input_aspect=member.input_aspect,
            adapter=member.adapter,
            # How it is fed is part of the version, as the registry's classifiers read it from the card.
            card={**member.card(), "test_time_mirror": member.test_time_mirror},
        )
        if (
            mv.input_aspect != member.input_aspect
            or bool(mv.card.get("test_time_mirror")) != member.test_time_mirror
        ):
            # The same file registered earlier (e.g. uploaded by an admin) keeps how it was registered.
            log.warning(
                "shipped member %s was registered before with other settings; they are kept", mv.version
            )
        members.append((mv, member.weight))
    current = active_configuration()
    active = configuration_members(configuration=current) if current else []
    # Activated by a start-up like this one (older releases wrote "shipped model"), not by an admin.
    as_shipped = current is not None and current.note in (SHIPPED_NOTE, "shipped model")
    changed = [(mv.pk, w) for mv, w in active] != [(mv.pk, w) for mv, w in members] or (
        current is not None and current.combine != configuration.combine
    )
    activate = activate_if_none and (current is None or (as_shipped and changed))
    if activate:
        configuration_activate(
            members=members, combine=configuration.combine, note=SHIPPED_NOTE, override=True
        )
        for mv, _ in members:
            mv.refresh_from_db()  # now active
    if evaluate_new:
        for mv, _ in members:
            if not mv.evaluations.exists():
                evaluation_run_queue(model_version=mv)
    return ShippedRegistration(members=members, combine=configuration.combine, activated=activate)
