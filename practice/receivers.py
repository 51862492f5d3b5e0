"""Practice's side of the seams of the apps below it (connected in practice/apps.py)."""

from django.db import models, transaction

from accounts.signals import StoredData

from .files import files_delete
from .models import Attempt
from .tutorial_qa import tutorial_check_queue


def tutorial_check_requested_receive(sender, *, tutorial, **_) -> None:
    """A tutorial was saved in lessons: check it on the tutorials queue once its row is committed."""
    tutorial_pk = tutorial.pk
    transaction.on_commit(lambda: tutorial_check_queue(tutorial_id=tutorial_pk))


def learner_data_receive(sender, *, learners, delete: bool, **_) -> StoredData:
    """accounts asks what practice stores for some learners: their attempts, and the attempts' files.

    When they are being deleted, the attempt rows go with them by FK cascade and the files (clip,
    landmarks, renders: every FileField) once the deleting transaction has committed.
    """
    attempts = Attempt.objects.filter(learner__in=learners)
    n_attempts = attempts.count()
    if not delete:
        return StoredData(attempts=n_attempts)
    fields = [f.name for f in Attempt._meta.get_fields() if isinstance(f, models.FileField)]
    names = [name for row in attempts.values_list(*fields) for name in row if name]
    transaction.on_commit(lambda: files_delete(names))
    return StoredData(attempts=n_attempts, files=len(names))
