"""The admin of training labels on practice attempts (registry.AttemptLabel) and its review screen.

Registered from practice, which reads attempts, rather than from the registry below it; the URLs stay
the registry's (/admin/registry/attemptlabel/...), as they follow the model.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path

from lessons.models import Sign
from registry.admin import require_permission
from registry.models import AttemptLabel

from .export import attempt_label_set, attempts_to_label
from .models import Attempt


@admin.register(AttemptLabel)
class AttemptLabelAdmin(admin.ModelAdmin):
    list_display = ("attempt", "intended_sign", "sign", "labelled_by", "labelled_at")
    autocomplete_fields = ()
    raw_id_fields = ("attempt",)
    readonly_fields = ("labelled_by", "labelled_at")
    change_list_template = "admin/practice/attemptlabel_change_list.html"

    @admin.display(description="intended sign")
    def intended_sign(self, label):
        return label.attempt.sign

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("attempt__sign", "sign", "labelled_by")

    def save_model(self, request, obj, form, change):
        attempt_label_set(attempt=obj.attempt, sign=obj.sign, user=request.user)

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
            attempt_label_set(attempt=attempt, sign=sign, user=request.user)
            messages.success(request, f"Attempt {attempt.pk}: {sign or 'unusable'}.")
            return HttpResponseRedirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "title": "Review practice attempts for training",
            "attempts": attempts_to_label(),
            "signs": Sign.objects.order_by("name").values_list("name", flat=True),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/practice/attempt_review.html", context)
