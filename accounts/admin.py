from django.contrib import admin

from .models import Learner


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "time_zone", "daily_xp_goal", "training_consent", "is_selected")
    list_filter = ("training_consent", "time_zone")
    search_fields = ("display_name", "user__username", "user__email")
