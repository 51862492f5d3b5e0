"""Practice data for training: which consented attempts may be exported, an admin's label on one, and
the export of curated tutorials and those attempts as a Kaggle ISLR dataset (landmarks only).

It lives here, at the level that reads attempts, not in the model registry below: retraining
(registry.services.retraining) reaches training_data_export through registry.training_data, set in
practice.apps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from lessons.models import Sign, TutorialVideo
from ml import islr_io
from registry.models import AttemptLabel
from registry.selectors import vocabulary
from registry.services.evaluation import TUTORIAL_PARTICIPANT_ID, sequence_file_write
from registry.training_data import ExportResult

from .models import Attempt

SIGN_MAP_FILENAME = "sign_to_prediction_index_map.json"
LEARNER_ID_OFFSET = 1_000_000_000  # anonymous learner ids never collide with the tutorial id


def _keyed_id(kind: str, pk: int) -> int:
    key = settings.SIGNLEARN_EXPORT_ID_SECRET.encode()
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).digest()
    return LEARNER_ID_OFFSET + int.from_bytes(digest[:8], "big") % LEARNER_ID_OFFSET


def anonymous_learner_id(learner_id: int) -> int:
    """A stable participant id that does not reveal the learner (keyed hash of the primary key)."""
    return _keyed_id("learner", learner_id)


def anonymous_sequence_id(attempt_id: int) -> int:
    return _keyed_id("attempt", attempt_id)


def exportable_attempts() -> QuerySet[Attempt]:
    """Attempts whose learner consents now and whose sign is known: passed at rank 1 (and not marked
    unusable by an admin), or labelled with a sign by an admin. Landmarks only, never video."""
    # A phrase clip holds several signs: it is never one training sequence, whatever its label.
    consented = Attempt.objects.filter(learner__training_consent=True, sign__isnull=False).exclude(
        landmarks=""
    )
    auto = Q(result__passed=True, result__rank=1, training_label__isnull=True)
    labelled = Q(training_label__sign__isnull=False)
    return consented.filter(auto | labelled).select_related("sign", "training_label__sign").order_by("id")


def attempts_to_label(*, limit: int = 50) -> QuerySet[Attempt]:
    """Consented attempts that would not be exported on their own (not passed at rank 1) and that no
    admin has labelled yet, newest first: the review screen's list."""
    return (
        Attempt.objects.filter(learner__training_consent=True, training_label__isnull=True)
        .filter(sign__isnull=False)  # phrase clips hold several signs: not labelled as one
        .exclude(landmarks="")
        .exclude(result__rank=1)
        .filter(status=Attempt.Status.GRADED)
        .select_related("sign", "result")
        .order_by("-created_at")[:limit]
    )


def attempt_label_set(*, attempt: Attempt, sign: Sign | None, user=None) -> AttemptLabel:
    """Record what an attempt really shows (or that it is unusable: sign=None) for training."""
    label, _ = AttemptLabel.objects.update_or_create(
        attempt=attempt, defaults={"sign": sign, "labelled_by": user}
    )
    return label


def training_data_export(*, out_dir: Path, include_tutorials: bool = True) -> ExportResult:
    """Write the Kaggle ISLR layout (train.csv + parquet) of curated tutorials and consented attempts.

    Evaluation tutorials are left out (the gate must score sequences never trained on). Consent is
    read at export time, so a revoked consent removes that learner's sequences from this export on.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    n_tutorials = 0
    if include_tutorials:
        tutorials = (
            TutorialVideo.objects.filter(is_evaluation=False).exclude(landmarks="").select_related("sign")
        )
        for tutorial in tutorials.order_by("id"):
            rows.append(
                sequence_file_write(
                    tutorial.landmarks, out_dir, TUTORIAL_PARTICIPANT_ID, tutorial.pk, tutorial.sign.name
                )
            )
            n_tutorials += 1
    learners = set()
    n_attempts = 0
    for attempt in exportable_attempts():
        label = getattr(attempt, "training_label", None)
        sign = label.sign.name if label is not None and label.sign_id else attempt.sign.name
        participant = anonymous_learner_id(attempt.learner_id)
        rows.append(
            sequence_file_write(
                attempt.landmarks, out_dir, participant, anonymous_sequence_id(attempt.pk), sign
            )
        )
        learners.add(attempt.learner_id)
        n_attempts += 1
    islr_io.write_train_csv(rows, out_dir)  # header even when empty, so loaders see a valid dataset
    result = ExportResult(
        root=out_dir, n_tutorials=n_tutorials, n_attempts=n_attempts, n_learners=len(learners)
    )
    _export_describe(result)
    return result


def _export_describe(result: ExportResult) -> None:
    """As in the Kaggle download, the sign -> index map next to train.csv; and what the export holds."""
    (result.root / SIGN_MAP_FILENAME).write_text(
        json.dumps({sign: i for i, sign in enumerate(vocabulary())}, indent=0)
    )
    (result.root / "export.json").write_text(
        json.dumps(
            {
                "created_at": timezone.now().isoformat(),
                "tutorials": result.n_tutorials,
                "attempts": result.n_attempts,
                "learners": result.n_learners,
                "participant_ids": f"{TUTORIAL_PARTICIPANT_ID} = tutorial clips; learners: keyed hashes",
            },
            indent=1,
        )
    )
