"""API v1: signs with their tutorial videos, and phrases (the course with a learner's lesson states:
progress.api)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.media import VIDEO_TYPES, media_response

from .models import Phrase, Sign, TutorialVideo
from .phrases import phrases_with_signs
from .selectors import sign_list


class TutorialSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to download the clip (token or session auth).")

    class Meta:
        model = TutorialVideo
        fields = ["id", "title", "duration_s", "width", "height", "url"]

    def get_url(self, tutorial: TutorialVideo) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-tutorial-video", args=[tutorial.pk]))


class SignSerializer(serializers.ModelSerializer):
    lesson = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    unit = serializers.SerializerMethodField()
    tutorials = TutorialSerializer(many=True, read_only=True)

    class Meta:
        model = Sign
        fields = ["index", "name", "label", "description", "lesson", "unit", "tutorials"]

    def get_unit(self, sign: Sign) -> str | None:
        return sign.lesson.unit.slug if sign.lesson else None


class SignFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, help_text="Search in names and descriptions.")
    unit = serializers.SlugField(required=False, allow_blank=True, help_text="Only signs of this unit.")
    has_video = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only signs with (true) or without (false) a tutorial.",
    )


class PublicFilteredListView(generics.ListAPIView):
    """A curriculum list readable without an account, narrowed by query parameters that
    `filter_serializer_class` validates (400 in the API's error shape when they are not valid)."""

    permission_classes = [AllowAny]
    filter_serializer_class: type[serializers.Serializer]

    def filters(self) -> dict:
        filters = self.filter_serializer_class(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return filters.validated_data


@extend_schema(tags=["curriculum"], parameters=[SignFilterSerializer])
class SignListView(PublicFilteredListView):
    """All 250 signs, alphabetical, with their tutorial videos. Readable without an account."""

    serializer_class = SignSerializer
    filter_serializer_class = SignFilterSerializer

    def get_queryset(self):
        filters = self.filters()
        return sign_list(
            query=filters.get("q", "").strip(),
            unit_slug=filters.get("unit", ""),
            with_video=filters.get("has_video"),
        ).prefetch_related("tutorials")


@extend_schema(tags=["curriculum"])
class SignDetailView(generics.RetrieveAPIView):
    """One sign by its name (e.g. `hello`), with its tutorial videos."""

    serializer_class = SignSerializer
    permission_classes = [AllowAny]
    lookup_field = "name"
    queryset = Sign.objects.select_related("lesson__unit").prefetch_related("tutorials")

    def get_object(self):
        if "\x00" in self.kwargs["name"]:  # names no sign; PostgreSQL would refuse the query
            raise NotFound("No such sign.")
        return super().get_object()


@extend_schema(
    tags=["curriculum"],
    responses={(200, video.content_type): OpenApiTypes.BINARY for video in VIDEO_TYPES},
)
class TutorialVideoView(APIView):
    """The tutorial clip itself. Signed-in learners only (the clips' licence allows no public serving)."""

    def get(self, request, pk: int):
        tutorial = get_object_or_404(TutorialVideo, pk=pk)
        if not tutorial.file:
            raise NotFound("This tutorial has no video file.")
        return media_response(request, tutorial.file)


class PhraseSignSerializer(serializers.Serializer):
    position = serializers.IntegerField(help_text="1 = signed first.")
    name = serializers.CharField(source="sign.name")
    label = serializers.CharField(source="sign.label")


class PhraseSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    signs = PhraseSignSerializer(source="items", many=True, help_text="The signs in signing order.")
    video_url = serializers.SerializerMethodField(
        help_text="The whole phrase signed, if an admin uploaded it."
    )

    class Meta:
        model = Phrase
        fields = ["id", "slug", "gloss", "meaning", "unit", "order", "signs", "video_url"]

    def get_video_url(self, phrase: Phrase) -> str | None:
        if not phrase.video:
            return None
        return self.context["request"].build_absolute_uri(reverse("phrase-video", args=[phrase.slug]))


class PhraseFilterSerializer(serializers.Serializer):
    unit = serializers.SlugField(required=False, allow_blank=True, help_text="Only phrases of this unit.")


@extend_schema(tags=["curriculum"], parameters=[PhraseFilterSerializer])
class PhraseListView(PublicFilteredListView):
    """Phrase exercises in course order (2-4 signs in ASL order); attempt one with `phrase=<id>`."""

    serializer_class = PhraseSerializer
    filter_serializer_class = PhraseFilterSerializer

    def get_queryset(self):
        phrases = phrases_with_signs().order_by("unit__order", "order")
        unit_slug = self.filters().get("unit")
        return phrases.filter(unit__slug=unit_slug) if unit_slug else phrases


@extend_schema(tags=["curriculum"])
class PhraseDetailView(generics.RetrieveAPIView):
    """One phrase by id, with its signs in order."""

    serializer_class = PhraseSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return phrases_with_signs()
