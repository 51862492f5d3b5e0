import pytest

from progress.rules import LessonState, lesson_is_complete, lesson_states, outcome_for_rank

L, U, C = LessonState.LOCKED, LessonState.UNLOCKED, LessonState.COMPLETED


@pytest.mark.parametrize(
    ("rank", "xp", "rating"),
    [
        (1, 20, "Easy"),
        (2, 15, "Good"),
        (3, 15, "Good"),
        (4, 10, "Hard"),
        (10, 10, "Hard"),
        (None, 2, "Again"),
        (11, 2, "Again"),
    ],
)
def test_outcome_for_rank_follows_the_design_table(rank, xp, rating):
    outcome = outcome_for_rank(rank)
    assert (outcome.xp, outcome.rating) == (xp, rating)


def test_rank_zero_is_a_bug_not_a_grade():
    with pytest.raises(ValueError):
        outcome_for_rank(0)


@pytest.mark.parametrize(
    ("lessons", "passed", "expected"),
    [
        ([[1, 2], [3], [4]], set(), [U, L, L]),
        ([[1, 2], [3], [4]], {1}, [U, L, L]),
        ([[1, 2], [3], [4]], {1, 2}, [C, U, L]),
        ([[1, 2], [3], [4]], {1, 2, 3}, [C, C, U]),
        ([[1, 2], [3], [4]], {1, 2, 3, 4}, [C, C, C]),
        # Completed later lesson stays completed even when an earlier one is not (curriculum re-ordered).
        ([[1, 2], [3], [4]], {3}, [U, C, U]),
        ([[1], [], [2]], {1}, [C, U, L]),
        ([], set(), []),
    ],
)
def test_lesson_states_unlock_in_order(lessons, passed, expected):
    assert lesson_states(lessons, passed) == expected


@pytest.mark.parametrize(
    ("signs", "passed", "complete"),
    [([1, 2], {1, 2}, True), ([1, 2], {1}, False), ([], {1}, False), ([5], {5, 6}, True)],
)
def test_lesson_is_complete_needs_every_sign_passed(signs, passed, complete):
    assert lesson_is_complete(signs, passed) is complete
