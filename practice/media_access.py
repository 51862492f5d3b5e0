"""Reading an attempt's media under the owner rule, and its audit side: every read by someone other than
its owner (a staff member holding practice.view_family_media) leaves a MediaAccess row, visible to
superusers. Every page that serves an attempt's clip, replay or thumbnail goes through
attempt_media_read, so the rule and its log cannot drift apart between pages."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models.fields.files import FieldFile

from .models import Attempt, MediaAccess
from .selectors import attempt_media_file, attempt_visible


def attempt_media_read(*, user: AbstractBaseUser, attempt_id: int, kind: str) -> FieldFile | None:
    """The stored file of one media kind of an attempt, if `user` may read it (attempt_visible: the
    owner, or staff with the family media permission) and it is still on disk; None otherwise, which
    views answer with 404 whatever the reason, so another family cannot learn that the attempt exists.
    A read by someone other than the owner is logged."""
    attempt = attempt_visible(user=user, attempt_id=attempt_id)
    file = attempt_media_file(attempt=attempt, kind=kind) if attempt else None
    if file is None or not file.storage.exists(file.name):
        return None
    media_access_record(user=user, attempt=attempt, kind=kind)
    return file


def media_access_record(*, user: AbstractBaseUser, attempt: Attempt, kind: str) -> MediaAccess | None:
    """Log the read unless `user` owns the attempt (a family watching its own clips is not audited)."""
    if attempt.learner.user_id == user.pk:
        return None
    return MediaAccess.objects.create(
        user=user, username=user.get_username(), attempt=attempt, attempt_number=attempt.pk, kind=kind
    )
