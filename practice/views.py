"""Pages and small JSON endpoints of the practice panel (session auth; the public API is api.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.current import learner_for_page
from core.limits import wants_json
from core.media import media_response
from core.throttling import RateLimitUnavailable, uploads_wait_seconds
from lessons.models import Phrase, Sign

from .errors import AttemptRejected
from .forms import AttemptUploadForm
from .media_access import attempt_media_read
from .models import Attempt
from .phrases import phrase_attempt_create
from .selectors import attempt_summary, attempt_visible
from .services import attempt_create


@login_required
@require_POST
def attempt_submit(request: HttpRequest, name: str) -> HttpResponse:
    """Accept a clip (recorder or file input) and queue it; JSON for the script, a redirect without it."""
    # A NUL byte can name no sign, and PostgreSQL refuses it in a query.
    sign = Sign.objects.filter(name=name).first() if "\x00" not in name else None
    if sign is None:
        return _not_found(request, code="unknown_sign", detail="No such sign.")
    return _clip_submit(
        request,
        create=lambda learner, form: attempt_create(
            learner=learner,
            sign=sign,
            video=form.cleaned_data["video"],
            is_review=form.cleaned_data["is_review"],
        ),
        back_url=reverse("sign-detail", args=[sign.name]) + "#practice",
    )


@login_required
@require_POST
def phrase_attempt_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """A phrase clip from the same panel: the same checks and answers as a sign's, a longer clip."""
    phrase = Phrase.objects.filter(slug=slug).first() if "\x00" not in slug else None
    if phrase is None:
        return _not_found(request, code="unknown_phrase", detail="No such phrase.")
    return _clip_submit(
        request,
        create=lambda learner, form: phrase_attempt_create(
            learner=learner, phrase=phrase, video=form.cleaned_data["video"]
        ),
        back_url=reverse("phrase-detail", args=[phrase.slug]) + "#practice",
    )


def _not_found(request: HttpRequest, *, code: str, detail: str) -> HttpResponse:
    """404 for what the upload names: JSON for the panel's script, the 404 page without it."""
    if wants_json(request):
        return JsonResponse({"code": code, "detail": detail}, status=404)
    raise Http404


def _clip_submit(request: HttpRequest, *, create, back_url: str) -> HttpResponse:
    """The checks and answers every practice upload shares: a learner, the rate limit, a valid form;
    then `create(learner, form)` queues the attempt (or refuses it with AttemptRejected)."""
    learner = learner_for_page(request)
    form = AttemptUploadForm(request.POST, request.FILES)
    problem = upload_refusal(request, learner)
    if problem is None and not form.is_valid():
        problem = ("invalid_upload", form.errors.get("video", ["Choose a video file to upload."])[0])
    elif problem is None:
        try:
            attempt = create(learner, form)
        except AttemptRejected as rejected:
            problem = (rejected.code, rejected.message)
    if problem:
        if wants_json(request):
            return refusal_response(*problem)
        messages.error(request, problem[1])
        return redirect(back_url)
    if wants_json(request):
        return JsonResponse(_status_payload(request, attempt), status=202)
    return redirect("attempt-detail", pk=attempt.pk)


@login_required
@require_GET
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = attempt_visible(user=request.user, attempt_id=pk)
    if attempt is None:
        raise Http404
    return render(
        request,
        "practice/attempt_detail.html",
        {"attempt": attempt, "summary": attempt_summary(attempt=attempt)},
    )


@login_required
@require_GET
def attempt_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by the practice panel; carries the rendered result once the attempt is final."""
    attempt = attempt_visible(user=request.user, attempt_id=pk)
    if attempt is None:
        return JsonResponse({"code": "not_found", "detail": "No such attempt."}, status=404)
    return JsonResponse(_status_payload(request, attempt))


@login_required
@require_GET
def attempt_media(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The clip, replay or thumbnail of an attempt: for its owner, or staff allowed to read family media
    (each such read is logged); 404 for anyone else."""
    file = attempt_media_read(user=request.user, attempt_id=pk, kind=kind)
    if file is None:
        raise Http404
    return media_response(request, file)


def upload_refusal(request: HttpRequest, learner) -> tuple[str, str] | None:
    """(code, sentence) when this upload cannot be taken before looking at it: no learner profile, the
    per-user rate limit, or the rate limit's cache unreachable (answered 503, as the API does)."""
    try:
        wait = uploads_wait_seconds(request) if learner is not None else None
    except RateLimitUnavailable as error:
        return (error.default_code, str(error.detail))
    if learner is None:
        return ("no_learner", "Create a learner profile first.")
    if wait is not None:
        return ("throttled", f"That is a lot of clips in a short time: try again in {wait} seconds.")
    return None


def refusal_response(code: str, detail: str) -> JsonResponse:
    status = {"throttled": 429, "too_large": 413, RateLimitUnavailable.default_code: 503}.get(code, 400)
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _status_payload(request: HttpRequest, attempt: Attempt) -> dict:
    payload = {
        "id": attempt.pk,
        "status": attempt.status,
        "failure_reason": attempt.failure_reason or None,
        "status_url": reverse("attempt-status", args=[attempt.pk]),
        "detail_url": reverse("attempt-detail", args=[attempt.pk]),
    }
    if attempt.status in (Attempt.Status.GRADED, Attempt.Status.FAILED):
        summary = attempt_summary(attempt=attempt)
        payload["replay_pending"] = summary.replay_pending
        payload["html"] = render_to_string("practice/_result.html", {"summary": summary}, request=request)
    return payload
