"""The seam through which grading causes work above practice, without importing it.

`attempt_graded` is sent inside the transaction that stores a graded attempt's result, with
`attempt` (locked, learner/sign/phrase loaded) and `result` (its new AttemptResult), once per
attempt. A receiver runs in that same transaction: what it writes commits or rolls back with the
result, and an exception it raises undoes the grade (the task retries). progress connects the
receiver that prices the result in XP and counts it (progress/apps.py).
"""

from django.dispatch import Signal

attempt_graded = Signal()
