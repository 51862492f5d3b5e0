"""Reading the registry: the predictor that grades now, evaluation summaries, monitoring numbers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from ml.ensemble import COMBINE_MEAN, align_probabilities, combine_probabilities
from ml.inference import Prediction, SignClassifier, get_classifier, top_k_predictions

from .models import ActiveConfiguration, ModelVersion

CARD_FILENAME = "model_card.json"


@dataclass
class Predictor:
    """The active configuration, ready to classify: one model or a weighted ensemble.

    `version` is what every result records: the model version, or each member's version and weight.
    Not thread-safe (LiteRT interpreters are not); one per process, which is what Celery prefork and
    gunicorn sync workers give.
    """

    version: str
    labels: list[str]
    members: list[tuple[SignClassifier, float]]
    combine: str = COMBINE_MEAN
    configuration_id: int | None = None

    def probabilities(self, data) -> np.ndarray:
        if len(self.members) == 1:
            return align_probabilities(
                self.members[0][0].probabilities(data), self.members[0][0].labels, self.labels
            )
        probs = [align_probabilities(c.probabilities(data), c.labels, self.labels) for c, _ in self.members]
        return combine_probabilities(probs, [w for _, w in self.members], self.combine)

    def top_k(self, data, k: int = 10) -> list[Prediction]:
        return top_k_predictions(self.probabilities(data), self.labels, k=k)


# Per process: interpreters per model file (sha256) and the predictor for the active configuration,
# keyed by (configuration id, activated_at) so a new activation or a rollback is seen on the next call.
_lock = threading.Lock()
_classifiers: dict[str, SignClassifier] = {}
_cached: dict[str, object] = {"key": None, "predictor": None}


def model_version_classifier(*, model_version: ModelVersion) -> SignClassifier:
    """The process-wide interpreter for one registered model file, built on first use."""
    with _lock:
        classifier = _classifiers.get(model_version.sha256)
        if classifier is None:
            model_path = Path(model_version.file.path)
            classifier = SignClassifier(
                model_path, labels_path=model_version.labels.path, card_path=model_path.parent / CARD_FILENAME
            )
            _classifiers[model_version.sha256] = classifier
        return classifier


def configuration_predictor(*, configuration: ActiveConfiguration) -> Predictor:
    members = list(configuration.members.select_related("model_version"))
    if not members:
        raise ValueError(f"configuration {configuration.pk} has no members")
    classifiers = [(model_version_classifier(model_version=m.model_version), m.weight) for m in members]
    return Predictor(
        version=configuration.label,
        labels=list(classifiers[0][0].labels),
        members=classifiers,
        combine=configuration.combine,
        configuration_id=configuration.pk,
    )


def shipped_predictor() -> Predictor:
    """The model in settings.SIGNLEARN_MODEL_DIR, used while no configuration is active."""
    classifier = get_classifier(settings.SIGNLEARN_MODEL_DIR)
    return Predictor(
        version=classifier.info.version, labels=list(classifier.labels), members=[(classifier, 1.0)]
    )


def active_predictor() -> Predictor:
    """The predictor for the configuration active right now (one cheap query per call).

    Workers call this per task, so an activation in the admin takes effect on the next attempt
    without a restart; interpreters are built once per process per model file.
    """
    key = ActiveConfiguration.objects.filter(is_active=True).values_list("id", "activated_at").first()
    if key is None:
        key = ("shipped", str(settings.SIGNLEARN_MODEL_DIR))
    with _lock:
        if _cached["key"] == key and _cached["predictor"] is not None:
            return _cached["predictor"]
    if key[0] == "shipped":
        predictor = shipped_predictor()
    else:
        predictor = configuration_predictor(configuration=ActiveConfiguration.objects.get(pk=key[0]))
    with _lock:
        _cached["key"] = key
        _cached["predictor"] = predictor
    return predictor


def predictor_cache_clear() -> None:
    """Forget the cached predictor and interpreters (tests; a process never needs it)."""
    with _lock:
        _classifiers.clear()
        _cached.update(key=None, predictor=None)


def active_configuration() -> ActiveConfiguration | None:
    return (
        ActiveConfiguration.objects.filter(is_active=True).prefetch_related("members__model_version").first()
    )
