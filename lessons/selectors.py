"""Reads of the curriculum, with a learner's lesson states where one is given."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from accounts.models import Learner
from progress.rules import LessonState, lesson_states, required_signs
from progress.selectors import learner_passed_sign_ids

from .models import Course, Lesson, Phrase, Sign, TutorialVideo, Unit


@dataclass
class LessonCard:
    lesson: Lesson
    state: LessonState
    signs: list[Sign]
    passed: int


@dataclass
class UnitCard:
    unit: Unit
    lessons: list[LessonCard] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)  # practised after the unit's lessons

    @property
    def completed(self) -> int:
        return sum(card.state == LessonState.COMPLETED for card in self.lessons)


def taught_sign_ids() -> set[int]:
    """Signs with at least one tutorial video: the ones a lesson can teach (progress.rules.required_signs)."""
    return set(TutorialVideo.objects.values_list("sign_id", flat=True).distinct())


def course_get() -> Course | None:
    return Course.objects.order_by("id").first()


def course_map(*, course: Course, learner: Learner | None) -> list[UnitCard]:
    """Units with their lessons in order, each lesson locked / unlocked / completed for `learner`.

    Without a learner (anonymous visitor) the rules are applied to an empty history, so the map shows
    what a new learner would see.
    """
    units = list(
        Unit.objects.filter(course=course)
        .order_by("order")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.order_by("order").prefetch_related(
                    Prefetch("signs", queryset=Sign.objects.order_by("order"))
                ),
            ),
            Prefetch("phrases", queryset=Phrase.objects.order_by("order")),
        )
    )
    passed = learner_passed_sign_ids(learner=learner) if learner else set()
    taught = taught_sign_ids()
    ordered_lessons = [lesson for unit in units for lesson in unit.lessons.all()]
    states = lesson_states(
        [required_signs([sign.id for sign in lesson.signs.all()], taught) for lesson in ordered_lessons],
        passed,
    )
    state_by_lesson = dict(zip((lesson.id for lesson in ordered_lessons), states, strict=True))
    cards = []
    for unit in units:
        card = UnitCard(unit=unit, phrases=list(unit.phrases.all()))
        for lesson in unit.lessons.all():
            signs = list(lesson.signs.all())
            card.lessons.append(
                LessonCard(
                    lesson=lesson,
                    state=state_by_lesson[lesson.id],
                    signs=signs,
                    passed=sum(sign.id in passed for sign in signs),
                )
            )
        cards.append(card)
    return cards


def lesson_card(*, lesson: Lesson, learner: Learner | None) -> LessonCard:
    course = lesson.unit.course
    for unit_card in course_map(course=course, learner=learner):
        for card in unit_card.lessons:
            if card.lesson.id == lesson.id:
                return card
    raise Lesson.DoesNotExist(lesson.pk)


def sign_list(*, query: str = "", unit_slug: str = "", with_video: bool | None = None) -> QuerySet[Sign]:
    """Signs for the explorer, alphabetical, with how many tutorial videos each has."""
    signs = (
        Sign.objects.select_related("lesson__unit")
        .annotate(n_videos=Count("tutorials", distinct=True))
        .order_by(Lower("name"), "name")  # "TV" among the t's, not before "a"
    )
    if query:
        signs = signs.filter(Q(name__icontains=query.replace(" ", "")) | Q(description__icontains=query))
    if unit_slug:
        signs = signs.filter(lesson__unit__slug=unit_slug)
    if with_video is True:
        signs = signs.filter(n_videos__gt=0)
    elif with_video is False:
        signs = signs.filter(n_videos=0)
    return signs
