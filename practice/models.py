import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from accounts.models import Learner
from core.media import SniffedFileField
from lessons.models import Phrase, Sign


def attempt_video_upload_to(instance: "Attempt", filename: str) -> str:
    # Generated names: concurrent uploads never collide and the path says nothing about the family.
    # `filename` is SniffedFileField's ("upload.mp4"): its extension was chosen by the file's bytes.
    return f"attempts/video/{uuid.uuid4().hex}{Path(filename).suffix.lower() or '.bin'}"


def attempt_landmarks_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/landmarks/{uuid.uuid4().hex}.parquet"


def attempt_replay_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/replay/{uuid.uuid4().hex}{Path(filename).suffix.lower() or '.mp4'}"


def attempt_thumbnail_upload_to(instance: "Attempt", filename: str) -> str:
    return f"attempts/thumbnail/{uuid.uuid4().hex}.png"


class Attempt(models.Model):
    """One try at one sign or one phrase: uploaded -> queued -> processing -> graded | failed (DESIGN §5).

    Exactly one of `sign` and `phrase` is set (a database constraint): one lifecycle, one queue, one
    media and authorisation path for both kinds, and a phrase attempt is still one row to count once.
    """

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
    sign = models.ForeignKey(Sign, on_delete=models.PROTECT, related_name="attempts", null=True, blank=True)
    phrase = models.ForeignKey(
        Phrase, on_delete=models.PROTECT, related_name="attempts", null=True, blank=True
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.VIDEO)
    is_review = models.BooleanField(default=False, help_text="Made from the review queue.")
    video = SniffedFileField(upload_to=attempt_video_upload_to, blank=True)
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
    queued_at = models.DateTimeField(null=True, blank=True, db_index=True)  # the requeue's ranges
    started_at = models.DateTimeField(null=True, blank=True)
    # The grading claim (practice.claims): which process holds it and when it last showed it was alive.
    worker = models.CharField(max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    video_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "-created_at"])]
        # Staff status alone opens no family's clips: reading another account's media needs this, and
        # every such read is logged (MediaAccess).
        permissions = [("view_family_media", "Can view other families' practice clips and replays")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sign__isnull=False, phrase__isnull=True)
                | models.Q(sign__isnull=True, phrase__isnull=False),
                name="attempt_targets_sign_or_phrase",
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.pk} at {self.phrase or self.sign} ({self.status})"

    @property
    def target_label(self) -> str:
        """What was practised, as a parent reads it: the sign's label or the phrase's gloss."""
        return self.phrase.gloss if self.phrase_id else self.sign.label

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
    signs = models.JSONField(
        default=list,
        blank=True,
        help_text='Phrase attempts: [{"sign", "found", "rank", "start_s", "end_s"}, ...] in signing order.',
    )
    model_version = models.CharField(max_length=200)
    graded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"Result of attempt {self.attempt_id}: rank {self.rank}"


class MediaAccess(models.Model):
    """One read of an attempt's media by someone other than its owner (who, which attempt, when).

    Snapshots of the user name and attempt id keep the record readable after either is deleted.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150)
    attempt = models.ForeignKey(Attempt, on_delete=models.SET_NULL, null=True, related_name="media_accesses")
    attempt_number = models.PositiveIntegerField(help_text="The attempt's id, kept if it is deleted.")
    kind = models.CharField(max_length=12)
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        verbose_name_plural = "media accesses"

    def __str__(self) -> str:
        return f"{self.username} read the {self.kind} of attempt {self.attempt_number}"
