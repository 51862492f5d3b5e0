"""Pages for progress: the learner's course map and lessons, dashboard, family overview, review queue
and session, the CSV export."""

from datetime import datetime
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.current import learner_for_page
from accounts.models import Learner
from core.media import media_response
from lessons.models import Lesson, Sign
from lessons.selectors import course_get
from practice.media_access import attempt_media_read
from practice.models import Attempt

from . import charts
from .course import course_map, lesson_card
from .rules import LessonState
from .selectors import family_overview, learner_dashboard, review_queue
from .services import learner_export_rows

SESSION_KEY = "progress_session"
# The history part of the dashboard is cached per learner and progress version (a new graded attempt,
# a new local day or a recompute changes the version); the expiry only bounds curriculum edits.
FRAGMENT_CACHE_SECONDS = 600
SESSION_MAX_SIGNS = 20


def _own_learner(request, learner_id: int | None) -> Learner:
    """The account's learner `learner_id` (404 for anyone else's), or the active one."""
    if learner_id is None:
        learner = learner_for_page(request)
        if learner is None:
            raise Http404("This account has no learner profile.")
        return learner
    return get_object_or_404(Learner, pk=learner_id, user=request.user)


class DashboardCharts:
    """The dashboard's SVG charts, drawn only when the template asks (not when its fragment is cached)."""

    def __init__(self, board):
        self.board = board

    @cached_property
    def xp(self):
        return charts.xp_chart(self.board.xp_series)

    @cached_property
    def heatmap(self):
        return charts.calendar_heatmap(self.board.calendar)

    @cached_property
    def goal_ring(self):
        return charts.goal_ring(self.board.goal, streak=self.board.streak)

    @cached_property
    def status_bar(self):
        board = self.board
        return charts.sign_status_bar(
            mastered=board.signs_mastered, learning=board.signs_learning, new=board.signs_new
        )

    @cached_property
    def units(self):
        return charts.unit_pass_rates(self.board.units)


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
        request, "progress/course_map.html", {"course": course, "units": units, "next_lesson": next_lesson}
    )


@login_required
def lesson_detail(request, slug: str):
    lesson = get_object_or_404(Lesson.objects.select_related("unit__course"), slug=slug)
    card = lesson_card(lesson=lesson, learner=learner_for_page(request))
    return render(request, "progress/lesson_detail.html", {"card": card, "lesson": lesson})


@login_required
def dashboard(request, learner_id: int | None = None):
    learner = _own_learner(request, learner_id)
    board = learner_dashboard(learner=learner)
    if learner.is_selected:
        request.progress_due_count = board.signs_due  # saves the navigation bar its query
    context = {
        "board": board,
        "learner": learner,
        "charts": DashboardCharts(board),
        "heat_colours": charts.HEAT,
        "frozen_colour": charts.FROZEN,
        "fragment_seconds": FRAGMENT_CACHE_SECONDS,
    }
    return render(request, "progress/dashboard.html", context)


@login_required
def attempt_thumbnail(request, attempt_id: int):
    """The skeleton thumbnail of an attempt (no camera pixels), under the same owner rule as the
    attempt's other media (practice.media_access): its account, or logged staff reads."""
    file = attempt_media_read(user=request.user, attempt_id=attempt_id, kind="thumbnail")
    if file is None:
        raise Http404
    return media_response(request, file)


@login_required
def family(request):
    return render(request, "progress/family.html", {"members": family_overview(user=request.user)})


@login_required
def review(request):
    learner = _own_learner(request, None)
    return render(
        request, "progress/review_queue.html", {"queue": review_queue(learner=learner), "learner": learner}
    )


@login_required
@require_POST
def session_start(request):
    """Start walking a list of signs: the due reviews, or the weakest signs from the dashboard."""
    learner = _own_learner(request, None)
    mode = "review" if request.POST.get("mode") == "review" else "practice"
    if mode == "review":
        sign_ids = [due.sign.id for due in review_queue(learner=learner).due]
    else:
        wanted = [int(v) for v in request.POST.getlist("sign") if v.isdigit()]
        known = set(Sign.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        sign_ids = [sign_id for sign_id in dict.fromkeys(wanted) if sign_id in known]
    if not sign_ids:
        messages.info(
            request, "Nothing to practise right now." if mode == "practice" else "No signs are due."
        )
        return redirect("review-queue")
    request.session[SESSION_KEY] = {
        "learner": learner.pk,
        "mode": mode,
        "signs": sign_ids[:SESSION_MAX_SIGNS],
        "started": timezone.now().isoformat(),
        "skipped": [],
    }
    return redirect("review-session")


@login_required
def session(request):
    """The current step of a review/practice session; a sign is done once attempted since the start."""
    learner = _own_learner(request, None)
    state = request.session.get(SESSION_KEY)
    if not state or state["learner"] != learner.pk:
        return redirect("review-queue")
    if request.method == "POST" and request.POST.get("skip", "").isdigit():
        state["skipped"].append(int(request.POST["skip"]))
        request.session[SESSION_KEY] = state
        return redirect("review-session")
    if request.method == "POST" and request.POST.get("end"):
        del request.session[SESSION_KEY]
        return redirect("review-queue")
    started = datetime.fromisoformat(state["started"])
    attempted = set(
        Attempt.objects.filter(
            learner=learner, sign_id__in=state["signs"], created_at__gte=started
        ).values_list("sign_id", flat=True)
    )
    signs = {sign.pk: sign for sign in Sign.objects.filter(pk__in=state["signs"])}
    steps = [
        {"sign": signs[sign_id], "done": sign_id in attempted, "skipped": sign_id in state["skipped"]}
        for sign_id in state["signs"]
        if sign_id in signs
    ]
    current = next((step for step in steps if not step["done"] and not step["skipped"]), None)
    tutorial = current["sign"].tutorials.order_by("id").first() if current else None
    return render(
        request,
        "progress/review_session.html",
        {
            "steps": steps,
            "current": current,
            "position": sum(1 for step in steps if step["done"] or step["skipped"]) + 1,
            "done": sum(1 for step in steps if step["done"]),
            "mode": state["mode"],
            "is_review": state["mode"] == "review",
            "learner": learner,
            "tutorial": tutorial,
        },
    )


# --- Data rights: the CSV export (deleting a profile or the account: accounts.deletion) ---------
class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def export_csv(request, learner_id: int):
    """Everything recorded about one learner profile's practice, one attempt per row."""
    import csv

    learner = _own_learner(request, learner_id)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in learner_export_rows(learner=learner)), content_type="text/csv"
    )
    filename = f"signlearn-{learner.pk}-{timezone.now():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
