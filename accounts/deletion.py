"""Data rights: delete a learner profile, or the account with all of its profiles.

What the apps above accounts store for a learner (attempts, their files, progress) is theirs: rows go by
FK cascade with the learner, and each app counts and removes its files through accounts.signals.learner_data.
Rows go in the deleting transaction; files go once it has committed, so a rollback never leaves rows
pointing at deleted files.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from .models import Learner
from .services import learner_select
from .signals import StoredData, learner_data


@dataclass
class DeletionReport:
    learners: int
    attempts: int
    files: int


def learners_stored_data(*, learners: QuerySet[Learner], delete: bool = False) -> StoredData:
    """What the apps store for these learners, summed over their answers to `learner_data`."""
    answers = [data for _, data in learner_data.send(sender=Learner, learners=learners, delete=delete)]
    return StoredData(
        attempts=sum(data.attempts for data in answers if data),
        files=sum(data.files for data in answers if data),
    )


@transaction.atomic
def learner_delete(*, learner: Learner) -> DeletionReport:
    """Delete a learner profile with its attempts, clips, landmarks and progress."""
    stored = learners_stored_data(learners=Learner.objects.filter(pk=learner.pk), delete=True)
    user = learner.user
    was_selected = learner.is_selected
    learner.delete()
    if was_selected:
        other = user.learners.order_by("created_at", "id").first()
        if other is not None:
            learner_select(learner=other)
    return DeletionReport(learners=1, attempts=stored.attempts, files=stored.files)


@transaction.atomic
def account_delete(*, user: AbstractBaseUser) -> DeletionReport:
    """Delete an account with every profile, attempt, clip, landmark file and progress row."""
    stored = learners_stored_data(learners=user.learners.all(), delete=True)
    report = DeletionReport(learners=user.learners.count(), attempts=stored.attempts, files=stored.files)
    user.delete()
    return report
