"""The shipped grading configuration: which models grade, how each is fed, how their scores combine.

The shipped model folder (ml/models/, or SIGNLEARN_MODEL_DIR) holds `configuration.json`:

    {"name": "signlearn-default", "version": "2.0.0", "combine": "mean", "test_time_mirror": true,
     "members": [{"path": ".", "weight": 1.0},
                 {"path": "gislr-prabhanjan", "weight": 1.0, "input_aspect": 0.5625},
                 {"path": "sentisign-66", "weight": 1.0, "adapter": "sentisign-66"}]}

Member paths are relative to the folder ("." is the folder's own model.tflite); `input_aspect` is the
width / height of the video the member learnt from, `adapter` how it is fed (ml.adapters; default: its
card's, else detected); `test_time_mirror` (for every member, or per member) averages each member's
scores on the sequence and on its mirror, so a left-handed parent is graded as a right-handed one.
A folder without the file is a configuration of its own model alone. The
registry registers and activates exactly this (registry.services.versions.model_version_register_shipped),
and `python -m ml evaluate --shipped` scores exactly this.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ml.ensemble import COMBINE_MEAN, COMBINE_MODES, Ensemble
from ml.inference import CARD_FILENAME, MODEL_FILENAME, SignClassifier, read_model_card, shared_classifier

CONFIGURATION_FILENAME = "configuration.json"


class ConfigurationError(ValueError):
    """configuration.json is malformed; the message says where."""


@dataclass(frozen=True)
class Member:
    folder: Path  # holds model.tflite, its label map and card
    weight: float = 1.0
    input_aspect: float | None = None
    adapter: str | None = None
    test_time_mirror: bool = False

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILENAME

    def card(self) -> dict:
        return read_model_card(self.folder / CARD_FILENAME) or {}


@dataclass(frozen=True)
class Configuration:
    name: str
    version: str
    combine: str
    members: tuple[Member, ...]
    folder: Path

    @property
    def title(self) -> str:
        return f"{self.name} {self.version}".strip()


def read_configuration(folder: str | Path) -> Configuration:
    """The folder's configuration.json, or its own model alone when there is none."""
    folder = Path(folder)
    path = folder / CONFIGURATION_FILENAME
    if not path.is_file():
        card = read_model_card(folder / CARD_FILENAME) or {}
        return Configuration(
            name=str(card.get("name") or folder.name),
            version=str(card.get("version") or ""),
            combine=COMBINE_MEAN,
            members=(
                Member(
                    folder=folder,
                    input_aspect=card.get("input_aspect"),
                    test_time_mirror=bool(card.get("test_time_mirror", False)),
                ),
            ),
            folder=folder,
        )
    try:
        raw = json.loads(path.read_text())
        members = tuple(
            Member(
                folder=(folder / m.get("path", ".")).resolve(),
                weight=float(m.get("weight", 1.0)),
                input_aspect=float(m["input_aspect"]) if m.get("input_aspect") else None,
                adapter=m.get("adapter") or None,
                test_time_mirror=bool(m.get("test_time_mirror", raw.get("test_time_mirror", False))),
            )
            for m in raw["members"]
        )
        configuration = Configuration(
            name=str(raw["name"]),
            version=str(raw["version"]),
            combine=str(raw.get("combine", COMBINE_MEAN)),
            members=members,
            folder=folder,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
    if not members:
        raise ConfigurationError(f"{path}: no members")
    if configuration.combine not in COMBINE_MODES:
        raise ConfigurationError(f"{path}: combine must be one of {COMBINE_MODES}")
    if any(m.weight <= 0 for m in members) or any(
        m.input_aspect is not None and m.input_aspect <= 0 for m in members
    ):
        raise ConfigurationError(f"{path}: weights and input aspects must be positive")
    missing = [str(m.model_path) for m in members if not m.model_path.is_file()]
    if missing:
        raise ConfigurationError(f"{path}: no model at {', '.join(missing)}")
    return configuration


def member_classifier(member: Member) -> SignClassifier:
    """The process-wide classifier of one member (model file, video shape and adapter), built once."""
    return shared_classifier(
        member.model_path,
        input_aspect=member.input_aspect,
        adapter=member.adapter,
        test_time_mirror=member.test_time_mirror,
    )


def configuration_ensemble(configuration: Configuration) -> Ensemble:
    """The configuration ready to classify: its members' probabilities, aligned and combined."""
    classifiers = [(member_classifier(m), m.weight) for m in configuration.members]
    return Ensemble(labels=list(classifiers[0][0].labels), members=classifiers, combine=configuration.combine)


def member_version(classifier: SignClassifier) -> str:
    """A member's version as the registry names it: its card's name and version ("signlearn-seed 1.2.0")."""
    return f"{classifier.info.name} {classifier.info.version}"[:50]


def recorded_label(configuration: Configuration) -> str:
    """What a result graded by the configuration records, before and after the registry activates it
    (the registry's ActiveConfiguration.label of the same members and weights)."""
    versions = [(member_version(member_classifier(m)), m.weight) for m in configuration.members]
    if len(versions) == 1:
        return versions[0][0]
    return f"ensemble-{configuration.combine}(" + "+".join(f"{v}*{w:g}" for v, w in versions) + ")"
