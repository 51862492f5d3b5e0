"""Folding graded attempts into a learner's progress: the one fold both ways of counting share.

`progress_record_attempt` folds one new attempt into the stored rows it touches; `progress_recompute`
folds the whole history into empty ones. Both go through `ProgressFold.add`, so counting an attempt now
and recomputing it later cannot drift apart (tests compare the two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from fsrs import Card, State

from accounts.models import Learner
from lessons.models import Sign
from lessons.selectors import taught_sign_ids
from ml.grading import MISSED_RANK
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


def event_fields(*, attempt: Attempt, result: AttemptResult, time_zone: str) -> dict:
    """The ProgressEvent of a graded attempt, counted in `time_zone` (the learner's when practising)."""
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


def sign_ids_by_name(verdicts: list[dict]) -> dict[str, int]:
    """Ids of the signs a phrase's verdicts name (no query for a sign attempt)."""
    names = {verdict["sign"] for verdict in verdicts}
    return dict(Sign.objects.filter(name__in=names).values_list("name", "id")) if names else {}


def event_reviews(event: ProgressEvent, verdicts: list[dict], sign_ids: dict[str, int]) -> list[SignReview]:
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


@dataclass
class ProgressFold:
    """A learner's progress rows while events are folded in, in memory until `save`.

    `days` holds every active day (the streak needs them all); `signs`, `phrases` and `cards` hold
    at least the rows of the signs and phrases being folded. `complete` says `signs` holds all of the
    learner's sign rows (a recompute), so badge facts need no query.
    """

    learner: Learner
    progress: LearnerProgress
    days: dict[date, DailyActivity] = field(default_factory=dict)
    signs: dict[int, SignProgress] = field(default_factory=dict)
    phrases: dict[int, PhraseProgress] = field(default_factory=dict)
    cards: dict[int, ReviewCard] = field(default_factory=dict)
    badges: dict[str, datetime | None] = field(default_factory=dict)  # code -> earned now (None: stored)
    complete: bool = False
    _touched: set = field(default_factory=set, init=False)  # (kind, key) of the rows to write
    _reviews: dict[int, list[SignReview]] = field(default_factory=lambda: defaultdict(list), init=False)
    _curriculum: tuple | None = field(default=None, init=False)

    @classmethod
    def empty(cls, *, learner: Learner) -> ProgressFold:
        """For a recompute: the learner's derived rows are deleted here, every row will be new."""
        for model in (DailyActivity, SignProgress, PhraseProgress, ReviewCard, Badge, LearnerProgress):
            model.objects.filter(learner=learner).delete()
        return cls(learner=learner, progress=LearnerProgress(learner=learner), complete=True)

    @classmethod
    def stored(
        cls, *, learner: Learner, progress: LearnerProgress, reviews: list[SignReview], phrase_id: int | None
    ) -> ProgressFold:
        """For one new event: the stored rows it can change (its signs, phrase, cards, every day)."""
        sign_ids = [review.sign_id for review in reviews]
        phrases = PhraseProgress.objects.filter(learner=learner, phrase_id=phrase_id) if phrase_id else []
        return cls(
            learner=learner,
            progress=progress,
            days={day.date: day for day in DailyActivity.objects.filter(learner=learner)},
            signs={
                row.sign_id: row for row in SignProgress.objects.filter(learner=learner, sign_id__in=sign_ids)
            },
            phrases={row.phrase_id: row for row in phrases},
            cards={
                row.sign_id: row for row in ReviewCard.objects.filter(learner=learner, sign_id__in=sign_ids)
            },
            badges=dict.fromkeys(Badge.objects.filter(learner=learner).values_list("code", flat=True)),
        )

    def add(self, event: ProgressEvent, reviews: list[SignReview]) -> None:
        """Count one event: its day, each sign it reviews, its phrase, the totals, streak and badges."""
        learner, progress = self.learner, self.progress
        day = self.days.get(event.local_date)
        if day is None:
            day = self.days[event.local_date] = DailyActivity(
                learner=learner, date=event.local_date, time_zone=event.time_zone
            )
        _daily_add(day, event)
        self._touched.add(("day", event.local_date))
        first_pass = False
        for review in reviews:
            sign_progress = self.signs.get(review.sign_id)
            was_passed = was_mastered = False
            if sign_progress is None:
                sign_progress = self.signs[review.sign_id] = SignProgress(
                    learner=learner, sign_id=review.sign_id
                )
                progress.signs_attempted += 1
            else:
                was_passed, was_mastered = sign_progress.passes > 0, sign_progress.mastered_at is not None
            _sign_progress_add(sign_progress, review)
            self._reviews[review.sign_id].append(review)
            self._touched.add(("sign", review.sign_id))
            progress.signs_passed += sign_progress.passes > 0 and not was_passed
            progress.signs_mastered += sign_progress.mastered_at is not None and not was_mastered
            first_pass |= sign_progress.passes > 0 and not was_passed
        if event.phrase_id is not None:
            phrase_progress = self.phrases.get(event.phrase_id)
            if phrase_progress is None:
                phrase_progress = self.phrases[event.phrase_id] = PhraseProgress(
                    learner=learner, phrase_id=event.phrase_id
                )
            _phrase_progress_add(phrase_progress, event)
            self._touched.add(("phrase", event.phrase_id))
        progress.xp_total += event.xp
        progress.level = rules.level_for_xp(progress.xp_total).level
        progress.attempts += 1
        progress.passes += event.passed
        progress.reviews += event.is_review
        _progress_set_streak(progress, rules.streak_fold(_active_days(self.days.values())))
        for code in rules.badges_earned(self._badge_facts(curriculum_changed=first_pass)):
            self.badges.setdefault(code, event.practised_at)

    def _badge_facts(self, *, curriculum_changed: bool) -> rules.BadgeFacts:
        completed_units: frozenset[str] = frozenset()
        perfect = 0
        # Unit and lesson badges can only change when a sign is passed for the first time.
        if curriculum_changed:
            if self._curriculum is None:
                self._curriculum = curriculum_structure()
            unit_signs, lesson_signs = self._curriculum
            first_try = self._passed_signs()
            completed_units = rules.units_completed(unit_signs, set(first_try))
            perfect = rules.perfect_lesson_count(lesson_signs, {s for s, first in first_try.items() if first})
        return rules.BadgeFacts(
            signs_passed=self.progress.signs_passed,
            longest_streak=self.progress.streak_longest,
            completed_units=completed_units,
            perfect_lessons=perfect,
            reviews=self.progress.reviews,
        )

    def _passed_signs(self) -> dict[int, bool]:
        """Every passed sign of the learner -> whether it passed at the first try."""
        passed: dict[int, bool] = {}
        if not self.complete:
            stored = SignProgress.objects.filter(learner=self.learner, passes__gt=0).exclude(
                sign_id__in=list(self.signs)
            )
            passed.update(stored.values_list("sign_id", "first_try_passed"))
        passed.update((sign_id, row.first_try_passed) for sign_id, row in self.signs.items() if row.passes)
        return passed

    def save(self) -> None:
        """Write the rows the folded events changed: new ones in bulk, stored ones one by one."""
        self.progress.save()
        for sign_id, reviews in self._reviews.items():
            card = self.cards.get(sign_id) or ReviewCard(learner=self.learner, sign_id=sign_id)
            for review in sorted(reviews, key=lambda r: (r.graded_at, r.attempt_id)):
                card = _card_review(card, review)
            self.cards[sign_id] = card
        touched = self._touched
        rows = [  # in the order rows were first met, like the history (ids follow it)
            *(row for key, row in self.days.items() if ("day", key) in touched),
            *(row for key, row in self.signs.items() if ("sign", key) in touched),
            *(row for key, row in self.phrases.items() if ("phrase", key) in touched),
            *(self.cards[sign_id] for sign_id in self._reviews),
        ]
        new: dict[type, list] = defaultdict(list)
        for row in rows:
            if row.pk is None:
                new[type(row)].append(row)
            else:
                row.save()
        for model in (DailyActivity, SignProgress, PhraseProgress, ReviewCard):
            model.objects.bulk_create(new[model])
        Badge.objects.bulk_create(
            Badge(learner=self.learner, code=code, earned_at=at)
            for code, at in sorted(self.badges.items())
            if at is not None
        )


def _daily_add(day: DailyActivity, event: ProgressEvent) -> None:
    day.xp += event.xp
    day.attempts += 1
    day.passes += event.passed
    day.first_at = min(day.first_at, event.practised_at) if day.first_at else event.practised_at
    day.last_at = max(day.last_at, event.practised_at) if day.last_at else event.practised_at


def _sign_progress_add(sp: SignProgress, event: SignReview) -> None:
    sp.attempts += 1
    sp.passes += event.passed
    sp.rank_sum += event.rank if event.rank is not None else MISSED_RANK
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
