"""Stored progress: one event per graded attempt, plus aggregates kept up to date incrementally.

Everything except ProgressEvent can be rebuilt from the attempt history (`manage.py
recompute_progress`); ProgressEvent records the two facts history alone cannot give back: that the
attempt was counted (idempotency) and the time zone the learner was in when practising.
"""

from django.conf import settings
from django.db import models

from accounts.models import Learner
from lessons.models import Phrase, Sign
from practice.models import Attempt


class ProgressEvent(models.Model):
    """A graded attempt as counted for progress; the primary key makes counting idempotent."""

    attempt = models.OneToOneField(
        Attempt, on_delete=models.CASCADE, primary_key=True, related_name="progress_event"
    )
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="progress_events")
    # The attempt's target: one sign, or a phrase whose signs each count once (the result's verdicts).
    sign = models.ForeignKey(Sign, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    phrase = models.ForeignKey(Phrase, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    xp = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    is_review = models.BooleanField(default=False)
    practised_at = models.DateTimeField(help_text="When the learner made the attempt (its day counts).")
    graded_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, help_text="The learner's time zone when practising.")
    local_date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["learner", "practised_at"])]

    def __str__(self) -> str:
        return f"{self.learner_id}: {self.sign_id} +{self.xp} XP on {self.local_date}"


class LearnerProgress(models.Model):
    """Headline numbers of one learner, kept up to date on every graded attempt."""

    learner = models.OneToOneField(
        Learner, on_delete=models.CASCADE, primary_key=True, related_name="progress"
    )
    xp_total = models.PositiveIntegerField(default=0)
    level = models.PositiveSmallIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    passes = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    signs_attempted = models.PositiveSmallIntegerField(default=0)
    signs_passed = models.PositiveSmallIntegerField(default=0)
    signs_mastered = models.PositiveSmallIntegerField(default=0)
    streak_current = models.PositiveIntegerField(default=0, help_text="Streak ending on the last active day.")
    streak_longest = models.PositiveIntegerField(default=0)
    streak_freezes = models.PositiveSmallIntegerField(default=0)
    streak_freezes_used = models.PositiveIntegerField(default=0)
    frozen_dates = models.JSONField(default=list, blank=True)
    last_active_date = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Progress of {self.learner_id}: {self.xp_total} XP"


class DailyActivity(models.Model):
    """Practice on one local day of one learner (heatmap, XP over time, daily goal, streak)."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="daily_activity")
    date = models.DateField()
    time_zone = models.CharField(max_length=64)
    xp = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    passes = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["learner_id", "date"]
        constraints = [models.UniqueConstraint(fields=["learner", "date"], name="one_activity_row_per_day")]

    def __str__(self) -> str:
        return f"{self.learner_id} on {self.date}: {self.xp} XP"


class SignProgress(models.Model):
    """One learner's record on one sign (pass rate, best rank, mastery)."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="sign_progress")
    sign = models.ForeignKey(Sign, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    passes = models.PositiveIntegerField(default=0)
    rank_sum = models.PositiveIntegerField(default=0, help_text="Sum of ranks, a miss counted as 11.")
    best_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    last_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    last_passed = models.BooleanField(default=False)
    first_attempt_at = models.DateTimeField()
    first_try_passed = models.BooleanField(default=False)
    first_passed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField()
    mastery_days = models.JSONField(
        default=list, blank=True, help_text="ISO local dates with a rank <= 3 pass."
    )
    mastered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "sign"], name="one_sign_progress_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} on {self.sign_id}: {self.passes}/{self.attempts}"


class PhraseProgress(models.Model):
    """One learner's record on one phrase: tries, passes, the days it passed and mastery."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="phrase_progress")
    phrase = models.ForeignKey(Phrase, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    passes = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField()
    last_passed = models.BooleanField(default=False)
    first_passed_at = models.DateTimeField(null=True, blank=True)
    pass_days = models.JSONField(default=list, blank=True, help_text="ISO local dates with a pass.")
    mastered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "phrase"], name="one_phrase_progress_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} on phrase {self.phrase_id}: {self.passes}/{self.attempts}"


class ReviewCard(models.Model):
    """The FSRS card of one learner x sign, created at the first graded attempt at the sign."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="review_cards")
    sign = models.ForeignKey(Sign, on_delete=models.CASCADE, related_name="+")
    state = models.PositiveSmallIntegerField(help_text="fsrs.State: 1 learning, 2 review, 3 relearning")
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "sign"], name="one_review_card_per_sign")]
        indexes = [models.Index(fields=["learner", "due"])]

    def __str__(self) -> str:
        return f"Card {self.learner_id} x {self.sign_id} due {self.due:%Y-%m-%d %H:%M}"


class Badge(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="badges")
    code = models.CharField(max_length=80)
    earned_at = models.DateTimeField()

    class Meta:
        ordering = ["earned_at", "code"]
        constraints = [models.UniqueConstraint(fields=["learner", "code"], name="one_badge_per_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.learner_id})"


class WeeklyDigest(models.Model):
    """A weekly digest sent to an account; the unique week makes a retried task send nothing twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_digests"
    )
    week_start = models.DateField(help_text="Monday (UTC) of the week the digest was sent in.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="one_digest_per_week")]

    def __str__(self) -> str:
        return f"Digest for {self.user_id}, week of {self.week_start}"
