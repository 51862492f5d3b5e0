"""Writes of progress: count a graded attempt once, recompute from history, delete a learner's data."""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from fsrs import Card, State

from accounts.models import Learner
from lessons.models import Sign
from lessons.selectors import taught_sign_ids
from practice.models import Attempt, AttemptResult

from . import rules
from .models import (
    Badge,
    DailyActivity,
    LearnerProgress,
    PhraseProgress,
    ProgressEvent,
    ReviewCard,
    SignProgress,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignReview:
    """One review of one sign from a graded attempt: its own sign, or each sign of a phrase once."""

    attempt_id: int
    sign_id: int
    rank: int | None
    passed: bool
    practised_at: datetime
    graded_at: datetime
    local_date: date


def _sign_ids_by_name(verdicts: list[dict]) -> dict[str, int]:
    names = {verdict["sign"] for verdict in verdicts}
    return dict(Sign.objects.filter(name__in=names).values_list("name", "id")) if names else {}


def _event_reviews(event: ProgressEvent, verdicts: list[dict], sign_ids: dict[str, int]) -> list[SignReview]:
    """The sign reviews an event counts: a sign attempt's one, or one per distinct sign of a phrase at
    the rank it got in its span (rules.phrase_sign_reviews)."""
    common = {
        "attempt_id": event.attempt_id,
        "practised_at": event.practised_at,
        "graded_at": event.graded_at,
        "local_date": event.local_date,
    }
    if event.sign_id is not None:
        return [SignReview(sign_id=event.sign_id, rank=event.rank, passed=event.passed, **common)]
    return [
        SignReview(sign_id=sign_ids[name], rank=rank, passed=rules.is_pass(rank), **common)
        for name, rank in rules.phrase_sign_reviews(verdicts)
        if name in sign_ids
    ]


@transaction.atomic
def progress_record_attempt(*, attempt: Attempt, result: AttemptResult) -> None:
    """Count one graded attempt towards its learner's progress, exactly once.

    Called by the grading service inside the transaction that saves the result, so progress is never
    half-updated; a re-run for the same attempt (task retry) finds its ProgressEvent and does nothing.
    """
    learner = attempt.learner
    # Serialise progress updates of one learner (two workers may grade two of their attempts at once).
    progress, _ = LearnerProgress.objects.select_for_update().get_or_create(learner=learner)
    if ProgressEvent.objects.filter(attempt_id=attempt.pk).exists():
        return
    event = ProgressEvent.objects.create(
        **_event_fields(attempt=attempt, result=result, time_zone=learner.time_zone)
    )

    day = DailyActivity.objects.filter(learner=learner, date=event.local_date).first()
    if day is None:
        day = DailyActivity(learner=learner, date=event.local_date, time_zone=event.time_zone)
    _daily_add(day, event)
    day.save()

    first_pass = False
    for review in _event_reviews(event, result.signs, _sign_ids_by_name(result.signs)):
        sign_progress = SignProgress.objects.filter(learner=learner, sign_id=review.sign_id).first()
        was_passed = was_mastered = False
        if sign_progress is None:
            sign_progress = SignProgress(learner=learner, sign_id=review.sign_id)
            progress.signs_attempted += 1
        else:
            was_passed, was_mastered = sign_progress.passes > 0, sign_progress.mastered_at is not None
        _sign_progress_add(sign_progress, review)
        sign_progress.save()

        card = ReviewCard.objects.filter(learner=learner, sign_id=review.sign_id).first()
        card = _card_review(card or ReviewCard(learner=learner, sign_id=review.sign_id), review)
        card.save()
        progress.signs_passed += sign_progress.passes > 0 and not was_passed
        progress.signs_mastered += sign_progress.mastered_at is not None and not was_mastered
        first_pass |= sign_progress.passes > 0 and not was_passed

    if event.phrase_id is not None:
        phrase_progress = PhraseProgress.objects.filter(learner=learner, phrase_id=event.phrase_id).first()
        phrase_progress = phrase_progress or PhraseProgress(learner=learner, phrase_id=event.phrase_id)
        _phrase_progress_add(phrase_progress, event)
        phrase_progress.save()

    progress.xp_total += event.xp
    progress.level = rules.level_for_xp(progress.xp_total).level
    progress.attempts += 1
    progress.passes += event.passed
    progress.reviews += event.is_review
    streak = rules.streak_fold(_active_days(DailyActivity.objects.filter(learner=learner)))
    _progress_set_streak(progress, streak)
    progress.save()

    facts = _badge_facts(progress=progress, learner=learner, curriculum_changed=first_pass)
    have = set(Badge.objects.filter(learner=learner).values_list("code", flat=True))
    Badge.objects.bulk_create(
        Badge(learner=learner, code=code, earned_at=event.practised_at)
        for code in sorted(rules.badges_earned(facts) - have)
    )


def _event_fields(*, attempt: Attempt, result: AttemptResult, time_zone: str) -> dict:
    practised_at = attempt.created_at
    return {
        "attempt": attempt,
        "learner_id": attempt.learner_id,
        "sign_id": attempt.sign_id,
        "phrase_id": attempt.phrase_id,
        "xp": result.xp,
        "passed": result.passed,
        "rank": result.rank,
        "is_review": attempt.is_review,
        "practised_at": practised_at,
        "graded_at": result.graded_at or timezone.now(),
        "time_zone": time_zone,
        "local_date": rules.local_date(practised_at, time_zone),
    }


def _daily_add(day: DailyActivity, event: ProgressEvent) -> None:
    day.xp += event.xp
    day.attempts += 1
    day.passes += event.passed
    day.first_at = min(day.first_at, event.practised_at) if day.first_at else event.practised_at
    day.last_at = max(day.last_at, event.practised_at) if day.last_at else event.practised_at


def _sign_progress_add(sp: SignProgress, event: SignReview) -> None:
    sp.attempts += 1
    sp.passes += event.passed
    sp.rank_sum += event.rank if event.rank is not None else rules.MISS_RANK
    if event.rank is not None and (sp.best_rank is None or event.rank < sp.best_rank):
        sp.best_rank = event.rank
    if sp.last_attempt_at is None or event.practised_at >= sp.last_attempt_at:
        sp.last_attempt_at = event.practised_at
        sp.last_rank = event.rank
        sp.last_passed = event.passed
    if sp.first_attempt_at is None or event.practised_at < sp.first_attempt_at:
        sp.first_attempt_at = event.practised_at
        sp.first_try_passed = event.passed
    if event.passed and (sp.first_passed_at is None or event.practised_at < sp.first_passed_at):
        sp.first_passed_at = event.practised_at
    if rules.is_mastery_pass(event.rank):
        days = set(sp.mastery_days) | {event.local_date.isoformat()}
        sp.mastery_days = sorted(days)
        if sp.mastered_at is None and rules.sign_is_mastered(date.fromisoformat(d) for d in days):
            sp.mastered_at = event.practised_at


def _card_review(card: ReviewCard, event: SignReview) -> ReviewCard:
    """Apply one attempt to the sign's FSRS card (rating from the rank, DESIGN §4)."""
    if card.last_review is None and card.due is None:
        fsrs_card = Card(card_id=1, due=event.graded_at)
    else:
        fsrs_card = Card(
            card_id=1,
            state=State(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=card.due,
            last_review=card.last_review,
        )
    before = fsrs_card.state
    after = rules.card_review(fsrs_card, rank=event.rank, at=event.graded_at)
    card.state = after.state.value
    card.step = after.step
    card.stability = after.stability
    card.difficulty = after.difficulty
    card.due = after.due
    card.last_review = after.last_review
    card.reps += 1
    card.lapses += before == State.Review and after.state == State.Relearning
    return card


def _phrase_progress_add(pp: PhraseProgress, event: ProgressEvent) -> None:
    pp.attempts += 1
    pp.passes += event.passed
    if pp.last_attempt_at is None or event.practised_at >= pp.last_attempt_at:
        pp.last_attempt_at, pp.last_passed = event.practised_at, event.passed
    if event.passed:
        if pp.first_passed_at is None or event.practised_at < pp.first_passed_at:
            pp.first_passed_at = event.practised_at
        days = set(pp.pass_days) | {event.local_date.isoformat()}
        pp.pass_days = sorted(days)
        if pp.mastered_at is None and rules.phrase_is_mastered(date.fromisoformat(d) for d in days):
            pp.mastered_at = event.practised_at


def _active_days(rows: Iterable[DailyActivity]) -> list[rules.ActiveDay]:
    return [
        rules.ActiveDay(date=row.date, time_zone=row.time_zone, first_at=row.first_at, last_at=row.last_at)
        for row in rows
    ]


def _progress_set_streak(progress: LearnerProgress, streak: rules.StreakState) -> None:
    progress.streak_current = streak.current
    progress.streak_longest = streak.longest
    progress.streak_freezes = streak.freezes
    progress.streak_freezes_used = streak.freezes_used
    progress.frozen_dates = [d.isoformat() for d in streak.frozen_dates]
    progress.last_active_date = streak.last_day.date if streak.last_day else None


def curriculum_structure() -> tuple[dict[str, list[int]], list[list[int]]]:
    """Required sign ids per unit slug and per lesson (course order): what unit and lesson badges need."""
    units: dict[str, list[int]] = defaultdict(list)
    lessons: dict[int, list[int]] = defaultdict(list)
    rows = Sign.objects.filter(lesson__isnull=False).values_list("id", "lesson_id", "lesson__unit__slug")
    for sign_id, lesson_id, unit_slug in rows.order_by("lesson__unit__order", "lesson__order", "order"):
        units[unit_slug].append(sign_id)
        lessons[lesson_id].append(sign_id)
    taught = taught_sign_ids()  # a sign without a video holds back no lesson, unit or badge
    return (
        {slug: rules.required_signs(ids, taught) for slug, ids in units.items()},
        [rules.required_signs(ids, taught) for ids in lessons.values()],
    )


def _badge_facts(
    *, progress: LearnerProgress, learner: Learner, curriculum_changed: bool
) -> rules.BadgeFacts:
    completed_units: frozenset[str] = frozenset()
    perfect = 0
    if curriculum_changed:  # unit and lesson badges can only change when a sign is passed for the first time
        unit_signs, lesson_signs = curriculum_structure()
        passed, first_try = set(), set()
        for sign_id, first_try_passed in SignProgress.objects.filter(
            learner=learner, passes__gt=0
        ).values_list("sign_id", "first_try_passed"):
            passed.add(sign_id)
            if first_try_passed:
                first_try.add(sign_id)
        completed_units = rules.units_completed(unit_signs, passed)
        perfect = rules.perfect_lesson_count(lesson_signs, first_try)
    return rules.BadgeFacts(
        signs_passed=progress.signs_passed,
        longest_streak=progress.streak_longest,
        completed_units=completed_units,
        perfect_lessons=perfect,
        reviews=progress.reviews,
    )


@transaction.atomic
def progress_recompute(*, learner: Learner) -> LearnerProgress:
    """Rebuild every derived progress row of `learner` from the attempt history.

    Events keep the time zone the learner practised in; graded attempts without an event (e.g. graded
    before this app existed) get one in the learner's current zone.
    """
    learner = Learner.objects.select_for_update().get(pk=learner.pk)
    missing = AttemptResult.objects.filter(attempt__learner=learner, attempt__progress_event__isnull=True)
    ProgressEvent.objects.bulk_create(
        ProgressEvent(**_event_fields(attempt=result.attempt, result=result, time_zone=learner.time_zone))
        for result in missing.select_related("attempt")
    )
    # Results are the source of truth for XP and rank (an admin may have corrected one).
    events = list(
        ProgressEvent.objects.filter(learner=learner)
        .select_related("attempt__result")
        .order_by("practised_at", "attempt_id")
    )
    for event in events:
        event.xp, event.passed, event.rank = (
            event.attempt.result.xp,
            event.attempt.result.passed,
            event.attempt.result.rank,
        )
        event.is_review = event.attempt.is_review
    ProgressEvent.objects.bulk_update(events, ["xp", "passed", "rank", "is_review"])

    for model in (DailyActivity, SignProgress, PhraseProgress, ReviewCard, Badge, LearnerProgress):
        model.objects.filter(learner=learner).delete()

    days: dict[date, DailyActivity] = {}
    signs: dict[int, SignProgress] = {}
    phrases: dict[int, PhraseProgress] = {}
    reviews: dict[int, list[SignReview]] = defaultdict(list)
    sign_ids = dict(Sign.objects.values_list("name", "id"))
    progress = LearnerProgress(learner=learner)
    unit_signs, lesson_signs = curriculum_structure()
    earned: dict[str, datetime] = {}
    for event in events:
        day = days.get(event.local_date)
        new_day = day is None
        if new_day:
            day = days[event.local_date] = DailyActivity(
                learner=learner, date=event.local_date, time_zone=event.time_zone
            )
        _daily_add(day, event)
        for review in _event_reviews(event, event.attempt.result.signs, sign_ids):
            sp = signs.get(review.sign_id) or signs.setdefault(
                review.sign_id, SignProgress(learner=learner, sign_id=review.sign_id)
            )
            _sign_progress_add(sp, review)
            reviews[review.sign_id].append(review)
        if event.phrase_id is not None:
            pp = phrases.get(event.phrase_id) or phrases.setdefault(
                event.phrase_id, PhraseProgress(learner=learner, phrase_id=event.phrase_id)
            )
            _phrase_progress_add(pp, event)
        progress.xp_total += event.xp
        progress.attempts += 1
        progress.passes += event.passed
        progress.reviews += event.is_review
        _progress_set_streak(progress, rules.streak_fold(_active_days(days.values())))
        passed = {s for s, p in signs.items() if p.passes}
        facts = rules.BadgeFacts(
            signs_passed=len(passed),
            longest_streak=progress.streak_longest,
            completed_units=rules.units_completed(unit_signs, passed),
            perfect_lessons=rules.perfect_lesson_count(
                lesson_signs, {s for s, p in signs.items() if p.passes and p.first_try_passed}
            ),
            reviews=progress.reviews,
        )
        for code in rules.badges_earned(facts):
            earned.setdefault(code, event.practised_at)

    progress.level = rules.level_for_xp(progress.xp_total).level
    progress.signs_attempted = len(signs)
    progress.signs_passed = sum(1 for p in signs.values() if p.passes)
    progress.signs_mastered = sum(1 for p in signs.values() if p.mastered_at is not None)
    progress.save()
    DailyActivity.objects.bulk_create(days.values())
    SignProgress.objects.bulk_create(signs.values())
    PhraseProgress.objects.bulk_create(phrases.values())
    cards = []
    for sign_id in signs:
        card = ReviewCard(learner=learner, sign_id=sign_id)
        for review in sorted(reviews[sign_id], key=lambda r: (r.graded_at, r.attempt_id)):
            card = _card_review(card, review)
        cards.append(card)
    ReviewCard.objects.bulk_create(cards)
    Badge.objects.bulk_create(
        Badge(learner=learner, code=code, earned_at=at) for code, at in sorted(earned.items())
    )
    return progress


# --- Data rights --------------------------------------------------------------------------------
@dataclass
class DeletionReport:
    learners: int
    attempts: int
    files: int


def _attempt_file_names(attempts) -> list[str]:
    """Stored file names (clip, landmarks, renders, ...) of these attempts: every FileField."""
    fields = [f.name for f in Attempt._meta.get_fields() if isinstance(f, models.FileField)]
    names = []
    for row in attempts.values_list(*fields):
        names.extend(name for name in row if name)
    return names


def _files_delete_after_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("Could not delete stored file %s", name, exc_info=True)

    transaction.on_commit(delete)


@transaction.atomic
def learner_delete(*, learner: Learner) -> DeletionReport:
    """Delete a learner profile with its attempts, clips, landmarks and progress.

    Rows go in this transaction; files go once it has committed, so a rollback never leaves rows
    pointing at deleted files.
    """
    attempts = Attempt.objects.filter(learner=learner)
    names = _attempt_file_names(attempts)
    n_attempts = attempts.count()
    user = learner.user
    was_selected = learner.is_selected
    learner.delete()
    if was_selected:
        other = user.learners.order_by("created_at", "id").first()
        if other is not None:
            from accounts.services import learner_select

            learner_select(learner=other)
    _files_delete_after_commit(names)
    return DeletionReport(learners=1, attempts=n_attempts, files=len(names))


@transaction.atomic
def account_delete(*, user: AbstractBaseUser) -> DeletionReport:
    """Delete an account with every profile, attempt, clip, landmark file and progress row."""
    attempts = Attempt.objects.filter(learner__user=user)
    names = _attempt_file_names(attempts)
    report = DeletionReport(learners=user.learners.count(), attempts=attempts.count(), files=len(names))
    user.delete()
    _files_delete_after_commit(names)
    return report


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
