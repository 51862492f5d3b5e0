"""Reads of the course for one learner: each lesson locked / unlocked / completed by the unlock rules.

The curriculum itself (units, lessons, signs, which signs have a tutorial) is lessons'; what a learner
has passed and the rules that turn it into lesson states are progress's, so the learner's course map
is read here.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch

from accounts.models import Learner
from lessons.models import Course, Lesson, Phrase, Sign, Unit
from lessons.selectors import taught_sign_ids
from practice.models import AttemptResult

from .models import SignProgress
from .rules import LessonState, lesson_states, required_signs


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


def learner_passed_sign_ids(*, learner: Learner) -> set[int]:
    """Ids of the signs this learner has passed at least once, alone or found in a phrase."""
    alone = set(
        AttemptResult.objects.filter(attempt__learner=learner, passed=True, attempt__sign__isnull=False)
        .values_list("attempt__sign_id", flat=True)
        .distinct()
    )
    # Phrase attempts count each found sign as a pass; only progress knows them by sign.
    return alone | set(
        SignProgress.objects.filter(learner=learner, passes__gt=0).values_list("sign_id", flat=True)
    )


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
