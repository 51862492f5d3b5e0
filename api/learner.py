"""Which learner an API request acts for."""

from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS

from accounts.models import Learner
from accounts.selectors import learner_active, reads_other_families

from .exceptions import NoLearner


class LearnerQuerySerializer(serializers.Serializer):
    learner = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of one of this account's learner profiles; defaults to the active profile.",
    )


def request_learner(request) -> Learner:
    """The learner named by `?learner=<id>` or else the account's active one.

    The account's own profiles are readable and writable. Staff holding accounts.view_learner may read
    any learner's figures but never act for them (403); for everyone else, staff status alone included,
    another account's id is 404, exactly like an id that does not exist, so ids reveal nothing.
    """
    query = LearnerQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    learner_id = query.validated_data.get("learner")
    if learner_id is not None:
        learner = Learner.objects.filter(pk=learner_id).first()
        if learner is not None and learner.user_id == request.user.pk:
            return learner
        if learner is not None and reads_other_families(user=request.user):
            if request.method not in SAFE_METHODS:
                raise PermissionDenied("Staff can read other accounts' learners but not act for them.")
            return learner
        raise NotFound("No such learner profile on this account.")
    learner = learner_active(user=request.user)
    if learner is None:
        raise NoLearner()
    return learner
