"""One JSON error shape for every API response that is not a success.

`{"code": "<stable machine code>", "detail": "<human sentence>"}`, plus `errors` (field -> messages)
for validation failures. Programs branch on `code`; `detail` may be reworded at any time.
"""

import logging

from django.core.exceptions import SuspiciousOperation
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import suspicious_request_refusal

log = logging.getLogger(__name__)


def _first_message(errors) -> str:
    """The first message of a (possibly nested) DRF error structure, prefixed with its field."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field in ("non_field_errors", "detail") else f"{field}: {message}"
        return "Invalid input."
    if isinstance(errors, list):
        return _first_message(errors[0]) if errors else "Invalid input."
    return str(errors)


def exception_handler(exc, context):
    if isinstance(exc, SuspiciousOperation):  # Django refused to read the request (size, field count)
        refusal = suspicious_request_refusal(exc)
        return Response({"code": refusal.code, "detail": refusal.detail}, status=refusal.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: a bug. Log it with its traceback and still answer in the API's format.
        view = context.get("view")
        log.exception("unhandled error in %s", type(view).__name__ if view else "API view", exc_info=exc)
        set_rollback()
        return Response(
            {"code": "internal_error", "detail": "Something went wrong on our side. Please try again."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"code": "invalid", "detail": _first_message(errors), "errors": errors}
        return response
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else _first_message(exc.detail)
    else:  # Django's Http404 / PermissionDenied, already given a status by DRF
        code = "not_found" if response.status_code == 404 else "permission_denied"
        detail = _first_message(response.data)
    response.data = {"code": str(code), "detail": str(detail)}
    return response
