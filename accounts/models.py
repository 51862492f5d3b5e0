import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name] + [
    ("UTC", "UTC")
]


class Learner(models.Model):
    """One person learning on an account (a parent, a sibling); progress is per learner."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learners")
    display_name = models.CharField(max_length=60)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")
    daily_xp_goal = models.PositiveIntegerField(default=50)
    # Explicit, revocable permission to use this learner's landmarks (never video) for training.
    training_consent = models.BooleanField(default=False)
    # The profile the account is currently using; exactly one per account (enforced below).
    is_selected = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_selected=True), name="one_selected_learner_per_user"
            ),
            models.UniqueConstraint(fields=["user", "display_name"], name="unique_learner_name_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.user})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
