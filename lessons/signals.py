"""What lessons announces to the apps above it, which it never imports.

`tutorial_check_requested` is sent when a tutorial clip is stored, replaced, or an admin asks for a
re-check, with `tutorial` (the saved TutorialVideo), possibly inside a transaction. The check runs the
clip through the grading pipeline, which is practice's: practice connects the receiver that queues
it once the row is committed (practice/apps.py).
"""

from django.dispatch import Signal

tutorial_check_requested = Signal()
