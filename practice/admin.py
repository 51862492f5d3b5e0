from django.contrib import admin
from django.urls import path

from . import admin_training  # noqa: F401  (registers the training labels' admin)
from .admin_monitoring import monitoring_view
from .models import Attempt, AttemptResult, MediaAccess


class AttemptResultInline(admin.StackedInline):
    model = AttemptResult
    can_delete = False
    readonly_fields = ("passed", "rank", "xp", "top10", "detected", "n_frames", "model_version", "graded_at")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "sign",
        "learner",
        "status",
        "failure_reason",
        "rank",
        "source",
        "task_runs",
        "created_at",
    )
    list_filter = ("status", "failure_reason", "source", "is_review")
    search_fields = ("sign__name", "learner__display_name", "learner__user__username")
    date_hierarchy = "created_at"
    list_select_related = ("sign", "learner", "result")
    readonly_fields = [field.name for field in Attempt._meta.fields]
    inlines = [AttemptResultInline]

    @admin.display(description="Rank", ordering="result__rank")
    def rank(self, attempt: Attempt):
        result = getattr(attempt, "result", None)
        return result.rank if result else None

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        monitoring = self.admin_site.admin_view(
            lambda request: monitoring_view(request, admin_site=self.admin_site)
        )
        return [path("monitoring/", monitoring, name="practice_monitoring"), *super().get_urls()]


@admin.register(MediaAccess)
class MediaAccessAdmin(admin.ModelAdmin):
    """The audit log of family media read by others: superusers read it, nobody edits it."""

    list_display = ("accessed_at", "username", "attempt_number", "kind")
    list_filter = ("kind",)
    search_fields = ("username", "attempt_number")
    date_hierarchy = "accessed_at"
    readonly_fields = ("accessed_at", "user", "username", "attempt", "attempt_number", "kind")
    fields = readonly_fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
