"""Reads of a learner's progress."""

from accounts.models import Learner
from practice.models import AttemptResult


def learner_passed_sign_ids(*, learner: Learner) -> set[int]:
    """Ids of the signs this learner has passed at least once."""
    return set(
        AttemptResult.objects.filter(attempt__learner=learner, passed=True)
        .values_list("attempt__sign_id", flat=True)
        .distinct()
    )
