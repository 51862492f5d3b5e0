"""API v1: the course with a learner's lesson states, a learner's progress and dashboard figures, the
review queue, and the family overview.

Thin views over progress.course and progress.selectors: the same figures the pages show, as JSON.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import LearnerQuerySerializer, learner_for_api
from lessons.models import Lesson, Sign
from lessons.selectors import course_get

from .course import course_map, lesson_card
from .rules import LessonState
from .selectors import family_overview, learner_dashboard, review_queue


class LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    xp_total = serializers.IntegerField()
    level_start_xp = serializers.IntegerField(help_text="Total XP at which this level began.")
    next_level_xp = serializers.IntegerField(help_text="Total XP at which the next level begins.")
    xp_to_next = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Progress through this level, 0-100.")


class GoalSerializer(serializers.Serializer):
    xp = serializers.IntegerField(help_text="XP earned today (learner's time zone).")
    goal = serializers.IntegerField()
    percent = serializers.IntegerField()
    met = serializers.BooleanField()


class SignCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="signs_total")
    mastered = serializers.IntegerField(source="signs_mastered")
    learning = serializers.IntegerField(source="signs_learning")
    new = serializers.IntegerField(source="signs_new")
    due = serializers.IntegerField(source="signs_due", help_text="Signs due for review now.")


class XpPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    xp = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Cumulative XP at the end of the day.")


class DayCellSerializer(serializers.Serializer):
    date = serializers.DateField()
    xp = serializers.IntegerField()
    attempts = serializers.IntegerField()
    frozen = serializers.BooleanField(help_text="A streak freeze covered this day.")


class UnitRateSerializer(serializers.Serializer):
    slug = serializers.CharField(source="unit.slug")
    title = serializers.CharField(source="unit.title")
    attempts = serializers.IntegerField()
    passes = serializers.IntegerField()
    pass_rate = serializers.IntegerField(allow_null=True, help_text="Percent; null before any attempt.")
    signs_passed = serializers.IntegerField()
    signs_total = serializers.IntegerField()


class WeakSignSerializer(serializers.Serializer):
    sign = serializers.CharField(source="sign.name")
    attempts = serializers.IntegerField()
    passes = serializers.IntegerField()
    pass_rate = serializers.IntegerField()
    mean_rank = serializers.FloatField(help_text="A miss counts as rank 11.")
    best_rank = serializers.IntegerField(allow_null=True)


class RecentAttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sign = serializers.CharField(source="sign.name", allow_null=True, help_text="Null for a phrase attempt.")
    phrase = serializers.CharField(
        source="phrase.slug", allow_null=True, help_text="Null for a sign attempt."
    )
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    passed = serializers.SerializerMethodField()
    rank = serializers.SerializerMethodField()
    xp = serializers.SerializerMethodField()

    @staticmethod
    def _result(attempt):
        return getattr(attempt, "result", None) if attempt.status == "graded" else None

    def get_passed(self, attempt) -> bool | None:
        result = self._result(attempt)
        return result.passed if result else None

    def get_rank(self, attempt) -> int | None:
        result = self._result(attempt)
        return result.rank if result else None

    def get_xp(self, attempt) -> int | None:
        result = self._result(attempt)
        return result.xp if result else None


class PhraseRecordSerializer(serializers.Serializer):
    phrase = serializers.CharField(source="phrase.slug")
    gloss = serializers.CharField(source="phrase.gloss")
    attempts = serializers.IntegerField()
    passes = serializers.IntegerField()
    mastered = serializers.BooleanField(help_text="Passed on three different days.")


class PhraseCountsSerializer(serializers.Serializer):
    mastered = serializers.IntegerField(source="phrases_mastered")
    total = serializers.IntegerField(source="phrases_total")
    tried = PhraseRecordSerializer(source="phrases", many=True, help_text="Phrases tried, in course order.")


class BadgeSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    earned_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    learner = serializers.IntegerField(source="learner.pk")
    today = serializers.DateField(help_text="Today in the learner's time zone.")
    level = LevelSerializer()
    attempts = serializers.IntegerField()
    passes = serializers.IntegerField()
    pass_rate = serializers.IntegerField(allow_null=True)
    streak = serializers.IntegerField(help_text="Consecutive days practised, as shown today.")
    streak_longest = serializers.IntegerField()
    freezes = serializers.IntegerField(help_text="Streak freezes held.")
    practised_today = serializers.BooleanField()
    goal = GoalSerializer()
    signs = SignCountsSerializer(source="*")
    xp_series = XpPointSerializer(many=True, help_text="The last 30 days, oldest first.")
    calendar = serializers.SerializerMethodField(help_text="Practice calendar up to today, oldest first.")
    units = UnitRateSerializer(many=True)
    weakest = WeakSignSerializer(many=True)
    recent = RecentAttemptSerializer(many=True)
    badges = BadgeSerializer(many=True)
    phrases = PhraseCountsSerializer(source="*")

    @extend_schema_field(DayCellSerializer(many=True))
    def get_calendar(self, board) -> list[dict]:
        cells = [cell for week in board.calendar for cell in week if not cell.in_future]
        return DayCellSerializer(cells, many=True).data


class DueSignSerializer(serializers.Serializer):
    sign = serializers.CharField(source="sign.name")
    label = serializers.CharField(source="sign.label")
    due = serializers.DateTimeField()
    reps = serializers.IntegerField(help_text="Reviews so far.")
    attempts = serializers.IntegerField()
    passes = serializers.IntegerField()


class ReviewQueueSerializer(serializers.Serializer):
    learner = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Signs due now.")
    due = DueSignSerializer(many=True, help_text="Due now, most overdue first.")
    upcoming = DueSignSerializer(many=True, help_text="The next signs to come due, soonest first.")


class FamilyMemberSerializer(serializers.Serializer):
    learner = serializers.IntegerField(source="learner.pk")
    display_name = serializers.CharField(source="learner.display_name")
    is_selected = serializers.BooleanField(source="learner.is_selected")
    level = serializers.IntegerField(source="level.level")
    xp_total = serializers.IntegerField(source="level.xp_total")
    streak = serializers.IntegerField()
    goal = GoalSerializer()
    signs_passed = serializers.IntegerField()
    signs_mastered = serializers.IntegerField()
    due = serializers.IntegerField()
    xp_week = serializers.IntegerField(help_text="XP in the last 7 local days, today included.")
    last_active = serializers.DateField(allow_null=True)


@extend_schema(tags=["progress"], parameters=[LearnerQuerySerializer], responses=ProgressSerializer)
class ProgressView(APIView):
    """The learner's progress: level, streak, daily goal, sign counts and the dashboard's figures."""

    uses_learner = True

    def get(self, request):
        board = learner_dashboard(learner=learner_for_api(request))
        return Response(ProgressSerializer(board).data)


@extend_schema(tags=["progress"], parameters=[LearnerQuerySerializer], responses=ReviewQueueSerializer)
class ReviewQueueView(APIView):
    """Signs due for spaced review now (practise them with POST /api/v1/attempts/ and is_review)."""

    uses_learner = True

    def get(self, request):
        learner = learner_for_api(request)
        queue = review_queue(learner=learner)
        data = {"learner": learner.pk, "count": queue.count, "due": queue.due, "upcoming": queue.upcoming}
        return Response(ReviewQueueSerializer(data).data)


@extend_schema(tags=["progress"], responses=FamilyMemberSerializer(many=True))
class FamilyView(APIView):
    """One line per learner profile of the account: level, streak, goal, signs, reviews due."""

    def get(self, request):
        return Response(FamilyMemberSerializer(family_overview(user=request.user), many=True).data)


# --- The course with the learner's lesson states (tagged curriculum, like the signs) ---------------
class LessonSignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sign
        fields = ["index", "name", "label"]


class LessonCardSerializer(serializers.Serializer):
    slug = serializers.CharField(source="lesson.slug")
    title = serializers.CharField(source="lesson.title")
    order = serializers.IntegerField(source="lesson.order")
    state = serializers.ChoiceField(choices=[state.value for state in LessonState])
    passed = serializers.IntegerField(help_text="How many of the lesson's signs the learner has passed.")
    signs = LessonSignSerializer(many=True)


class LessonDetailSerializer(LessonCardSerializer):
    unit = serializers.CharField(source="lesson.unit.slug")


class UnitPhraseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    gloss = serializers.CharField()
    meaning = serializers.CharField()


class UnitCardSerializer(serializers.Serializer):
    slug = serializers.CharField(source="unit.slug")
    title = serializers.CharField(source="unit.title")
    description = serializers.CharField(source="unit.description")
    order = serializers.IntegerField(source="unit.order")
    completed = serializers.IntegerField(help_text="How many of the unit's lessons are completed.")
    lessons = LessonCardSerializer(many=True)
    phrases = UnitPhraseSerializer(
        many=True, help_text="Phrase exercises after the lessons (/api/v1/phrases/)."
    )


class CourseSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    learner = serializers.IntegerField(help_text="The learner profile whose states are shown.")
    units = UnitCardSerializer(many=True)


@extend_schema(tags=["curriculum"], parameters=[LearnerQuerySerializer], responses=CourseSerializer)
class CourseView(APIView):
    """The course: units and lessons in order, each lesson locked / unlocked / completed for the learner."""

    uses_learner = True

    def get(self, request):
        learner = learner_for_api(request)
        course = course_get()
        if course is None:
            raise NotFound("The curriculum has not been loaded yet (manage.py load_curriculum).")
        units = course_map(course=course, learner=learner)
        data = {
            "slug": course.slug,
            "title": course.title,
            "description": course.description,
            "learner": learner.pk,
            "units": units,
        }
        return Response(CourseSerializer(data).data)


@extend_schema(tags=["curriculum"], parameters=[LearnerQuerySerializer], responses=LessonDetailSerializer)
class LessonDetailView(APIView):
    """One lesson with its signs and the learner's state of it."""

    uses_learner = True

    def get(self, request, slug: str):
        learner = learner_for_api(request)
        lesson = get_object_or_404(Lesson.objects.select_related("unit__course"), slug=slug)
        return Response(LessonDetailSerializer(lesson_card(lesson=lesson, learner=learner)).data)
