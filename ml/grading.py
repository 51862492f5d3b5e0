"""The constants of grading, shared by the web app and the recogniser (DESIGN §4)."""

TOP_K = 10  # an attempt passes when its sign is among the model's first TOP_K guesses
MISSED_RANK = TOP_K + 1  # the rank a miss counts as when averaging ranks
