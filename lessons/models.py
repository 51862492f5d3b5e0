import uuid
from pathlib import Path

from django.db import models

from core.media import SniffedFileField

from .validators import validate_clip_upload


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.title


class Unit(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="units")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["course_id", "order"]
        constraints = [models.UniqueConstraint(fields=["course", "order"], name="unique_unit_order")]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=120)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["unit__order", "order"]
        constraints = [models.UniqueConstraint(fields=["unit", "order"], name="unique_lesson_order")]

    def __str__(self) -> str:
        return self.title


class Sign(models.Model):
    """One of the 250 ISLR signs; `index` is its output index in every Kaggle-contract model."""

    index = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=40, unique=True)
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="signs")
    order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["lesson__unit__order", "lesson__order", "order"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Display name: dataset names are lowercase single tokens, some of them run-together words."""
        return sign_label(self.name)


# ISLR names that are several words run together (or one sign for several words).
COMPOUND_LABELS = {
    "callonphone": "Call (on the phone)",
    "frenchfries": "French fries",
    "glasswindow": "Glass / window",
    "haveto": "Have to",
    "hesheit": "He / she / it",
    "icecream": "Ice cream",
    "minemy": "Mine / my",
    "thankyou": "Thank you",
    "weus": "We / us",
}


def sign_label(name: str) -> str:
    """How a sign's dataset name reads to a parent ("hesheit" -> "He / she / it", "TV" stays)."""
    if name in COMPOUND_LABELS:
        return COMPOUND_LABELS[name]
    return name if name.isupper() else name.replace("_", " ").capitalize()


def tutorial_upload_to(instance: "TutorialVideo", filename: str) -> str:
    # A generated name: two uploads never overwrite each other, and names leak nothing. `filename` is
    # SniffedFileField's ("upload.mp4"): its extension was chosen by the file's bytes.
    return f"tutorials/{instance.sign.index:03d}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class TutorialVideo(models.Model):
    class QAStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        OK = "ok", "Recognised (in top-10)"
        FLAGGED = "flagged", "Flagged: own sign not in top-10"
        FAILED = "failed", "Could not be processed"

    sign = models.ForeignKey(Sign, on_delete=models.CASCADE, related_name="tutorials")
    file = SniffedFileField(upload_to=tutorial_upload_to, validators=[validate_clip_upload])
    title = models.CharField(max_length=120, blank=True)
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the clip comes from (for imports: the file name)."
    )
    duration_s = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    is_evaluation = models.BooleanField(default=False, help_text="Part of the model evaluation set.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Quality check by the recognition pipeline (filled by the worker).
    qa_status = models.CharField(max_length=10, choices=QAStatus.choices, default=QAStatus.PENDING)
    qa_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    qa_top10 = models.JSONField(default=list, blank=True)
    qa_detected = models.JSONField(default=dict, blank=True)
    qa_model_version = models.CharField(max_length=120, blank=True)
    qa_message = models.CharField(max_length=300, blank=True)
    landmarks = models.FileField(upload_to="tutorial-landmarks/", blank=True)

    class Meta:
        ordering = ["sign__index", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=~models.Q(source=""), name="unique_tutorial_source"
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.sign.name} tutorial"


def phrase_video_upload_to(instance: "Phrase", filename: str) -> str:
    # Generated, like tutorial clips: uploads never overwrite each other and the name leaks nothing.
    return f"phrases/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Phrase(models.Model):
    """A short sentence of 2-4 signs in ASL gloss order, practised in one clip after its unit's lessons."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="phrases")
    slug = models.SlugField(unique=True)
    order = models.PositiveIntegerField()
    gloss = models.CharField(max_length=120, help_text="ASL gloss in signing order, e.g. DAD GO BED.")
    meaning = models.CharField(max_length=200, help_text="The English meaning, e.g. “Dad is going to bed.”")
    signs = models.ManyToManyField(Sign, through="PhraseSign", related_name="phrases")
    video = SniffedFileField(
        upload_to=phrase_video_upload_to,
        blank=True,
        validators=[validate_clip_upload],
        help_text="Optional: a clip of the whole phrase, shown after its signs' tutorials.",
    )

    class Meta:
        ordering = ["unit__order", "order"]
        constraints = [models.UniqueConstraint(fields=["unit", "order"], name="unique_phrase_order")]

    def __str__(self) -> str:
        return self.gloss


class PhraseSign(models.Model):
    """One sign of a phrase at its position (1 = signed first); a sign may appear twice."""

    phrase = models.ForeignKey(Phrase, on_delete=models.CASCADE, related_name="items")
    sign = models.ForeignKey(Sign, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["phrase_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["phrase", "position"], name="unique_phrase_sign_position")
        ]

    def __str__(self) -> str:
        return f"{self.phrase} #{self.position}: {self.sign}"
