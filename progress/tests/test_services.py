from datetime import date, timedelta

import pytest
from django.core.management import call_command

from lessons.models import Sign
from progress.models import Badge, DailyActivity, LearnerProgress, ProgressEvent, ReviewCard, SignProgress
from progress.services import progress_recompute, progress_record_attempt

from .history import attempt_graded, utc

pytestmark = pytest.mark.django_db


def signs(*names: str) -> list[Sign]:
    by_name = {s.name: s for s in Sign.objects.filter(name__in=names)}
    return [by_name[n] for n in names]


def test_a_graded_attempt_counts_once_even_when_recorded_twice(curriculum, hamlet):
    (hello,) = signs("hello")
    attempt = attempt_graded(learner=hamlet, sign=hello, rank=1, at=utc(2024, 5, 1, 9))
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == 20

    progress_record_attempt(attempt=attempt, result=attempt.result)  # a task retry

    progress = LearnerProgress.objects.get(learner=hamlet)
    assert (progress.xp_total, progress.attempts, progress.signs_passed) == (20, 1, 1)
    assert ProgressEvent.objects.filter(learner=hamlet).count() == 1
    assert ReviewCard.objects.get(learner=hamlet, sign=hello).reps == 1


def test_first_attempt_creates_one_review_card_per_sign(curriculum, hamlet):
    hello, bye = signs("hello", "bye")
    assert not ReviewCard.objects.filter(learner=hamlet).exists()
    attempt_graded(learner=hamlet, sign=hello, rank=None, at=utc(2024, 5, 1, 9))
    attempt_graded(learner=hamlet, sign=hello, rank=4, at=utc(2024, 5, 1, 9, 5))
    attempt_graded(learner=hamlet, sign=bye, rank=2, at=utc(2024, 5, 1, 9, 10))
    cards = {c.sign_id: c for c in ReviewCard.objects.filter(learner=hamlet)}
    assert set(cards) == {hello.id, bye.id}
    assert (cards[hello.id].reps, cards[bye.id].reps) == (2, 1)


def test_mastery_needs_rank_three_or_better_on_three_different_local_days(curriculum, ophelia):
    # Ophelia is in New York: 03:00 UTC is still the previous evening there.
    (hello,) = signs("hello")
    attempt_graded(learner=ophelia, sign=hello, rank=1, at=utc(2024, 5, 1, 15))  # May 1
    attempt_graded(learner=ophelia, sign=hello, rank=2, at=utc(2024, 5, 2, 3))  # still May 1 in NY
    attempt_graded(learner=ophelia, sign=hello, rank=4, at=utc(2024, 5, 2, 15))  # May 2, rank 4: no
    attempt_graded(learner=ophelia, sign=hello, rank=3, at=utc(2024, 5, 3, 15))  # May 3
    sp = SignProgress.objects.get(learner=ophelia, sign=hello)
    assert sp.mastery_days == ["2024-05-01", "2024-05-03"]
    assert sp.mastered_at is None

    attempt_graded(learner=ophelia, sign=hello, rank=1, at=utc(2024, 5, 5, 0, 30))  # May 4 in NY
    sp.refresh_from_db()
    assert sp.mastery_days == ["2024-05-01", "2024-05-03", "2024-05-04"]
    assert sp.mastered_at == utc(2024, 5, 5, 0, 30)
    assert LearnerProgress.objects.get(learner=ophelia).signs_mastered == 1


def test_badges_first_sign_unit_perfect_lesson_and_first_review(curriculum, hamlet):
    lesson1 = ["hello", "bye", "please", "thankyou", "yes", "no"]
    lesson2 = ["finish", "wait", "go", "stay", "look", "shhh", "fine"]
    start = utc(2024, 5, 1, 9)
    attempt_graded(learner=hamlet, sign=signs("hello")[0], rank=None, at=start)
    assert not Badge.objects.filter(learner=hamlet).exists()
    for i, sign in enumerate(signs(*lesson1)):
        attempt_graded(learner=hamlet, sign=sign, rank=2, at=start + timedelta(minutes=i + 1))
    # hello failed first, so lesson 1 is complete but not perfect.
    assert set(Badge.objects.filter(learner=hamlet).values_list("code", flat=True)) == {"first-sign"}
    for i, sign in enumerate(signs(*lesson2)):
        attempt_graded(learner=hamlet, sign=sign, rank=5, at=start + timedelta(minutes=20 + i))
    codes = set(Badge.objects.filter(learner=hamlet).values_list("code", flat=True))
    assert codes == {"first-sign", "signs-10", "perfect-lesson", "unit-first-words"}

    attempt_graded(
        learner=hamlet, sign=signs("hello")[0], rank=1, at=start + timedelta(hours=2), is_review=True
    )
    assert Badge.objects.filter(learner=hamlet, code="first-review").exists()
    assert Badge.objects.get(learner=hamlet, code="signs-10").earned_at == start + timedelta(minutes=23)


def snapshot(learner) -> dict:
    """Every derived progress value of a learner, in comparable form."""

    def rows(model, order, exclude=("id",)):
        return [
            {k: v for k, v in row.items() if k not in exclude}
            for row in model.objects.filter(learner=learner).order_by(*order).values()
        ]

    return {
        "progress": rows(LearnerProgress, ["learner_id"], exclude=("updated_at",)),
        "days": rows(DailyActivity, ["date"]),
        "signs": rows(SignProgress, ["sign_id"]),
        "cards": rows(ReviewCard, ["sign_id"]),
        "badges": rows(Badge, ["code"]),
    }


def test_recompute_from_history_equals_the_incrementally_kept_progress(curriculum, hamlet):
    """45 days of varied practice, a move from London to Tokyo, reviews and a missed week."""
    names = ["hello", "bye", "please", "thankyou", "yes", "no", "finish", "wait", "go", "stay", "look"]
    pool = signs(*names)
    ranks = [1, 2, None, 3, 7, 1, None, 2, 10, 1, 4]
    hamlet.time_zone = "Europe/London"
    hamlet.save()
    n = 0
    for day in range(45):
        if 20 <= day < 27:
            continue  # a missed week: the streak breaks
        if day == 30:
            hamlet.time_zone = "Asia/Tokyo"
            hamlet.save()
        for k in range(1 + day % 3):
            at = utc(2024, 3, 1, 22, 30) + timedelta(days=day, minutes=40 * k)  # crosses midnight in London
            attempt_graded(
                learner=hamlet,
                sign=pool[n % len(pool)],
                rank=ranks[n % len(ranks)],
                at=at,
                is_review=day > 35,
            )
            n += 1
    incremental = snapshot(hamlet)
    assert incremental["progress"][0]["attempts"] == n
    assert incremental["progress"][0]["streak_longest"] >= 7

    progress_recompute(learner=hamlet)
    assert snapshot(hamlet) == incremental

    # The command does the same for everyone, and wipes stale derived rows.
    LearnerProgress.objects.filter(learner=hamlet).update(xp_total=0, streak_longest=0)
    DailyActivity.objects.filter(learner=hamlet, date=date(2024, 3, 2)).delete()
    call_command("recompute_progress", verbosity=0)
    assert snapshot(hamlet) == incremental


def test_seed_demo_creates_a_learner_whose_progress_matches_a_recompute(curriculum):
    from accounts.models import Learner

    call_command("seed_demo", username="demo", password="demo-pass-123", days=12, verbosity=0)
    learner = Learner.objects.get(user__username="demo")
    before = snapshot(learner)
    assert before["progress"][0]["attempts"] == learner.attempts.count() > 12
    assert before["progress"][0]["streak_current"] >= 10  # the last ten days are unbroken
    call_command("recompute_progress", learner=[learner.pk], verbosity=0)
    assert snapshot(learner) == before


def graded_in_practice(attempt, *, rank: int | None) -> None:
    """What practice's grading does: a result with no XP yet, then attempt_graded, in one transaction."""
    from django.db import transaction

    from practice.models import Attempt, AttemptResult
    from practice.signals import attempt_graded

    unpriced = {"xp": 0, "top10": [], "detected": {}, "model_version": "t"}
    with transaction.atomic():
        result = AttemptResult.objects.create(attempt=attempt, passed=rank is not None, rank=rank, **unpriced)
        attempt_graded.send(sender=Attempt, attempt=attempt, result=result)


@pytest.mark.parametrize(("rank", "xp"), [(1, 20), (3, 15), (10, 10), (None, 2)])
def test_grading_signal_prices_the_result_and_counts_it_in_the_same_transaction(curriculum, hamlet, rank, xp):
    """The receiver progress connects in its AppConfig.ready prices the result by the rule book and
    counts it, inside grading's transaction."""
    from practice.models import Attempt, AttemptResult

    (hello,) = signs("hello")
    attempt = Attempt.objects.create(learner=hamlet, sign=hello, status=Attempt.Status.GRADED)
    graded_in_practice(attempt, rank=rank)

    assert AttemptResult.objects.get(pk=attempt.pk).xp == xp
    assert LearnerProgress.objects.get(learner=hamlet).xp_total == xp
    assert ProgressEvent.objects.get(attempt=attempt).xp == xp


def test_a_receiver_that_fails_undoes_the_grade_with_it(curriculum, hamlet, monkeypatch):
    from practice.models import Attempt, AttemptResult

    def broken(**_):
        raise RuntimeError("progress is down")

    monkeypatch.setattr("progress.services.progress_record_attempt", broken)
    (hello,) = signs("hello")
    attempt = Attempt.objects.create(learner=hamlet, sign=hello)
    with pytest.raises(RuntimeError):
        graded_in_practice(attempt, rank=1)
    assert not AttemptResult.objects.filter(pk=attempt.pk).exists()
