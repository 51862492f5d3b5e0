"""The audit side of the owner rule: every read of an attempt's media by someone other than its owner
(a staff member holding practice.view_family_media) leaves a MediaAccess row, visible to superusers."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Attempt, MediaAccess


def media_access_record(*, user: AbstractBaseUser, attempt: Attempt, kind: str) -> MediaAccess | None:
    """Log the read unless `user` owns the attempt (a family watching its own clips is not audited)."""
    if attempt.learner.user_id == user.pk:
        return None
    return MediaAccess.objects.create(
        user=user, username=user.get_username(), attempt=attempt, attempt_number=attempt.pk, kind=kind
    )
