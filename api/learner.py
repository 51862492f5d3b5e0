"""Which learner an API request acts for."""

from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import Learner
from accounts.selectors import learner_active

from .exceptions import NoLearner


class LearnerQuerySerializer(serializers.Serializer):
    learner = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Id of one of this account's learner profiles; defaults to the active profile.",
    )


def request_learner(request) -> Learner:
    """The learner named by `?learner=<id>` (one of the account's own) or else the active one.

    Another account's learner id answers 404, exactly like an id that does not exist.
    """
    query = LearnerQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise ValidationError(query.errors)
    learner_id = query.validated_data.get("learner")
    if learner_id is not None:
        learner = request.user.learners.filter(pk=learner_id).first()
        if learner is None:
            raise NotFound("No such learner profile on this account.")
        return learner
    learner = learner_active(user=request.user)
    if learner is None:
        raise NoLearner()
    return learner
