"""Writes for accounts and learner profiles."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .models import Learner

User = get_user_model()


@transaction.atomic
def user_signup(*, username: str, email: str, password: str, display_name: str, time_zone: str) -> Learner:
    """Create an account with its first learner profile, selected."""
    user = User.objects.create_user(username=username, email=email, password=password)
    return learner_create(user=user, display_name=display_name, time_zone=time_zone, select=True)


@transaction.atomic
def learner_create(
    *, user: AbstractBaseUser, display_name: str, time_zone: str = "UTC", select: bool = False
) -> Learner:
    learner = Learner.objects.create(
        user=user,
        display_name=display_name,
        time_zone=time_zone,
        daily_xp_goal=settings.SIGNLEARN_DEFAULT_DAILY_XP_GOAL,
    )
    if select or not user.learners.filter(is_selected=True).exists():
        learner_select(learner=learner)
    return learner


@transaction.atomic
def learner_select(*, learner: Learner) -> Learner:
    """Make `learner` the account's active profile (one at a time)."""
    Learner.objects.filter(user_id=learner.user_id, is_selected=True).exclude(pk=learner.pk).update(
        is_selected=False
    )
    if not learner.is_selected:
        learner.is_selected = True
        learner.save(update_fields=["is_selected"])
    return learner


def learner_update(
    *, learner: Learner, display_name: str, time_zone: str, daily_xp_goal: int, training_consent: bool
) -> Learner:
    learner.display_name = display_name
    learner.time_zone = time_zone
    learner.daily_xp_goal = daily_xp_goal
    learner.training_consent = training_consent
    learner.save()
    return learner
