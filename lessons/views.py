from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.current import learner_for_page
from core.media import media_response

from .models import Phrase, Sign, TutorialVideo, Unit
from .phrases import phrase_get, phrase_steps
from .selectors import course_get, sign_list


def home(request):
    course = course_get()
    return render(request, "lessons/home.html", {"course": course})


@login_required
def sign_detail(request, name: str):
    sign = Sign.objects.select_related("lesson__unit").filter(name=name).first()
    if sign is None:  # /signs/Hello/ or /signs/tv/: the one sign whose name differs only in case
        sign = get_object_or_404(Sign, name__iexact=name)
        return redirect("sign-detail", name=sign.name, permanent=True)
    tutorials = list(sign.tutorials.all())
    siblings = list(sign.lesson.signs.order_by("order")) if sign.lesson else []
    position = siblings.index(sign) if sign in siblings else -1
    next_sign = siblings[position + 1] if 0 <= position < len(siblings) - 1 else None
    return render(
        request,
        "lessons/sign_detail.html",
        {
            "sign": sign,
            "tutorials": tutorials,
            "next_sign": next_sign,
            "learner": learner_for_page(request),
        },
    )


@login_required
def phrase_detail(request, slug: str):
    """A phrase: its signs' tutorials back to back (and the admin's whole-phrase clip), then practice."""
    phrase = phrase_get(slug=slug)
    if phrase is None:
        raise Http404("No such phrase.")
    return render(
        request,
        "lessons/phrase_detail.html",
        {"phrase": phrase, "steps": phrase_steps(phrase=phrase), "learner": learner_for_page(request)},
    )


@login_required
def phrase_video(request, slug: str):
    """The admin-uploaded clip of a whole phrase (signed-in learners only, like tutorials)."""
    return _clip_response(request, get_object_or_404(Phrase, slug=slug).video)


def explorer(request):
    query = request.GET.get("q", "").strip()
    unit_slug = request.GET.get("unit", "")
    video_filter = {"yes": True, "no": False}.get(request.GET.get("video", ""))
    signs = list(sign_list(query=query, unit_slug=unit_slug, with_video=video_filter))
    letters: dict[str, list[Sign]] = {}
    for sign in signs:
        letters.setdefault(sign.name[0].upper(), []).append(sign)
    return render(
        request,
        "lessons/explorer.html",
        {
            "letters": letters,
            "n_signs": len(signs),
            "query": query,
            "unit_slug": unit_slug,
            "video": request.GET.get("video", ""),
            "units": Unit.objects.order_by("order"),
        },
    )


@login_required
def tutorial_media(request, tutorial_id: int):
    """Tutorial clips are for signed-in learners only (their licence allows no public serving)."""
    return _clip_response(request, get_object_or_404(TutorialVideo, pk=tutorial_id).file)


def _clip_response(request, file):
    """A curriculum clip (tutorial or whole phrase) as stored; 404 for a row without one."""
    if not file:
        raise Http404
    return media_response(request, file)


def sign_redirect(request, index: int):
    return redirect("sign-detail", name=get_object_or_404(Sign, index=index).name)
