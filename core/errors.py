"""Requests Django refuses while reading them (too many fields or files, a body over the form limit,
any other SuspiciousOperation) get a 400 or 413 with a stable code, never a 500 or, for a JSON
client, Django's HTML error page. The API's exception handler and `handler400` share this table."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.views import csrf

from .limits import BodyRefusal, error_response, wants_json


def suspicious_request_refusal(exc: Exception | None) -> BodyRefusal:
    """What to answer for a request Django found malformed (a SuspiciousOperation or BadRequest)."""
    if isinstance(exc, RequestDataTooBig):
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return BodyRefusal(
            413,
            "too_large",
            f"The form fields or JSON body are larger than {limit_mb} MB: send a long landmark sequence "
            "as a parquet file.",
        )
    if isinstance(exc, TooManyFieldsSent):
        return BodyRefusal(
            400, "too_many_fields", f"Send at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} form fields."
        )
    if isinstance(exc, TooManyFilesSent):
        return BodyRefusal(
            400, "too_many_files", f"Send at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files."
        )
    return BodyRefusal(400, "bad_request", "The request could not be read.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: JSON for API paths and scripts, a page for people."""
    refusal = suspicious_request_refusal(exception)
    return error_response(request, status=refusal.status, code=refusal.code, detail=refusal.detail)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the page script (which asks for JSON) gets a code, people Django's page."""
    if wants_json(request):
        detail = "The form's security token is missing or out of date: reload the page and try again."
        return error_response(request, status=403, code="csrf_failed", detail=detail)
    return csrf.csrf_failure(request, reason=reason)
