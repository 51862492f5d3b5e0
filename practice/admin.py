from django.contrib import admin

from .models import Attempt, AttemptResult


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
