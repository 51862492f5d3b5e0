"""Which learner profile a request acts for: the one place that answers it, for pages and the API.

Pages show the account's selected profile (`learner_for_page`). The API may name another profile
with `?learner=<id>` and answers in its JSON error shape, so it has its own rules
(`learner_for_api`): the account's own profiles, read-only for staff allowed to read other families,
404 for everyone else.
"""

from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS

from .models import Learner
from .selectors import learner_active, reads_other_families


class NoLearner(exceptions.APIException):
    """The account has no learner profile yet, so there is nothing to show or grade for."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "no_learner"
    default_detail = "This account has no learner profile yet: create one with POST /api/v1/learners/."


class LearnerQuerySerializer(serializers.Serializer):
    learner = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of one of this account's learner profiles; defaults to the active profile.",
    )


def learner_for_page(request) -> Learner | None:
    """The selected learner for a page request: the one LearnerTimeZoneMiddleware already looked up,
    else a fresh lookup. (API views use learner_for_api: token auth happens after the middleware.)"""
    if hasattr(request, "active_learner"):
        return request.active_learner
    return learner_active(user=request.user)


def learner_for_api(request) -> Learner:
    """The learner named by `?learner=<id>` or else the account's active one.

    The account's own profiles are readable and writable. Staff holding accounts.view_learner may read
    any learner's figures but never act for them (403); for everyone else, staff status alone included,
    another account's id is 404, exactly like an id that does not exist, so ids reveal nothing.
    Raises NoLearner (409) when the account has no profile at all.
    """
    query = LearnerQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise exceptions.ValidationError(query.errors)
    learner_id = query.validated_data.get("learner")
    if learner_id is not None:
        learner = Learner.objects.filter(pk=learner_id).first()
        if learner is not None and learner.user_id == request.user.pk:
            return learner
        if learner is not None and reads_other_families(user=request.user):
            if request.method not in SAFE_METHODS:
                raise exceptions.PermissionDenied(
                    "Staff can read other accounts' learners but not act for them."
                )
            return learner
        raise exceptions.NotFound("No such learner profile on this account.")
    learner = learner_active(user=request.user)
    if learner is None:
        raise NoLearner()
    return learner
