"""Admin for the model registry: upload with validation, evaluation, activation behind the gate,
one-click rollback, retraining, the attempt review screen and the monitoring charts."""

import json
from pathlib import Path

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from lessons.models import Sign
from ml.inference import ModelValidationError
from practice.models import Attempt
from signlearn.media import media_response

from . import charts, selectors, services
from .forms import ActivationForm, ModelUploadForm, TrainingStartForm
from .models import (
    ActiveConfiguration,
    AttemptLabel,
    ConfigurationMember,
    EvaluationRun,
    EvaluationSet,
    ModelVersion,
    TrainingRun,
)


def require_permission(request, model, action: str) -> None:
    """403 unless the user holds Django's `action` permission (add, change, view) on `model`.

    `admin_view` only checks `is_staff`, and any staff member (a curriculum editor) reaches these
    screens: each custom view and action names the model permission of what it does.
    """
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"):
        raise PermissionDenied


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EvaluationRunInline(ReadOnlyMixin, admin.TabularInline):
    model = EvaluationRun
    extra = 0
    fields = ("evaluation_set", "status", "n", "top1", "top10", "finished_at", "error")
    readonly_fields = fields
    can_delete = False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "name", "source", "status", "gate_top1", "gate_top10", "size_mb", "created_at")
    list_filter = ("source", "status")
    search_fields = ("version", "name", "sha256")
    readonly_fields = (
        "version",
        "name",
        "sha256",
        "input_aspect",
        "size_bytes",
        "source",
        "status",
        "metrics",
        "created_at",
        "card_pretty",
        "plots",
    )
    fields = readonly_fields[:9] + ("notes", "card_pretty", "plots")
    inlines = [EvaluationRunInline]
    actions = ["evaluate_selected", "activate_selected"]
    change_list_template = "admin/registry/modelversion/change_list.html"

    @admin.display(description="gate top-1")
    def gate_top1(self, mv):
        return _pct(mv.metrics.get("top1"))

    @admin.display(description="gate top-10")
    def gate_top10(self, mv):
        return _pct(mv.metrics.get("top10"))

    @admin.display(description="MB")
    def size_mb(self, mv):
        return f"{mv.size_bytes / 1e6:.1f}"

    @admin.display(description="model card")
    def card_pretty(self, mv):
        return format_html("<pre>{}</pre>", json.dumps(mv.card, indent=2))

    @admin.display(description="plots")
    def plots(self, mv):
        names = mv.card.get("plots") or []
        shown = [n for n in names if n in ("curves.png", "part_weights.png")]
        if not shown:
            return "—"
        return format_html_join(
            "",
            '<img src="{}" alt="{}" style="max-width:560px;display:block">',
            ((reverse("admin:registry_modelversion_plot", args=[mv.pk, n]), n) for n in shown),
        )

    def has_add_permission(self, request):
        return False  # uploads go through the validating upload view

    def get_urls(self):
        own = [
            path(
                "upload/", self.admin_site.admin_view(self.upload_view), name="registry_modelversion_upload"
            ),
            path(
                "activate/",
                self.admin_site.admin_view(self.activate_view),
                name="registry_modelversion_activate",
            ),
            path("monitoring/", self.admin_site.admin_view(self.monitoring_view), name="registry_monitoring"),
            path(
                "<int:pk>/plot/<str:name>",
                self.admin_site.admin_view(self.plot_view),
                name="registry_modelversion_plot",
            ),
        ]
        return own + super().get_urls()

    def upload_view(self, request):
        require_permission(request, ModelVersion, "add")
        form = ModelUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    mv = services.model_version_register_upload(
                        model_file=form.cleaned_data["file"],
                        labels_file=form.cleaned_data["labels"],
                        card=form.cleaned_data["card"],
                        version=form.cleaned_data["version"],
                        notes=form.cleaned_data["notes"],
                        input_aspect=form.cleaned_data["input_aspect"],
                    )
                    run = services.evaluation_run_queue(model_version=mv)
            except ModelValidationError as exc:
                form.add_error("file", f"Rejected: {exc.message}")
            else:
                note = "evaluation queued" if run else "no evaluation set yet: build one before activating"
                messages.success(request, f"Registered {mv.version} as a candidate; {note}.")
                return HttpResponseRedirect(reverse("admin:registry_modelversion_change", args=[mv.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a model",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/upload.html", context)

    def activate_view(self, request):
        require_permission(request, ActiveConfiguration, "add")
        initial = {}
        for i, pk in enumerate(request.GET.get("ids", "").split(",")[: services.MAX_ENSEMBLE_MEMBERS]):
            if pk.isdigit():
                initial[f"model_{i}"] = int(pk)
        form = ActivationForm(request.POST or None, initial=initial)
        gate = None
        if request.method == "POST" and form.is_valid():
            members = form.members()
            gate = services.activation_gate(members=members, combine=form.cleaned_data["combine"])
            try:
                configuration = services.configuration_activate(
                    members=members,
                    combine=form.cleaned_data["combine"],
                    user=request.user,
                    override=form.cleaned_data["override"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except services.GateError as exc:
                form.add_error(
                    None,
                    f"The gate refused: {exc.message}. Tick “Override the gate” and give a reason to activate anyway.",
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Activated {configuration.label}; workers switch on their next task."
                )
                return HttpResponseRedirect(reverse("admin:registry_activeconfiguration_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Activate a model or an ensemble",
            "form": form,
            "gate": gate,
            "current": selectors.active_configuration(),
            "evaluation_set": services.evaluation_set_latest(),
            "evaluated": EvaluationRun.objects.filter(
                evaluation_set=services.evaluation_set_latest(), status=EvaluationRun.Status.DONE
            )
            .select_related("model_version")
            .order_by("-top10", "-top1"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/activate.html", context)

    def monitoring_view(self, request):
        require_permission(request, ModelVersion, "view")
        weeks = int(request.GET.get("weeks", "12")) if request.GET.get("weeks", "12").isdigit() else 12
        context = {
            **self.admin_site.each_context(request),
            "title": "Model monitoring",
            "opts": self.model._meta,
            **monitoring_charts(selectors.monitoring_weekly(weeks=max(2, min(weeks, 104)))),
        }
        return TemplateResponse(request, "admin/registry/monitoring.html", context)

    def plot_view(self, request, pk, name):
        require_permission(request, ModelVersion, "view")
        mv = get_object_or_404(ModelVersion, pk=pk)
        if name not in (mv.card.get("plots") or []) or name not in ("curves.png", "part_weights.png"):
            raise Http404
        plot = Path(mv.file.path).parent / name
        if not plot.is_file():
            raise Http404
        return media_response(request, File(open(plot, "rb")))

    @admin.action(description="Evaluate on the latest evaluation set")
    def evaluate_selected(self, request, queryset):
        require_permission(request, EvaluationRun, "add")
        if services.evaluation_set_latest() is None:
            self.message_user(request, "No evaluation set yet: build one first.", messages.ERROR)
            return
        for mv in queryset:
            services.evaluation_run_queue(model_version=mv)
        self.message_user(request, f"Queued evaluation of {queryset.count()} model(s).")

    @admin.action(description="Activate (one = single model, several = ensemble)")
    def activate_selected(self, request, queryset):
        require_permission(request, ActiveConfiguration, "add")
        ids = ",".join(
            str(pk) for pk in queryset.values_list("pk", flat=True)[: services.MAX_ENSEMBLE_MEMBERS]
        )
        return HttpResponseRedirect(f"{reverse('admin:registry_modelversion_activate')}?ids={ids}")


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def monitoring_charts(monitoring: selectors.Monitoring) -> dict:
    """The monitoring page's SVG charts: one line per model version over the weeks."""
    weeks = monitoring.weeks
    labels = [w.strftime("%d %b") for w in weeks]
    versions = monitoring.versions[: len(charts.PALETTE)]

    def series(value_of, band_of=None):
        out = []
        for v in versions:
            values = [value_of(v.weeks[w]) if w in v.weeks else None for w in weeks]
            low = high = None
            if band_of:
                bands = [band_of(v.weeks[w]) if w in v.weeks else None for w in weeks]
                low = [b[0] if b else None for b in bands]
                high = [b[1] if b else None for b in bands]
            out.append(charts.Series(v.version, values, low, high))
        return out

    markers = []
    for moment, label in monitoring.activations:
        offset = (moment.date() - weeks[0]).days / 7
        markers.append((offset, f"activated {label} on {moment:%Y-%m-%d %H:%M}"))
    percent = [0.0, 0.25, 0.5, 0.75, 1.0]
    return {
        "charts": [
            charts.line_chart(
                title="Pass rate (graded attempts)",
                x_labels=labels,
                series=series(lambda s: s.pass_rate),
                y_min=0,
                y_max=1,
                y_ticks=percent,
                markers=markers,
            ),
            charts.line_chart(
                title="Mean rank of the intended sign (not in top-10 = 11)",
                x_labels=labels,
                series=series(lambda s: s.mean_rank),
                y_min=1,
                y_max=11,
                y_ticks=[1, 3, 5, 7, 9, 11],
                y_format="{:.0f}",
                markers=markers,
            ),
            charts.line_chart(
                title="Failed for no hands (share of finished attempts)",
                x_labels=labels,
                series=series(lambda s: s.no_hands_share),
                y_min=0,
                y_max=1,
                y_ticks=percent,
                markers=markers,
            ),
            charts.line_chart(
                title="Failed for no person (share of finished attempts)",
                x_labels=labels,
                series=series(lambda s: s.no_person_share),
                y_min=0,
                y_max=1,
                y_ticks=percent,
                markers=markers,
            ),
            charts.line_chart(
                title="Top-1 confidence: median, band = 25th–75th percentile",
                x_labels=labels,
                series=series(
                    lambda s: s.confidence[1] if s.confidence else None,
                    lambda s: (s.confidence[0], s.confidence[2]) if s.confidence else None,
                ),
                y_min=0,
                y_max=1,
                y_ticks=percent,
                markers=markers,
            ),
        ],
        "histograms": [
            charts.bar_chart(
                title=f"{v.version[:40]}: top-1 confidence",
                labels=[f"{i / 10:.1f}" for i in range(len(v.confidence_histogram))],
                values=v.confidence_histogram,
                color=charts.PALETTE[i % len(charts.PALETTE)],
            )
            for i, v in enumerate(versions)
        ],
        "table": [
            {
                "version": v.version,
                "weeks": [
                    {
                        "week": w,
                        "stats": v.weeks[w],
                    }
                    for w in weeks
                    if w in v.weeks
                ],
            }
            for v in versions
        ],
        "empty": not versions,
    }


class ConfigurationMemberInline(ReadOnlyMixin, admin.TabularInline):
    model = ConfigurationMember
    extra = 0
    fields = ("model_version", "weight")
    readonly_fields = fields
    can_delete = False


@admin.register(ActiveConfiguration)
class ActiveConfigurationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "label_display",
        "is_active",
        "activated_at",
        "activated_by",
        "note",
        "override_reason",
    )
    inlines = [ConfigurationMemberInline]
    actions = ["reactivate"]
    change_list_template = "admin/registry/activeconfiguration/change_list.html"

    @admin.display(description="configuration (recorded as model version)")
    def label_display(self, configuration):
        return configuration.label

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("members__model_version")
            .select_related("activated_by")
        )

    def get_urls(self):
        own = [path("rollback/", self.admin_site.admin_view(self.rollback_view), name="registry_rollback")]
        return own + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        return False  # the activation log is history

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "current": selectors.active_configuration()}
        return super().changelist_view(request, extra_context)

    def rollback_view(self, request):
        if request.method != "POST":
            raise PermissionDenied
        require_permission(request, ActiveConfiguration, "add")
        try:
            configuration = services.configuration_rollback(user=request.user)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Rolled back: {configuration.label} is active again.")
        return HttpResponseRedirect(reverse("admin:registry_activeconfiguration_changelist"))

    @admin.action(description="Activate this configuration again (roll back to it)")
    def reactivate(self, request, queryset):
        require_permission(request, ActiveConfiguration, "add")
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one configuration.", messages.ERROR)
            return
        configuration = services.configuration_rollback(user=request.user, to=queryset.get())
        self.message_user(request, f"{configuration.label} is active again.")


@admin.register(EvaluationSet)
class EvaluationSetAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("version", "n_sequences", "n_signs", "created_at")
    readonly_fields = ("version", "directory", "n_sequences", "n_signs", "tutorial_ids", "created_at")
    change_list_template = "admin/registry/evaluationset/change_list.html"

    def get_urls(self):
        own = [
            path("build/", self.admin_site.admin_view(self.build_view), name="registry_evaluationset_build")
        ]
        return own + super().get_urls()

    def build_view(self, request):
        if request.method != "POST":
            raise PermissionDenied
        require_permission(request, EvaluationSet, "add")
        try:
            evaluation_set, queued = services.evaluation_set_build_and_queue()
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            active = (
                f" The active model ({', '.join(m.version for m in queued)}) is being evaluated on it."
                if queued
                else ""
            )
            messages.success(
                request, f"Built {evaluation_set}.{active} Evaluate candidates on it before activating them."
            )
        return HttpResponseRedirect(reverse("admin:registry_evaluationset_changelist"))


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("model_version", "evaluation_set", "status", "n", "top1_pct", "top10_pct", "finished_at")
    list_filter = ("status", "evaluation_set")
    readonly_fields = (
        "model_version",
        "evaluation_set",
        "status",
        "n",
        "top1",
        "top10",
        "per_sign_table",
        "error",
    )
    fields = readonly_fields

    @admin.display(description="top-1")
    def top1_pct(self, run):
        return _pct(run.top1)

    @admin.display(description="top-10")
    def top10_pct(self, run):
        return _pct(run.top10)

    @admin.display(description="per sign")
    def per_sign_table(self, run):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (sign, s["n"], f"{s['top1']:.0%}", f"{s['top10']:.0%}")
                for sign, s in sorted(run.per_sign.items())
            ),
        )
        return format_html(
            "<table><tr><th>sign</th><th>n</th><th>top-1</th><th>top-10</th></tr>{}</table>", rows
        )


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "status", "stage", "progress_bar", "result", "created_at", "finished_at", "error")
    readonly_fields = (
        "status",
        "stage",
        "progress_bar",
        "params",
        "result",
        "error",
        "work_dir",
        "created_at",
        "started_at",
        "finished_at",
        "log_pre",
    )
    fields = readonly_fields
    change_list_template = "admin/registry/trainingrun/change_list.html"

    @admin.display(description="progress")
    def progress_bar(self, run):
        return format_html(
            '<progress max="1" value="{}"></progress> {}%', run.progress, round(run.progress * 100)
        )

    @admin.display(description="log")
    def log_pre(self, run):
        return format_html('<pre style="max-height:30em;overflow:auto">{}</pre>', run.log)

    def get_urls(self):
        own = [path("start/", self.admin_site.admin_view(self.start_view), name="registry_trainingrun_start")]
        return own + super().get_urls()

    def start_view(self, request):
        require_permission(request, TrainingRun, "add")
        form = TrainingStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = services.training_run_start(user=request.user, params=form.params())
            messages.success(request, f"Training run {run.pk} queued for the trainer worker.")
            return HttpResponseRedirect(reverse("admin:registry_trainingrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Retrain a candidate",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/train.html", context)


@admin.register(AttemptLabel)
class AttemptLabelAdmin(admin.ModelAdmin):
    list_display = ("attempt", "intended_sign", "sign", "labelled_by", "labelled_at")
    autocomplete_fields = ()
    raw_id_fields = ("attempt",)
    readonly_fields = ("labelled_by", "labelled_at")
    change_list_template = "admin/registry/attemptlabel/change_list.html"

    @admin.display(description="intended sign")
    def intended_sign(self, label):
        return label.attempt.sign

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attempt__sign", "sign", "labelled_by")

    def save_model(self, request, obj, form, change):
        services.attempt_label_set(attempt=obj.attempt, sign=obj.sign, user=request.user)

    def get_urls(self):
        own = [path("review/", self.admin_site.admin_view(self.review_view), name="registry_attempt_review")]
        return own + super().get_urls()

    def review_view(self, request):
        """Consented attempts that would not be exported on their own (not passed at rank 1): say which
        sign each really shows, or mark it unusable."""
        require_permission(request, AttemptLabel, "add")
        require_permission(request, AttemptLabel, "change")
        if request.method == "POST":
            attempt = get_object_or_404(
                Attempt, pk=request.POST.get("attempt"), learner__training_consent=True
            )
            name = request.POST.get("sign", "").strip()
            sign = None
            if request.POST.get("verdict") != "unusable":
                sign = Sign.objects.filter(name=name).first()
                if sign is None:
                    messages.error(request, f"Unknown sign {name!r}.")
                    return HttpResponseRedirect(request.get_full_path())
            services.attempt_label_set(attempt=attempt, sign=sign, user=request.user)
            messages.success(request, f"Attempt {attempt.pk}: {sign or 'unusable'}.")
            return HttpResponseRedirect(request.get_full_path())
        attempts = (
            Attempt.objects.filter(learner__training_consent=True, training_label__isnull=True)
            .filter(sign__isnull=False)  # phrase clips hold several signs: not labelled as one
            .exclude(landmarks="")
            .exclude(result__rank=1)
            .filter(status=Attempt.Status.GRADED)
            .select_related("sign", "result")
            .order_by("-created_at")[:50]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Review practice attempts for training",
            "attempts": attempts,
            "signs": Sign.objects.order_by("name").values_list("name", flat=True),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/review.html", context)
