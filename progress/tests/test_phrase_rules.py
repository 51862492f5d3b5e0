"""The rule book for phrases: XP, pass, each sign's review once, mastery (tables of cases)."""

from datetime import date as D

import pytest

from progress.rules import (
    phrase_is_mastered,
    phrase_passed,
    phrase_sign_rank,
    phrase_sign_reviews,
    phrase_xp,
)


def verdicts(*pairs):
    return [{"sign": sign, "rank": rank} for sign, rank in pairs]


@pytest.mark.parametrize(
    ("rank", "as_review"),
    [(1, 1), (3, 3), (10, 10), (11, None), (250, None), (None, None), (0, None)],
)
def test_a_phrase_signs_rank_counts_like_a_single_signs_top10(rank, as_review):
    assert phrase_sign_rank(rank) == as_review


PHRASE_CASES = [
    # (case, verdicts, passed, xp): each sign's single-sign XP (20/15/10/2), +10 when all are found
    ("all first", verdicts(("dad", 1), ("go", 1), ("bed", 1)), True, 3 * 20 + 10),
    ("mixed ranks", verdicts(("dad", 2), ("go", 7), ("bed", 1)), True, 15 + 10 + 20 + 10),
    ("one missed", verdicts(("dad", 1), ("milk", 40), ("bed", 1)), False, 20 + 2 + 20),
    ("rank 11 is missed", verdicts(("dad", 11), ("where", 1)), False, 2 + 20),
    ("all missed", verdicts(("dad", 90), ("where", 12)), False, 2 + 2),
    ("nothing graded", [], False, 0),
]


@pytest.mark.parametrize(
    ("verdicts_", "passed", "xp"), [c[1:] for c in PHRASE_CASES], ids=[c[0] for c in PHRASE_CASES]
)
def test_phrase_passes_when_every_sign_is_found_and_earns_each_signs_xp_plus_a_bonus(verdicts_, passed, xp):
    assert phrase_passed(verdicts_) is passed
    assert phrase_xp(verdicts_) == xp


REVIEW_CASES = [
    ("each sign once, in order", verdicts(("dad", 2), ("go", 14), ("bed", 1)), [("dad", 2), ("go", None), ("bed", 1)]),
    ("a repeated sign counts once, at its worse rank", verdicts(("dad", 1), ("go", 3), ("dad", 4)), [("dad", 4), ("go", 3)]),
    ("a miss anywhere is a miss", verdicts(("dad", 1), ("dad", 30)), [("dad", None)]),
    ("a miss first stays a miss", verdicts(("dad", 30), ("dad", 1)), [("dad", None)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("verdicts_", "reviews"), [c[1:] for c in REVIEW_CASES], ids=[c[0] for c in REVIEW_CASES]
)
def test_a_phrase_is_one_review_of_each_of_its_signs(verdicts_, reviews):
    assert phrase_sign_reviews(verdicts_) == reviews


@pytest.mark.parametrize(
    ("days", "mastered"),
    [
        ([], False),
        ([D(2024, 5, 1)], False),
        ([D(2024, 5, 1), D(2024, 5, 1), D(2024, 5, 2)], False),  # two different days
        ([D(2024, 5, 1), D(2024, 5, 3), D(2024, 5, 9)], True),
    ],
)
def test_a_phrase_is_mastered_once_passed_on_three_different_days(days, mastered):
    assert phrase_is_mastered(days) is mastered
