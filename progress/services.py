"""Writes of progress: price and count a graded attempt once, recompute from history; the export.

Counting is one fold (progress.fold) for both the incremental path and the recompute.
"""

from collections.abc import Iterator
from datetime import UTC
from zoneinfo import ZoneInfo

from django.db import transaction

from accounts.models import Learner
from lessons.models import Sign
from practice.models import Attempt, AttemptResult

from . import rules
from .fold import ProgressFold, event_fields, event_reviews, sign_ids_by_name
from .models import LearnerProgress, ProgressEvent


def attempt_graded_receive(sender, *, attempt: Attempt, result: AttemptResult, **_) -> None:
    """practice.signals.attempt_graded: price the new result in XP (the rule book's), then count it.

    Runs inside grading's transaction (progress/apps.py connects it), so the result, its XP and the
    learner's progress commit together or not at all.
    """
    result.xp = rules.result_xp(rank=result.rank, verdicts=result.signs if attempt.phrase_id else None)
    result.save(update_fields=["xp"])
    progress_record_attempt(attempt=attempt, result=result)


@transaction.atomic
def progress_record_attempt(*, attempt: Attempt, result: AttemptResult) -> None:
    """Count one graded attempt towards its learner's progress, exactly once.

    Called inside the transaction that saves the result, so progress is never half-updated; a re-run
    for the same attempt (task retry) finds its ProgressEvent and does nothing.
    """
    learner = attempt.learner
    # Serialise progress updates of one learner (two workers may grade two of their attempts at once).
    progress, _ = LearnerProgress.objects.select_for_update().get_or_create(learner=learner)
    if ProgressEvent.objects.filter(attempt_id=attempt.pk).exists():
        return
    event = ProgressEvent.objects.create(
        **event_fields(attempt=attempt, result=result, time_zone=learner.time_zone)
    )
    reviews = event_reviews(event, result.signs, sign_ids_by_name(result.signs))
    fold = ProgressFold.stored(learner=learner, progress=progress, reviews=reviews, phrase_id=event.phrase_id)
    fold.add(event, reviews)
    fold.save()


@transaction.atomic
def progress_recompute(*, learner: Learner) -> LearnerProgress:
    """Rebuild every derived progress row of `learner` from the attempt history.

    Events keep the time zone the learner practised in; graded attempts without an event (e.g. graded
    before this app existed) get one in the learner's current zone.
    """
    learner = Learner.objects.select_for_update().get(pk=learner.pk)
    missing = AttemptResult.objects.filter(attempt__learner=learner, attempt__progress_event__isnull=True)
    ProgressEvent.objects.bulk_create(
        ProgressEvent(**event_fields(attempt=result.attempt, result=result, time_zone=learner.time_zone))
        for result in missing.select_related("attempt")
    )
    # Results are the source of truth for XP and rank (an admin may have corrected one).
    events = list(
        ProgressEvent.objects.filter(learner=learner)
        .select_related("attempt__result")
        .order_by("practised_at", "attempt_id")
    )
    for event in events:
        result = event.attempt.result
        event.xp, event.passed, event.rank = result.xp, result.passed, result.rank
        event.is_review = event.attempt.is_review
    ProgressEvent.objects.bulk_update(events, ["xp", "passed", "rank", "is_review"])

    fold = ProgressFold.empty(learner=learner)
    sign_ids = dict(Sign.objects.values_list("name", "id"))
    for event in events:
        fold.add(event, event_reviews(event, event.attempt.result.signs, sign_ids))
    fold.save()
    return fold.progress


EXPORT_HEADER = [
    "attempt_id",
    "practised_at_local",
    "local_date",
    "time_zone",
    "sign",
    "unit",
    "lesson",
    "status",
    "failure_reason",
    "passed",
    "rank",
    "xp",
    "is_review",
    "source",
    "top1_sign",
    "top1_score",
    "model_version",
    "graded_at_utc",
]


def learner_export_rows(*, learner: Learner) -> Iterator[list]:
    """The CSV export of one learner profile: a header, then one row per attempt, oldest first."""
    yield EXPORT_HEADER
    attempts = (
        Attempt.objects.filter(learner=learner)
        .select_related("sign__lesson__unit", "phrase__unit", "result", "progress_event")
        .order_by("created_at", "id")
    )
    for attempt in attempts.iterator(chunk_size=500):
        event = getattr(attempt, "progress_event", None)
        zone = event.time_zone if event else learner.time_zone
        local = attempt.created_at.astimezone(ZoneInfo(zone))
        result = getattr(attempt, "result", None)
        top1 = (result.top10 or [{}])[0] if result else {}
        lesson = attempt.sign.lesson if attempt.sign_id else None
        yield [
            attempt.pk,
            local.isoformat(timespec="seconds"),
            local.date().isoformat(),
            zone,
            attempt.sign.name if attempt.sign_id else attempt.phrase.slug,
            lesson.unit.title if lesson else (attempt.phrase.unit.title if attempt.phrase_id else ""),
            lesson.title if lesson else "",
            attempt.status,
            attempt.failure_reason,
            "" if result is None else int(result.passed),
            "" if result is None or result.rank is None else result.rank,
            "" if result is None else result.xp,
            int(attempt.is_review),
            attempt.source,
            top1.get("sign", ""),
            top1.get("score", ""),
            result.model_version if result else "",
            result.graded_at.astimezone(UTC).isoformat(timespec="seconds") if result else "",
        ]
