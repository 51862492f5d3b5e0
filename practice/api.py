"""API v1 attempts: submit a clip (or landmarks) for grading, then read the attempt until it is final.

POST /api/v1/attempts/      multipart `sign` + `video` (or `landmarks` file: ISLR parquet or JSON),
                            or JSON {"sign": ..., "landmarks": [[[x, y, z], ...543], ...]} -> 202;
                            `phrase=<id>` instead of `sign` grades a phrase sign by sign
GET  /api/v1/attempts/      the learner's attempts, newest first
GET  /api/v1/attempts/<id>/ {"id", "sign", "status", "failure_reason", "result": {...} | null}

Every refusal is 400 {"code", "detail"} with a stable code (unknown_sign, unknown_phrase, unreadable_video, too_short,
too_long, invalid_landmarks, invalid, parse_error, too_many_fields, too_many_files), or 413 too_large
(411 length_required for a chunked body); nothing a client sends is a 500.
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.current import learner_for_api
from lessons.models import Phrase, Sign

from .errors import AttemptRejected
from .landmarks_input import LandmarksInvalid, landmarks_from_file, landmarks_from_json
from .models import Attempt
from .phrases import phrase_attempt_create, phrase_attempt_create_from_landmarks
from .selectors import attempt_visible
from .services import attempt_create, attempt_create_from_landmarks


class UploadRejected(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The upload was refused."


class UploadTooLarge(UploadRejected):
    """The clip is over SIGNLEARN_MAX_UPLOAD_BYTES (a body over it never gets here: core.limits)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class TopSignSerializer(serializers.Serializer):
    sign = serializers.CharField()
    score = serializers.FloatField()


class PhraseSignVerdictSerializer(serializers.Serializer):
    sign = serializers.CharField()
    found = serializers.BooleanField(help_text="In the top-10 of its own span of the clip.")
    rank = serializers.IntegerField(help_text="Rank among all signs in its span (1 = best).")
    start_s = serializers.FloatField(help_text="Where its span starts in the clip, in seconds.")
    end_s = serializers.FloatField()


class AttemptResultSerializer(serializers.Serializer):
    passed = serializers.BooleanField()
    rank = serializers.IntegerField(
        allow_null=True, help_text="Rank of the intended sign in the top-10, or null."
    )
    xp = serializers.IntegerField()
    top10 = TopSignSerializer(many=True)
    detected = serializers.DictField(
        child=serializers.FloatField(), help_text="Share of frames with face, left_hand, pose, right_hand."
    )
    model_version = serializers.CharField()
    signs = PhraseSignVerdictSerializer(
        many=True, help_text="Phrase attempts: each sign's verdict in signing order; [] for a sign attempt."
    )


class AttemptSerializer(serializers.ModelSerializer):
    sign = serializers.CharField(source="sign.name", allow_null=True, help_text="Null for a phrase attempt.")
    phrase = serializers.IntegerField(
        source="phrase_id", allow_null=True, help_text="Null for a sign attempt."
    )
    failure_reason = serializers.CharField(allow_null=True)
    failure_detail = serializers.CharField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "sign",
            "phrase",
            "status",
            "failure_reason",
            "failure_detail",
            "is_review",
            "created_at",
            "result",
        ]

    def to_representation(self, attempt: Attempt) -> dict:
        data = super().to_representation(attempt)
        data["failure_reason"] = attempt.failure_reason or None
        return data

    @extend_schema_field(AttemptResultSerializer(allow_null=True))
    def get_result(self, attempt: Attempt) -> dict | None:
        result = getattr(attempt, "result", None) if attempt.status == Attempt.Status.GRADED else None
        if result is None:
            return None
        return AttemptResultSerializer(
            {
                "passed": result.passed,
                "rank": result.rank,
                "xp": result.xp,
                "top10": [{"sign": row["sign"], "score": row["score"]} for row in result.top10],
                "detected": result.detected,
                "model_version": result.model_version,
                "signs": result.signs,
            }
        ).data


class AttemptCreateSerializer(serializers.Serializer):
    """Documentation of the request body; the view reads it itself (files or JSON)."""

    sign = serializers.CharField(required=False, help_text="A sign name from the vocabulary, e.g. `hello`.")
    phrase = serializers.IntegerField(
        required=False, help_text="Instead of `sign`: a phrase id (`/api/v1/phrases/`); clip up to 20 s."
    )
    video = serializers.FileField(required=False, help_text="A clip of one sign: 0.5-15 s, at most 50 MB.")
    landmarks = serializers.JSONField(
        required=False,
        help_text="Instead of a video: an ISLR parquet file, or [frames][543][3] numbers/nulls (1-900 frames; "
        "as a JSON body or form field at most 5 MB, so a long sequence goes as a parquet file).",
    )
    is_review = serializers.BooleanField(required=False, default=False)


class AttemptCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class AttemptListCreateView(generics.ListAPIView):
    """The learner's attempts (GET) and new attempts (POST, answered 202 while grading runs)."""

    serializer_class = AttemptSerializer
    throttle_scope = "uploads"
    uses_learner = True

    def get_queryset(self):
        learner = learner_for_api(self.request)
        return (
            Attempt.objects.filter(learner=learner)
            .select_related("sign", "phrase", "result")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=AttemptCreateSerializer, responses={202: AttemptCreatedSerializer})
    def post(self, request, *args, **kwargs):
        learner = learner_for_api(request)
        if not isinstance(request.data, dict):
            raise UploadRejected("Send a JSON object or a multipart form.", code="invalid")
        if request.data.get("phrase") not in (None, ""):
            attempt = _phrase_attempt_from_request(request, learner=learner)
            return Response({"id": attempt.pk, "status": attempt.status}, status=status.HTTP_202_ACCEPTED)
        sign_name = request.data.get("sign")
        if not isinstance(sign_name, str) or not sign_name.strip():
            raise UploadRejected("Name the sign you practised in `sign`.", code="invalid")
        # A NUL byte can name no sign, and PostgreSQL refuses it in a query (500 otherwise).
        sign = Sign.objects.filter(name=sign_name.strip()).first() if "\x00" not in sign_name else None
        if sign is None:
            raise UploadRejected(f"“{sign_name[:50]}” is not a sign in the vocabulary.", code="unknown_sign")
        is_review = str(request.data.get("is_review", "")).lower() in {"1", "true", "yes", "on"}
        try:
            if "video" in request.FILES:
                attempt = attempt_create(
                    learner=learner, sign=sign, video=request.FILES["video"], is_review=is_review
                )
            elif "landmarks" in request.FILES:
                data = landmarks_from_file(request.FILES["landmarks"])
                attempt = attempt_create_from_landmarks(
                    learner=learner, sign=sign, data=data, is_review=is_review
                )
            elif request.data.get("landmarks") is not None:
                data = landmarks_from_json(request.data.get("landmarks"))
                attempt = attempt_create_from_landmarks(
                    learner=learner, sign=sign, data=data, is_review=is_review
                )
            else:
                raise UploadRejected(
                    "Send a `video` file, a `landmarks` file, or JSON `landmarks`.", code="invalid"
                )
        except AttemptRejected as rejected:
            refused = UploadTooLarge if rejected.code == "too_large" else UploadRejected
            raise refused(rejected.message, code=rejected.code) from rejected
        except LandmarksInvalid as invalid:
            raise UploadRejected(str(invalid), code=invalid.code) from invalid
        return Response({"id": attempt.pk, "status": attempt.status}, status=status.HTTP_202_ACCEPTED)


class AttemptDetailView(APIView):
    """One attempt; 404 unless it belongs to this account (or the caller is staff)."""

    @extend_schema(responses=AttemptSerializer)
    def get(self, request, pk: int):
        attempt = attempt_visible(user=request.user, attempt_id=pk)
        if attempt is None:
            raise exceptions.NotFound("No such attempt.")
        return Response(AttemptSerializer(attempt).data)


def _phrase_attempt_from_request(request, *, learner) -> Attempt:
    """`phrase=<id>` with a video, a landmarks file or JSON landmarks: the same refusals as a sign's."""
    if request.data.get("sign") not in (None, ""):
        raise UploadRejected("Send either `sign` or `phrase`, not both.", code="invalid")
    raw = str(request.data.get("phrase")).strip()
    phrase = Phrase.objects.filter(pk=int(raw)).first() if raw.isdecimal() and len(raw) < 10 else None
    if phrase is None:
        raise UploadRejected(f"“{raw[:50]}” is not a phrase id.", code="unknown_phrase")
    try:
        if "video" in request.FILES:
            return phrase_attempt_create(learner=learner, phrase=phrase, video=request.FILES["video"])
        if "landmarks" in request.FILES:
            data = landmarks_from_file(request.FILES["landmarks"])
        elif request.data.get("landmarks") is not None:
            data = landmarks_from_json(request.data.get("landmarks"))
        else:
            raise UploadRejected(
                "Send a `video` file, a `landmarks` file, or JSON `landmarks`.", code="invalid"
            )
        return phrase_attempt_create_from_landmarks(learner=learner, phrase=phrase, data=data)
    except AttemptRejected as rejected:
        raise UploadRejected(rejected.message, code=rejected.code) from rejected
    except LandmarksInvalid as invalid:
        raise UploadRejected(str(invalid), code=invalid.code) from invalid
