from django.contrib import admin, messages

from .models import Course, Lesson, Phrase, PhraseSign, Sign, TutorialVideo, Unit
from .services import tutorial_file_save, tutorial_queue_check


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("order", "title", "slug")


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ("order", "title", "slug")


class SignInline(admin.TabularInline):
    model = Sign
    extra = 0
    fields = ("order", "name", "index", "description")
    readonly_fields = ("name", "index")
    can_delete = False


class TutorialInline(admin.TabularInline):
    model = TutorialVideo
    extra = 0
    fields = ("file", "title", "is_evaluation", "qa_status", "qa_rank")
    readonly_fields = ("qa_status", "qa_rank")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug")
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("order", "title", "course")
    list_display_links = ("title",)
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "order")
    list_filter = ("unit",)
    inlines = [SignInline]


@admin.register(Sign)
class SignAdmin(admin.ModelAdmin):
    list_display = ("name", "index", "lesson", "tutorial_count")
    list_filter = ("lesson__unit",)
    search_fields = ("name", "description")
    readonly_fields = ("index", "name")
    inlines = [TutorialInline]

    @admin.display(description="Tutorials")
    def tutorial_count(self, sign: Sign) -> int:
        return sign.tutorials.count()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("lesson").prefetch_related("tutorials")

    def has_add_permission(self, request):
        return False  # the vocabulary is fixed by the model's 250 outputs


@admin.register(TutorialVideo)
class TutorialVideoAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "sign",
        "duration",
        "qa_status",
        "qa_rank",
        "qa_model_version",
        "is_evaluation",
    )
    list_filter = ("qa_status", "is_evaluation")
    search_fields = ("sign__name", "title", "source")
    autocomplete_fields = ("sign",)
    readonly_fields = (
        "duration_s",
        "width",
        "height",
        "qa_status",
        "qa_rank",
        "qa_top10",
        "qa_detected",
        "qa_model_version",
        "qa_message",
        "landmarks",
        "created_at",
    )
    actions = ["recheck", "mark_for_evaluation", "unmark_for_evaluation"]

    @admin.display(description="Duration", ordering="duration_s")
    def duration(self, obj):
        return f"{obj.duration_s:.1f} s" if obj.duration_s else "–"

    def save_model(self, request, obj, form, change):
        if "file" in form.changed_data:  # a new clip is measured and checked, as every upload is
            tutorial_file_save(tutorial=obj, file=form.cleaned_data["file"])
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Re-run the recognition check")
    def recheck(self, request, queryset):
        for tutorial in queryset:
            tutorial_queue_check(tutorial=tutorial)
        messages.info(request, f"Queued {queryset.count()} check(s).")

    @admin.action(description="Use for model evaluation (the registry's evaluation set)")
    def mark_for_evaluation(self, request, queryset):
        count = queryset.update(is_evaluation=True)
        messages.info(
            request, f"{count} tutorial(s) marked for evaluation. Build a new evaluation set to use them."
        )

    @admin.action(description="Stop using for model evaluation")
    def unmark_for_evaluation(self, request, queryset):
        count = queryset.update(is_evaluation=False)
        messages.info(request, f"{count} tutorial(s) no longer used for evaluation.")


class PhraseSignInline(admin.TabularInline):
    model = PhraseSign
    extra = 0
    min_num = 2
    max_num = 4
    fields = ("position", "sign")
    autocomplete_fields = ("sign",)


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin):
    list_display = ("gloss", "meaning", "unit", "order", "has_video")
    list_filter = ("unit",)
    search_fields = ("gloss", "meaning", "slug")
    prepopulated_fields = {"slug": ("gloss",)}
    inlines = [PhraseSignInline]

    @admin.display(description="Video", boolean=True)
    def has_video(self, phrase: Phrase) -> bool:
        return bool(phrase.video)
