"""The model registry (DESIGN §3): model versions, the active configuration and its history, the
fixed evaluation sets and their runs, retraining runs, and admin labels for practice attempts."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ml.ensemble import COMBINE_MEAN, COMBINE_PRODUCT


def model_upload_to(instance: "ModelVersion", filename: str) -> str:
    # One folder per file content: the folder is immutable, so per-process caches keyed by it stay valid.
    return f"registry/models/{instance.sha256[:16]}/model.tflite"


def labels_upload_to(instance: "ModelVersion", filename: str) -> str:
    return f"registry/models/{instance.sha256[:16]}/sign_to_prediction_index_map.json"


class ModelVersion(models.Model):
    """One Kaggle-contract `.tflite` with its label map and model card."""

    class Source(models.TextChoices):
        SHIPPED = "shipped", "Shipped with SignLearn"
        UPLOADED = "uploaded", "Uploaded by an admin"
        TRAINED = "trained", "Trained here"

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    version = models.CharField(max_length=50, unique=True, help_text="Recorded on every result it grades.")
    name = models.CharField(max_length=120, blank=True)
    file = models.FileField(upload_to=model_upload_to, max_length=200)
    labels = models.FileField(upload_to=labels_upload_to, max_length=200)
    card = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    input_aspect = models.FloatField(
        null=True,
        blank=True,
        help_text="Width / height of the video the model learnt from (Kaggle ISLR phones: 0.5625): each "
        "clip is shown to it as a centre crop of that shape. Empty: landmarks as extracted. Set at "
        "registration and fixed, because its evaluations depend on it.",
    )
    size_bytes = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(
        default=dict, blank=True, help_text="Latest gate evaluation: {eval_set, n, top1, top10}."
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.version


class ActiveConfiguration(models.Model):
    """One activation of what grades attempts: one model, or an ensemble whose probabilities are combined.

    A row is written per activation and never changed afterwards except `is_active`, so the table is
    the activation log: monitoring maps a time to the configuration then active, and rolling back
    activates a copy of the previous row.
    """

    class Combine(models.TextChoices):
        MEAN = COMBINE_MEAN, "Weighted average of probabilities"
        PRODUCT = COMBINE_PRODUCT, "Weighted product of probabilities"

    combine = models.CharField(max_length=10, choices=Combine.choices, default=Combine.MEAN)
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(db_index=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, help_text="e.g. 'rollback to #3'")
    override_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was activated although the gate said it is worse."
    )

    class Meta:
        ordering = ["-activated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_configuration"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.label}"

    @property
    def label(self) -> str:
        """The version string recorded on results: the model's version, or every member's and its weight."""
        members = list(self.members.all())
        if len(members) == 1:
            return members[0].model_version.version
        parts = "+".join(f"{m.model_version.version}*{m.weight:g}" for m in members)
        return f"ensemble-{self.combine}({parts})"


class ConfigurationMember(models.Model):
    configuration = models.ForeignKey(ActiveConfiguration, on_delete=models.CASCADE, related_name="members")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="memberships")
    weight = models.FloatField(default=1.0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["configuration", "model_version"], name="unique_member"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="member_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.model_version} x {self.weight:g}"


class EvaluationSet(models.Model):
    """A frozen, numbered copy of the evaluation tutorials' landmarks in the Kaggle layout."""

    version = models.PositiveIntegerField(unique=True)
    directory = models.CharField(max_length=200, help_text="Kaggle-layout folder, relative to MEDIA_ROOT.")
    n_sequences = models.PositiveIntegerField(default=0)
    n_signs = models.PositiveIntegerField(default=0)
    tutorial_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Evaluation set v{self.version} ({self.n_sequences} sequences)"


class EvaluationRun(models.Model):
    """One model version scored on one evaluation set (the gate's numbers)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    evaluation_set = models.ForeignKey(EvaluationSet, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    n = models.PositiveIntegerField(default=0)
    top1 = models.FloatField(null=True, blank=True)
    top10 = models.FloatField(null=True, blank=True)
    per_sign = models.JSONField(default=dict, blank=True)
    # [n, 250] float32 .npy in the evaluation set's row order and the canonical sign order, so an
    # ensemble of evaluated members is scored without running any model again.
    probabilities = models.FileField(upload_to="registry/evaluations/", blank=True, max_length=200)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the running claim was taken.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "evaluation_set"], name="one_run_per_model_and_set"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_version} on v{self.evaluation_set.version}: {self.status}"


class TrainingRun(models.Model):
    """Retraining on the exported data, run by the `trainer` worker; progress shown in the admin."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=60, blank=True)
    progress = models.FloatField(default=0.0, help_text="0..1")
    params = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)
    work_dir = models.CharField(max_length=300, blank=True)
    result = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs"
    )
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Training run {self.pk} ({self.status})"


class AttemptLabel(models.Model):
    """An admin's verdict on a practice attempt for training: the sign actually shown, or unusable."""

    attempt = models.OneToOneField(
        "practice.Attempt", on_delete=models.CASCADE, related_name="training_label"
    )
    sign = models.ForeignKey(
        "lessons.Sign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty = not a usable example (never exported).",
    )
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    labelled_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Attempt {self.attempt_id}: {self.sign or 'unusable'}"
