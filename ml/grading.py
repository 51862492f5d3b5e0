"""The constants of grading, shared by the recogniser, the practice results, progress and monitoring.

TOP_K: a result keeps the intended sign's rank among the model's ten best signs, and an attempt passes
when the sign is among them. A 250-way classifier on a parent's home clip often ranks the right sign
second or fifth rather than first; ten leaves room to reward that with graded feedback (XP and the
review rating fall with the rank) while a wrong sign still fails. It is also the ISLR benchmark's
top-10 metric, so model cards and results speak of the same thing.

MISSED_RANK: only the top ten are stored, so a miss has no true rank. Averages of ranks (weakest signs,
monitoring) count it as the first rank outside the list, TOP_K + 1: worse than any pass, yet bounded,
so one miss does not outweigh many near passes as a rank of 250 would.
"""

TOP_K = 10
MISSED_RANK = TOP_K + 1
