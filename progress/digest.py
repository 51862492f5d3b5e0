"""The weekly digest email: what each learner on an account did in the last seven days."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Learner

from . import rules
from .models import LearnerProgress, ProgressEvent, ReviewCard, SignProgress, WeeklyDigest

User = get_user_model()


@dataclass
class DigestLine:
    learner: Learner
    xp_week: int
    attempts_week: int
    streak: int
    new_signs: list[str]
    due: int


def digest_lines(*, user, now: datetime) -> list[DigestLine]:
    since = now - timedelta(days=7)
    lines = []
    for learner in user.learners.order_by("created_at", "id"):
        week = ProgressEvent.objects.filter(learner=learner, practised_at__gte=since, practised_at__lt=now)
        totals = week.aggregate(xp=Sum("xp"))
        progress = LearnerProgress.objects.filter(learner=learner).first() or LearnerProgress(learner=learner)
        new_signs = SignProgress.objects.filter(
            learner=learner, first_passed_at__gte=since, first_passed_at__lt=now
        ).select_related("sign")
        lines.append(
            DigestLine(
                learner=learner,
                xp_week=totals["xp"] or 0,
                attempts_week=week.count(),
                streak=rules.streak_shown(
                    current=progress.streak_current,
                    freezes=progress.streak_freezes,
                    last_active=progress.last_active_date,
                    today=rules.local_date(now, learner.time_zone),
                ),
                new_signs=sorted(sp.sign.label for sp in new_signs),
                due=ReviewCard.objects.filter(learner=learner, due__lte=now).count(),
            )
        )
    return lines


def digest_send(*, user, now: datetime | None = None) -> bool:
    """Send this week's digest to one account unless it was sent already; True if sent."""
    now = now or timezone.now()
    if not user.email or not user.is_active:
        return False
    lines = digest_lines(user=user, now=now)
    if not any(line.attempts_week or line.due for line in lines):
        return False  # nothing to tell: no practice this week and nothing due
    week_start = now.date() - timedelta(days=now.date().weekday())
    try:
        with transaction.atomic():
            WeeklyDigest.objects.create(user=user, week_start=week_start)
            context = {
                "user": user,
                "lines": lines,
                "week_start": week_start,
                "site_url": getattr(settings, "SIGNLEARN_SITE_URL", "http://localhost:8000"),
            }
            send_mail(
                subject=f"Your SignLearn week: {sum(line.xp_week for line in lines)} XP",
                message=render_to_string("progress/email/weekly_digest.txt", context),
                from_email=None,
                recipient_list=[user.email],
                html_message=render_to_string("progress/email/weekly_digest.html", context),
            )
    except IntegrityError:
        return False  # already sent this week (a retried or duplicated task)
    return True


def digest_send_all(*, now: datetime | None = None) -> int:
    """Send the weekly digest to every account with learners; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for user in (
        User.objects.filter(is_active=True, learners__isnull=False).distinct().order_by("pk").iterator()
    ):
        sent += digest_send(user=user, now=now)
    return sent
