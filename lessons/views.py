from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.current import learner_for_page
from progress.rules import LessonState
from signlearn.media import media_response

from .models import Lesson, Phrase, Sign, TutorialVideo, Unit
from .phrases import phrase_get, phrase_steps
from .selectors import course_get, course_map, lesson_card, sign_list


def home(request):
    course = course_get()
    return render(request, "lessons/home.html", {"course": course})


@login_required
def course_map_view(request):
    course = course_get()
    if course is None:
        raise Http404("The curriculum has not been loaded yet (manage.py load_curriculum).")
    learner = learner_for_page(request)
    units = course_map(course=course, learner=learner)
    next_lesson = next(
        (card for unit in units for card in unit.lessons if card.state == LessonState.UNLOCKED), None
    )
    return render(
        request, "lessons/course_map.html", {"course": course, "units": units, "next_lesson": next_lesson}
    )


@login_required
def lesson_detail(request, slug: str):
    lesson = get_object_or_404(Lesson.objects.select_related("unit__course"), slug=slug)
    card = lesson_card(lesson=lesson, learner=learner_for_page(request))
    return render(request, "lessons/lesson_detail.html", {"card": card, "lesson": lesson})


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
    phrase = get_object_or_404(Phrase, slug=slug)
    if not phrase.video:
        raise Http404
    return media_response(request, phrase.video)


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
    tutorial = get_object_or_404(TutorialVideo, pk=tutorial_id)
    if not tutorial.file:
        raise Http404
    return media_response(request, tutorial.file)


def sign_redirect(request, index: int):
    return redirect("sign-detail", name=get_object_or_404(Sign, index=index).name)
