"""The grading constants live in one module; the recogniser's phrase verdicts read them from there."""

from ml import grading, phrase


def test_a_pass_is_a_top_ten_rank_and_a_miss_averages_as_rank_eleven():
    assert (grading.TOP_K, grading.MISSED_RANK) == (10, 11)
    assert phrase.TOP_K is grading.TOP_K
