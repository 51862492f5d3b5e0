"""Reads for accounts and learner profiles."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Learner


def learner_active(*, user: AbstractBaseUser) -> Learner | None:
    """The account's selected learner; repairs an account left with none selected."""
    if not user.is_authenticated:
        return None
    learner = user.learners.filter(is_selected=True).first()
    if learner is None:
        learner = user.learners.order_by("created_at", "id").first()
        if learner is not None:
            from .services import learner_select

            learner_select(learner=learner)
    return learner


def reads_other_families(*, user: AbstractBaseUser) -> bool:
    """Whether `user` may read other accounts' learner profiles and figures (never act for them).

    Staff status alone is not enough: it takes accounts.view_learner, the permission that also shows
    learners in the admin. (Families' clips need practice.view_family_media on top.)
    """
    return user.has_perm("accounts.view_learner")
