"""What accounts asks of the apps above it, which it never imports: their data about learner profiles.

`learner_data` is sent with `learners` (a queryset of Learner) and `delete` (bool); each receiver
returns a StoredData saying what its app holds for them. With delete=True those learners are about to
be deleted in the current transaction: the app's rows go with them by FK cascade, and a receiver whose
app stores files for them has those deleted once the transaction commits (a rollback keeps them).
practice connects the receiver for attempts and their clips, landmarks and renders (practice/apps.py).
"""

from dataclasses import dataclass

from django.dispatch import Signal


@dataclass(frozen=True)
class StoredData:
    """What an app holds for some learner profiles, as the deletion pages count it."""

    attempts: int = 0
    files: int = 0


learner_data = Signal()
