"""Choosing what grades: activating a model or an ensemble behind the evaluation gate, and rolling back.

Each activation writes a new ActiveConfiguration row (the activation log); workers see the change on
their next task (registry.selectors.active_predictor).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ml.ensemble import COMBINE_MEAN, COMBINE_MODES

from ..models import ActiveConfiguration, ConfigurationMember, ModelVersion
from ..selectors import activation_gate, configuration_members

log = logging.getLogger(__name__)

MAX_ENSEMBLE_MEMBERS = 3  # keeps the recorded version string within AttemptResult.model_version


class GateError(Exception):
    """Activation refused by the evaluation gate; `message` gives the numbers."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@transaction.atomic
def configuration_activate(
    *,
    members: list[tuple[ModelVersion, float]],
    combine: str = COMBINE_MEAN,
    user=None,
    override: bool = False,
    override_reason: str = "",
    note: str = "",
) -> ActiveConfiguration:
    """Make this model (or ensemble) the one that grades, if the gate allows it or it is overridden.

    Raises GateError with the gate's numbers when the candidate is worse or unevaluated and there is
    no override. Workers see the change on their next task (registry.selectors.active_predictor).
    """
    if not members:
        raise ValueError("choose at least one model")
    if len(members) > MAX_ENSEMBLE_MEMBERS:
        raise ValueError(f"an ensemble has at most {MAX_ENSEMBLE_MEMBERS} models")
    if len({m.pk for m, _ in members}) != len(members):
        raise ValueError("a model appears twice in the ensemble")
    if combine not in COMBINE_MODES:
        raise ValueError(f"combine must be one of {COMBINE_MODES}")
    if any(w <= 0 for _, w in members):
        raise ValueError("weights must be positive")
    gate = activation_gate(members=members, combine=combine)
    if not gate.passed and not override:
        raise GateError(gate.message)
    return _activate(
        members=members,
        combine=combine,
        user=user,
        note=note,
        override_reason=(override_reason or "override") if not gate.passed else "",
    )


def _activate(*, members, combine, user, note, override_reason) -> ActiveConfiguration:
    ActiveConfiguration.objects.select_for_update().filter(is_active=True).update(is_active=False)
    configuration = ActiveConfiguration.objects.create(
        combine=combine,
        is_active=True,
        activated_at=timezone.now(),
        activated_by=user,
        note=note[:200],
        override_reason=override_reason[:300],
    )
    ConfigurationMember.objects.bulk_create(
        [ConfigurationMember(configuration=configuration, model_version=m, weight=w) for m, w in members]
    )
    member_ids = [m.pk for m, _ in members]
    ModelVersion.objects.filter(pk__in=member_ids).update(status=ModelVersion.Status.ACTIVE)
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exclude(pk__in=member_ids).update(
        status=ModelVersion.Status.RETIRED
    )
    log.info("activated configuration #%s: %s", configuration.pk, configuration.label)
    return configuration


@transaction.atomic
def configuration_rollback(*, user=None, to: ActiveConfiguration | None = None) -> ActiveConfiguration:
    """One click back: activate a copy of the previous configuration (or `to`), without the gate,
    since it graded before."""
    current = ActiveConfiguration.objects.select_for_update().filter(is_active=True).first()
    if to is None:
        history = ActiveConfiguration.objects.order_by("-activated_at", "-id")
        if current is not None:
            history = history.filter(
                Q(activated_at__lt=current.activated_at)
                | Q(activated_at=current.activated_at, id__lt=current.pk)
            )
        to = history.first()
        if to is None:
            raise ValueError("no earlier configuration to roll back to")
    return _activate(
        members=configuration_members(configuration=to),
        combine=to.combine,
        user=user,
        note=f"rollback to #{to.pk}",
        override_reason="",
    )
