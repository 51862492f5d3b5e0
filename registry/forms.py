"""Admin forms: input validation only; the work is done by registry.services."""

import json

from django import forms

from ml.ensemble import COMBINE_MODES

from .models import ModelVersion
from .services.activation import MAX_ENSEMBLE_MEMBERS
from .services.retraining import DEFAULT_TRAIN_PARAMS


class ModelUploadForm(forms.Form):
    file = forms.FileField(
        label="model.tflite",
        help_text="Kaggle ISLR contract: serving_default, inputs [n,543,3] → outputs [250].",
    )
    labels = forms.FileField(
        required=False,
        label="Label map (JSON)",
        help_text="sign → index; leave empty to use the shipped sign_to_prediction_index_map.json.",
    )
    card = forms.FileField(required=False, label="Model card (JSON)")
    version = forms.CharField(
        required=False, max_length=50, help_text="Default: the card's version, or name + hash."
    )
    input_aspect = forms.FloatField(
        required=False,
        min_value=0.1,
        max_value=10,
        label="Input aspect",
        help_text="Width / height of the video the model learnt from (Kaggle ISLR phones: 0.5625); clips "
        "are shown to it as a crop of that shape. Empty: the card's, else landmarks as extracted.",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_card(self):
        upload = self.cleaned_data.get("card")
        if not upload:
            return {}
        try:
            card = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from exc
        if not isinstance(card, dict):
            raise forms.ValidationError("the model card must be a JSON object")
        return card

    def registration(self) -> dict:
        """The cleaned fields as registry.services.versions.model_version_register_upload takes them."""
        data = self.cleaned_data
        kept = {key: data[key] for key in ("card", "version", "notes", "input_aspect")}
        return {"model_file": data["file"], "labels_file": data["labels"], **kept}


class ActivationForm(forms.Form):
    combine = forms.ChoiceField(choices=[(m, m) for m in COMBINE_MODES], initial=COMBINE_MODES[0])
    override = forms.BooleanField(
        required=False,
        label="Override the gate",
        help_text="Activate although it scores worse or is not evaluated.",
    )
    override_reason = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = ModelVersion.objects.order_by("-created_at")
        for i in range(MAX_ENSEMBLE_MEMBERS):
            self.fields[f"model_{i}"] = forms.ModelChoiceField(
                queryset=choices, required=i == 0, label=f"Model {i + 1}" if i else "Model"
            )
            self.fields[f"weight_{i}"] = forms.FloatField(
                min_value=0.0001, initial=1.0, required=False, label="weight"
            )
        models_first = [f"{kind}_{i}" for i in range(MAX_ENSEMBLE_MEMBERS) for kind in ("model", "weight")]
        self.order_fields(models_first + ["combine", "override", "override_reason"])

    def members(self) -> list[tuple[ModelVersion, float]]:
        members = []
        for i in range(MAX_ENSEMBLE_MEMBERS):
            model = self.cleaned_data.get(f"model_{i}")
            if model is not None:
                members.append((model, self.cleaned_data.get(f"weight_{i}") or 1.0))
        return members

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("override") and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", "Say why you override the gate (kept in the activation log).")
        ids = [m.pk for m, _ in self.members()] if not self.errors else []
        if len(ids) != len(set(ids)):
            raise forms.ValidationError("a model appears twice")
        return cleaned


class TrainingStartForm(forms.Form):
    split = forms.ChoiceField(
        choices=[("holdout", "holdout (by signer / by clip)"), ("all", "all sequences")]
    )
    epochs = forms.IntegerField(min_value=1, max_value=2000, initial=300)
    dim = forms.IntegerField(
        min_value=8, max_value=512, required=False, help_text="embedding width (default 128)"
    )
    blocks = forms.IntegerField(
        min_value=1, max_value=8, required=False, help_text="Transformer blocks (default 2)"
    )
    quantize = forms.ChoiceField(
        choices=[("none", "none"), ("float16", "float16"), ("dynamic", "dynamic range")]
    )
    teacher = forms.ModelChoiceField(
        queryset=ModelVersion.objects.order_by("-created_at"),
        required=False,
        help_text="distil from this model's scores (e.g. a multi-signer reference model); empty: no teacher",
    )
    distill = forms.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        initial=DEFAULT_TRAIN_PARAMS["distill"],
        help_text="with a teacher: weight of its scores in the targets (0 = labels only)",
    )
    consistent = forms.BooleanField(
        required=False,
        initial=DEFAULT_TRAIN_PARAMS["consistent"],
        help_text="with a teacher: it scores every augmented variant of a clip, not only the clean clip",
    )
    teacher_aspect = forms.FloatField(
        min_value=0.1,
        max_value=10,
        required=False,
        help_text="width/height of the teacher's training video (Kaggle ISLR phones: 0.5625); "
        "empty: the teacher's registered input aspect, else as extracted",
    )

    def params(self) -> dict:
        params = {key: value for key, value in self.cleaned_data.items() if value not in (None, "")}
        if "teacher" in params:
            params["teacher"] = params["teacher"].version
        return params
