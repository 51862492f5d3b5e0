"""A phrase end to end: a real phrase joined from three shared clips, uploaded as landmarks with the
command-line client to a live server, graded by a real worker, printed sign by sign (slow).

Known answer (practice/conftest.py, ml/tests/test_phrase.py): the shipped model finds "dad", "go" and
"bed" each in its own span of the joined clip, within half a second of the true joins.
"""

import pytest
from rest_framework.authtoken.models import Token

from lessons.models import Phrase
from practice import conftest as practice_fixtures
from practice.models import Attempt
from progress.models import LearnerProgress, ReviewCard, SignProgress
from progress.services import progress_recompute
from progress.tests.test_services import snapshot

from .test_client_end_to_end import cli

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]

dad_go_bed_landmarks = practice_fixtures.dad_go_bed_landmarks


def test_a_joined_real_phrase_is_graded_by_the_worker_and_printed_sign_by_sign(
    live_server, celery_worker, hamlet, dad_go_bed_landmarks, tmp_path
):
    from ml.islr_io import write_sequence

    sequence = tmp_path / "dad-go-bed.parquet"
    write_sequence(dad_go_bed_landmarks, sequence)
    phrase = Phrase.objects.get(slug=practice_fixtures.PHRASE_SLUG)
    env = {"SIGNLEARN_URL": live_server.url, "SIGNLEARN_TOKEN": Token.objects.create(user=hamlet.user).key}

    done = cli("submit", str(sequence), "--phrase", str(phrase.pk), env=env)

    assert done.returncode == 0, done.stdout + done.stderr + celery_worker.log()[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["#", "sign", "span", "(s)", "verdict"]
    rows = [line.split() for line in lines[1:4]]
    assert [(row[0], row[1], row[3]) for row in rows] == [("1", "dad", "found,"), ("2", "go", "found,"),
                                                           ("3", "bed", "found,")]  # fmt: skip
    attempt = Attempt.objects.get(learner=hamlet, phrase=phrase)
    assert lines[4] == f"PASSED: every sign found in order (+{attempt.result.xp} XP)"
    assert attempt.source == Attempt.Source.LANDMARKS and attempt.sign is None
    verdicts = attempt.result.signs
    assert [int(row[5]) for row in rows] == [v["rank"] for v in verdicts]
    assert all(a["end_s"] <= b["start_s"] for a, b in zip(verdicts, verdicts[1:], strict=False))

    # One attempt, one review of each sign; a recompute from history gives the same numbers.
    progress = LearnerProgress.objects.get(learner=hamlet)
    assert (progress.attempts, progress.passes, progress.xp_total) == (1, 1, attempt.result.xp)
    assert sorted(SignProgress.objects.filter(learner=hamlet).values_list("sign__name", "attempts")) == [
        ("bed", 1),
        ("dad", 1),
        ("go", 1),
    ]
    assert list(ReviewCard.objects.filter(learner=hamlet).values_list("reps", flat=True)) == [1, 1, 1]
    before = snapshot(hamlet)
    progress_recompute(learner=hamlet)
    assert snapshot(hamlet) == before
