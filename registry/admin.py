"""Admin for the model registry: upload with validation, evaluation, activation behind the gate,
one-click rollback and retraining. The screens that read practice attempts (monitoring, the review of
attempts for training) are practice's: practice.admin_monitoring and practice.admin_training."""

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

from core.media import media_response
from ml.inference import ModelValidationError

from . import selectors
from .forms import ActivationForm, ModelUploadForm, TrainingStartForm
from .models import (
    ActiveConfiguration,
    ConfigurationMember,
    EvaluationRun,
    EvaluationSet,
    ModelVersion,
    TrainingRun,
)
from .services.activation import (
    MAX_ENSEMBLE_MEMBERS,
    GateError,
    configuration_activate,
    configuration_rollback,
)
from .services.evaluation import evaluation_run_queue, evaluation_set_build_and_queue
from .services.retraining import training_run_start
from .services.versions import model_version_register_upload


def require_permission(request, model, action: str) -> None:
    """403 unless the user holds Django's `action` permission (add, change, view) on `model`.

    `admin_view` only checks `is_staff`, and any staff member (a curriculum editor) reaches these
    screens: each custom view and action names the model permission of what it does.
    """
    opts = model._meta
    if not request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"):
        raise PermissionDenied


def form_page(model_admin: admin.ModelAdmin, request, template: str, **context) -> TemplateResponse:
    """One of the registry's own screens, in the admin's frame with the model's breadcrumbs."""
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **context}
    return TemplateResponse(request, f"admin/registry/{template}", context)


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
                    mv = model_version_register_upload(**form.registration())
                    run = evaluation_run_queue(model_version=mv)
            except ModelValidationError as exc:
                form.add_error("file", f"Rejected: {exc.message}")
            else:
                note = "evaluation queued" if run else "no evaluation set yet: build one before activating"
                messages.success(request, f"Registered {mv.version} as a candidate; {note}.")
                return HttpResponseRedirect(reverse("admin:registry_modelversion_change", args=[mv.pk]))
        return form_page(self, request, "upload.html", title="Upload a model", form=form)

    def activate_view(self, request):
        require_permission(request, ActiveConfiguration, "add")
        initial = {}
        for i, pk in enumerate(request.GET.get("ids", "").split(",")[:MAX_ENSEMBLE_MEMBERS]):
            if pk.isdigit():
                initial[f"model_{i}"] = int(pk)
        form = ActivationForm(request.POST or None, initial=initial)
        gate = None
        if request.method == "POST" and form.is_valid():
            members = form.members()
            gate = selectors.activation_gate(members=members, combine=form.cleaned_data["combine"])
            try:
                configuration = configuration_activate(
                    members=members,
                    combine=form.cleaned_data["combine"],
                    user=request.user,
                    override=form.cleaned_data["override"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except GateError as exc:
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
        evaluation_set = selectors.evaluation_set_latest()
        return form_page(
            self,
            request,
            "activate.html",
            title="Activate a model or an ensemble",
            form=form,
            gate=gate,
            current=selectors.active_configuration(),
            evaluation_set=evaluation_set,
            evaluated=selectors.evaluation_runs_done(evaluation_set=evaluation_set),
        )

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
        if selectors.evaluation_set_latest() is None:
            self.message_user(request, "No evaluation set yet: build one first.", messages.ERROR)
            return
        for mv in queryset:
            evaluation_run_queue(model_version=mv)
        self.message_user(request, f"Queued evaluation of {queryset.count()} model(s).")

    @admin.action(description="Activate (one = single model, several = ensemble)")
    def activate_selected(self, request, queryset):
        require_permission(request, ActiveConfiguration, "add")
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True)[:MAX_ENSEMBLE_MEMBERS])
        return HttpResponseRedirect(f"{reverse('admin:registry_modelversion_activate')}?ids={ids}")


def _pct(value) -> str:
    return "—" if value is None else f"{value:.1%}"


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
            configuration = configuration_rollback(user=request.user)
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
        configuration = configuration_rollback(user=request.user, to=queryset.get())
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
            evaluation_set, queued = evaluation_set_build_and_queue()
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
            run = training_run_start(user=request.user, params=form.params())
            messages.success(request, f"Training run {run.pk} queued for the trainer worker.")
            return HttpResponseRedirect(reverse("admin:registry_trainingrun_change", args=[run.pk]))
        return form_page(self, request, "train.html", title="Retrain a candidate", form=form)
