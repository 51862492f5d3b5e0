"""Phrase attempts in progress: one attempt, one review of each sign (never twice), streak, XP, phrase
mastery, and a recompute from history that gives the same numbers."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from lessons.models import Phrase, Sign
from progress.models import LearnerProgress, PhraseProgress, ReviewCard, SignProgress
from progress.rules import phrase_xp
from progress.services import progress_recompute, progress_record_attempt

from .history import attempt_graded, phrase_attempt_graded, utc
from .test_services import snapshot

pytestmark = pytest.mark.django_db


def phrase(slug: str) -> Phrase:
    return Phrase.objects.get(slug=slug)


def test_a_phrase_attempt_is_one_attempt_and_one_review_of_each_sign(curriculum, hamlet):
    dad_go_bed = phrase("dad-go-bed")
    attempt = phrase_attempt_graded(
        learner=hamlet, phrase=dad_go_bed, ranks=[2, 14, 1], at=utc(2024, 5, 1, 9)
    )

    progress = LearnerProgress.objects.get(learner=hamlet)
    assert (progress.attempts, progress.passes) == (1, 0)  # "go" was not in its span's top-10
    assert progress.xp_total == attempt.result.xp == 15 + 2 + 20
    assert (progress.signs_attempted, progress.signs_passed) == (3, 2)
    by_sign = {sp.sign.name: sp for sp in SignProgress.objects.filter(learner=hamlet).select_related("sign")}
    assert {name: (sp.attempts, sp.passes, sp.best_rank) for name, sp in by_sign.items()} == {
        "dad": (1, 1, 2),
        "go": (1, 0, None),
        "bed": (1, 1, 1),
    }
    assert by_sign["go"].rank_sum == 11  # a miss counts as rank 11, as for a sign attempt
    assert sorted(ReviewCard.objects.filter(learner=hamlet).values_list("reps", flat=True)) == [1, 1, 1]
    assert progress.streak_current == 1  # the day counts for the streak

    progress_record_attempt(attempt=attempt, result=attempt.result)  # a task retry counts nothing

    assert LearnerProgress.objects.get(learner=hamlet).attempts == 1
    assert sorted(SignProgress.objects.filter(learner=hamlet).values_list("attempts", flat=True)) == [1, 1, 1]
    assert sorted(ReviewCard.objects.filter(learner=hamlet).values_list("reps", flat=True)) == [1, 1, 1]


def test_a_sign_signed_twice_in_a_phrase_is_reviewed_once(curriculum, hamlet):
    unit = phrase("dad-go-bed").unit
    dad, go = Sign.objects.get(name="dad"), Sign.objects.get(name="go")
    twice = Phrase.objects.create(unit=unit, slug="dad-go-dad", order=50, gloss="DAD GO DAD", meaning="test")
    for position, sign in enumerate((dad, go, dad), start=1):
        twice.items.create(sign=sign, position=position)

    attempt = phrase_attempt_graded(learner=hamlet, phrase=twice, ranks=[1, 1, 5], at=utc(2024, 5, 1, 9))

    assert attempt.result.xp == phrase_xp(attempt.result.signs) == 20 + 20 + 10 + 10
    dad_progress = SignProgress.objects.get(learner=hamlet, sign=dad)
    assert (dad_progress.attempts, dad_progress.rank_sum, dad_progress.best_rank) == (1, 5, 5)
    assert ReviewCard.objects.get(learner=hamlet, sign=dad).reps == 1


def test_phrase_mastery_needs_passes_on_three_days_and_shows_on_the_dashboard(curriculum, hamlet, client):
    dad_go_bed = phrase("dad-go-bed")
    start = utc(2024, 5, 1, 9)
    phrase_attempt_graded(learner=hamlet, phrase=dad_go_bed, ranks=[1, 2, 3], at=start)
    phrase_attempt_graded(learner=hamlet, phrase=dad_go_bed, ranks=[1, 2, 3], at=start + timedelta(hours=2))
    phrase_attempt_graded(learner=hamlet, phrase=dad_go_bed, ranks=[1, 30, 3], at=start + timedelta(days=1))
    record = PhraseProgress.objects.get(learner=hamlet, phrase=dad_go_bed)
    assert (record.attempts, record.passes, len(record.pass_days), record.mastered_at) == (3, 2, 1, None)

    phrase_attempt_graded(learner=hamlet, phrase=dad_go_bed, ranks=[4, 2, 3], at=start + timedelta(days=2))
    phrase_attempt_graded(learner=hamlet, phrase=dad_go_bed, ranks=[1, 1, 1], at=start + timedelta(days=5))

    record.refresh_from_db()
    assert record.mastered_at == start + timedelta(days=5)
    client.force_login(hamlet.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'<span data-testid="phrases-mastered">1</span> of {Phrase.objects.count()} mastered' in page
    assert "DAD GO BED" in page and '<span class="ok">mastered</span>' in page


def test_recompute_with_phrase_attempts_equals_the_incremental_progress(curriculum, hamlet):
    dad_go_bed, dad_where = phrase("dad-go-bed"), phrase("dad-where")
    dad, bed = Sign.objects.get(name="dad"), Sign.objects.get(name="bed")
    start = utc(2024, 3, 1, 22, 30)
    for day in range(6):
        at = start + timedelta(days=day)
        attempt_graded(learner=hamlet, sign=dad, rank=[1, None, 4][day % 3], at=at)
        phrase_attempt_graded(
            learner=hamlet, phrase=dad_go_bed, ranks=[day + 1, 3, 12 - day], at=at + timedelta(minutes=5)
        )
        if day % 2:
            phrase_attempt_graded(
                learner=hamlet, phrase=dad_where, ranks=[2, 8 * day], at=at + timedelta(minutes=9)
            )
        attempt_graded(learner=hamlet, sign=bed, rank=2, at=at + timedelta(minutes=20))  # fmt: skip
    incremental = snapshot(hamlet)
    phrases = list(PhraseProgress.objects.filter(learner=hamlet).order_by("phrase_id").values())
    assert incremental["progress"][0]["attempts"] == 6 * 3 + 3
    assert next(s for s in incremental["signs"] if s["sign_id"] == dad.id)["attempts"] == 6 + 6 + 3

    progress_recompute(learner=hamlet)

    assert snapshot(hamlet) == incremental
    recomputed = list(PhraseProgress.objects.filter(learner=hamlet).order_by("phrase_id").values())
    strip = [{k: v for k, v in row.items() if k != "id"} for row in phrases]
    assert [{k: v for k, v in row.items() if k != "id"} for row in recomputed] == strip
    call_command("recompute_progress", verbosity=0)
    assert snapshot(hamlet) == incremental


def test_the_csv_export_names_the_phrase_of_a_phrase_attempt(curriculum, hamlet):
    from progress.services import learner_export_rows

    phrase_attempt_graded(learner=hamlet, phrase=phrase("dad-go-bed"), ranks=[1, 2, 3], at=utc(2024, 5, 1, 9))

    header, row = list(learner_export_rows(learner=hamlet))
    values = dict(zip(header, row, strict=True))
    assert (values["sign"], values["unit"], values["passed"], values["rank"]) == (
        "dad-go-bed",
        "Daily Routines and Needs",
        1,
        "",
    )
