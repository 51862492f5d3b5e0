"""The practice panel's on-device path (session auth, CSRF): the page extracted the landmarks itself and
sends them, with the clip only when the parent opted in to keeping it for the replay."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from accounts.current import learner_for_page
from lessons.models import Sign

from .errors import AttemptRejected
from .landmarks_input import LandmarksInvalid, landmarks_from_file
from .services import attempt_create_from_landmarks
from .views import _status_payload, refusal_response, upload_refusal

TRUE_VALUES = {"1", "true", "on", "yes"}


@login_required
@require_POST
def attempt_submit_landmarks(request: HttpRequest, name: str) -> JsonResponse:
    """`landmarks`: a JSON file [T][543][3] (null = missing); optional `video`; answered like a clip upload."""
    sign = get_object_or_404(Sign, name=name)
    learner = learner_for_page(request)
    problem = upload_refusal(request, learner)
    if problem:
        return refusal_response(*problem)
    if "landmarks" not in request.FILES:
        return refusal_response(
            "invalid_landmarks", "Send the landmarks of your recording as a `landmarks` file."
        )
    try:
        attempt = attempt_create_from_landmarks(
            learner=learner,
            sign=sign,
            data=landmarks_from_file(request.FILES["landmarks"]),
            is_review=request.POST.get("is_review", "").lower() in TRUE_VALUES,
            video=request.FILES.get("video"),
        )
    except LandmarksInvalid as invalid:
        return refusal_response(invalid.code, str(invalid))
    except AttemptRejected as rejected:
        return refusal_response(rejected.code, rejected.message)
    return JsonResponse(_status_payload(request, attempt), status=202)
