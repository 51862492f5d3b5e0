from django import template
from django.conf import settings

from practice.forms import AttemptUploadForm
from practice.selectors import attempts_recent

register = template.Library()


@register.inclusion_tag("practice/practice_panel.html", takes_context=True)
def practice_panel(context, sign, learner, is_review: bool = False):
    """The record / upload / result panel of a sign page (and of review sessions)."""
    return {
        "sign": sign,
        "learner": learner,
        "is_review": is_review,
        "form": AttemptUploadForm(initial={"is_review": is_review}),
        "recent": list(attempts_recent(learner=learner, sign=sign)) if learner else [],
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "clip_retention_days": settings.SIGNLEARN_CLIP_RETENTION_DAYS,
    }
