"""The constants of grading: how many predictions an attempt is graded on, and the rank a miss counts as."""

TOP_K = 10
MISSED_RANK = TOP_K + 1
