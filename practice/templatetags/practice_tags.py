from django import template
from django.conf import settings
from django.urls import reverse

from practice.forms import AttemptUploadForm
from practice.selectors import attempts_recent, phrase_attempts_recent

register = template.Library()

# How long the recorder runs (min, max seconds): one sign, or a phrase of 2-4 signs with pauses.
SIGN_RECORD_SECONDS = (3, 5)
PHRASE_RECORD_SECONDS = (4, 12)


@register.inclusion_tag("practice/practice_panel.html", takes_context=True)
def practice_panel(context, sign, learner, is_review: bool = False):
    """The record / upload / result panel of a sign page (and of review sessions)."""
    return {
        "sign": sign,
        "submit_url": reverse("attempt-submit", args=[sign.name]),
        # Phrases record longer than the on-device recorder keeps; they take the upload path for now.
        "landmarks_url": reverse("attempt-submit-landmarks", args=[sign.name]),
        "record_seconds": SIGN_RECORD_SECONDS,
        "learner": learner,
        "is_review": is_review,
        "form": AttemptUploadForm(initial={"is_review": is_review}),
        "recent": list(attempts_recent(learner=learner, sign=sign)) if learner else [],
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "clip_retention_days": settings.SIGNLEARN_CLIP_RETENTION_DAYS,
    }


@register.inclusion_tag("practice/practice_panel.html", takes_context=True)
def phrase_practice_panel(context, phrase, learner):
    """The same panel for a phrase: a longer recording, posted to the phrase's own endpoint."""
    return {
        "phrase": phrase,
        "submit_url": reverse("phrase-attempt-submit", args=[phrase.slug]),
        "record_seconds": PHRASE_RECORD_SECONDS,
        "max_upload_seconds": settings.SIGNLEARN_MAX_PHRASE_SECONDS,
        "learner": learner,
        "form": AttemptUploadForm(),
        "recent": list(phrase_attempts_recent(learner=learner, phrase=phrase)) if learner else [],
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
