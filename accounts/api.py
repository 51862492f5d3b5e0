"""API v1: the account's learner profiles (list, create, read, update, switch)."""

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import TIME_ZONE_CHOICES, Learner
from .selectors import reads_other_families
from .services import learner_create, learner_select, learner_update

MIN_DAILY_GOAL, MAX_DAILY_GOAL = 10, 500  # same bounds as the profile form


class LearnerSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(max_length=60)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, default="UTC")
    daily_xp_goal = serializers.IntegerField(min_value=MIN_DAILY_GOAL, max_value=MAX_DAILY_GOAL, default=50)
    training_consent = serializers.BooleanField(
        default=False, help_text="Landmarks (never video) may be used to improve recognition."
    )

    class Meta:
        model = Learner
        fields = [
            "id",
            "display_name",
            "time_zone",
            "daily_xp_goal",
            "training_consent",
            "is_selected",
            "created_at",
        ]
        read_only_fields = ["id", "is_selected", "created_at"]

    def validate_display_name(self, value: str) -> str:
        name = value.strip()
        if not name:
            raise ValidationError("A name is required.")
        others = Learner.objects.filter(user=self.context["request"].user, display_name=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError("You already have a profile with this name.", code="duplicate")
        return name


class LearnerCreateSerializer(LearnerSerializer):
    select = serializers.BooleanField(
        default=False, write_only=True, help_text="Make the new profile the active one."
    )

    class Meta(LearnerSerializer.Meta):
        fields = [*LearnerSerializer.Meta.fields, "select"]


def _save_or_duplicate(save):
    """Two concurrent creates with one name pass validation; the database constraint decides."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError as exc:
        raise ValidationError({"display_name": ["You already have a profile with this name."]}) from exc


@extend_schema(tags=["learners"])
class LearnerListView(generics.ListCreateAPIView):
    """The account's learner profiles; POST adds one (optionally selecting it)."""

    def get_serializer_class(self):
        return LearnerCreateSerializer if self.request.method == "POST" else LearnerSerializer

    def get_queryset(self):
        return Learner.objects.filter(user=self.request.user).order_by("created_at", "id")

    @extend_schema(request=LearnerCreateSerializer, responses={201: LearnerSerializer})
    def post(self, request, *args, **kwargs):
        serializer = LearnerCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def save():
            learner = learner_create(
                user=request.user,
                display_name=data["display_name"],
                time_zone=data["time_zone"],
                select=data["select"],
            )
            return learner_update(
                learner=learner,
                display_name=data["display_name"],
                time_zone=data["time_zone"],
                daily_xp_goal=data["daily_xp_goal"],
                training_consent=data["training_consent"],
            )

        learner = _save_or_duplicate(save)
        return Response(
            LearnerSerializer(learner, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


def learner_for_request(request, pk: int, *, write: bool) -> Learner:
    """The owner reads and writes; staff with accounts.view_learner may read any profile; everyone else
    gets 404."""
    learner = get_object_or_404(Learner, pk=pk)
    if learner.user_id == request.user.pk:
        return learner
    if reads_other_families(user=request.user):
        if write:
            raise PermissionDenied("Staff can read other accounts' profiles but not change them.")
        return learner
    raise NotFound("No such learner profile.")


@extend_schema_view(get=extend_schema(tags=["learners"]), patch=extend_schema(tags=["learners"]))
class LearnerDetailView(generics.RetrieveUpdateAPIView):
    """One learner profile. PATCH changes name, time zone, daily goal or training consent."""

    serializer_class = LearnerSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return learner_for_request(
            self.request, self.kwargs["pk"], write=self.request.method not in SAFE_METHODS
        )

    def perform_update(self, serializer):
        learner = serializer.instance
        data = {
            "display_name": learner.display_name,
            "time_zone": learner.time_zone,
            "daily_xp_goal": learner.daily_xp_goal,
            "training_consent": learner.training_consent,
            **serializer.validated_data,
        }
        serializer.instance = _save_or_duplicate(lambda: learner_update(learner=learner, **data))


@extend_schema(tags=["learners"], request=None, responses=LearnerSerializer)
class LearnerSelectView(APIView):
    """Switch the account's active profile to this one (what the API and pages then act for)."""

    def post(self, request, pk: int):
        learner = learner_for_request(request, pk, write=True)
        learner = learner_select(learner=learner)
        return Response(LearnerSerializer(learner, context={"request": request}).data)
