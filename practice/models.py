import uuid
from pathlib import Path

from django.db import models

from accounts.models import Learner
from lessons.models import Sign


def attempt_video_upload_to(instance: "Attempt", filename: str) -> str:
    # Generated names: concurrent uploads never collide and the path says nothing about the family.
    return f"attempts/video/{uuid.uuid4().hex}{Path(filename).suffix.lower() or '.bin'}"


def attempt_landmarks_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/landmarks/{uuid.uuid4().hex}.parquet"


def attempt_replay_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/replay/{uuid.uuid4().hex}{Path(filename).suffix.lower() or '.mp4'}"


def attempt_thumbnail_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/thumbnail/{uuid.uuid4().hex}.png"


class Attempt(models.Model):
    """One try at one sign: uploaded -> queued -> processing -> graded | failed (DESIGN §5)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        GRADED = "graded", "Graded"
        FAILED = "failed", "Failed"

    class FailureReason(models.TextChoices):
        UNREADABLE_VIDEO = (
            "unreadable_video",
            "We could not read this video. Try recording again or another file.",
        )
        TOO_SHORT = "too_short", "The clip is too short. Sign for at least a second."
        TOO_LONG = "too_long", "The clip is too long. Keep it under 15 seconds, one sign only."
        TOO_LARGE = "too_large", "The file is too large (50 MB at most)."
        NO_PERSON = "no_person", "We could not see a person in the clip. Face the camera in good light."
        NO_HANDS = "no_hands", "We could not see your hands. Step back so both hands are in the picture."
        INTERNAL_ERROR = "internal_error", "Something went wrong on our side. Please try again."

    class Source(models.TextChoices):
        VIDEO = "video", "Video"
        LANDMARKS = "landmarks", "Landmarks"

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="attempts")
    sign = models.ForeignKey(Sign, on_delete=models.PROTECT, related_name="attempts")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.VIDEO)
    is_review = models.BooleanField(default=False, help_text="Made from the review queue.")
    video = models.FileField(upload_to=attempt_video_upload_to, blank=True)
    landmarks = models.FileField(upload_to=attempt_landmarks_upload_to, blank=True)
    # Skeleton-only renders (no camera pixels), kept after the raw clip is purged.
    replay = models.FileField(
        upload_to=attempt_replay_upload_to,
        blank=True,
        help_text="Side-by-side skeleton mp4: attempt | tutorial.",
    )
    thumbnail = models.FileField(upload_to=attempt_thumbnail_upload_to, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED, db_index=True)
    failure_reason = models.CharField(max_length=20, choices=FailureReason.choices, blank=True)
    failure_detail = models.CharField(max_length=300, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    task_runs = models.PositiveSmallIntegerField(default=0, help_text="How often a worker started on it.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The grading claim (practice.claims): which process holds it and when it last showed it was alive.
    worker = models.CharField(max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    video_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "-created_at"])]

    def __str__(self) -> str:
        return f"Attempt {self.pk} at {self.sign} ({self.status})"

    @property
    def failure_message(self) -> str:
        if not self.failure_reason:
            return ""
        return self.FailureReason(self.failure_reason).label


class AttemptResult(models.Model):
    """The grade of one attempt; one row per attempt (the primary key enforces it)."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, primary_key=True, related_name="result")
    passed = models.BooleanField()
    rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Rank of the intended sign, 1-10."
    )
    xp = models.PositiveSmallIntegerField()
    top10 = models.JSONField(help_text='[{"sign": str, "index": int, "score": float}, ...] best first')
    detected = models.JSONField(
        help_text="Share of frames with each part: face, left_hand, pose, right_hand."
    )
    n_frames = models.PositiveIntegerField(default=0)
    model_version = models.CharField(max_length=200)
    graded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"Result of attempt {self.attempt_id}: rank {self.rank}"
