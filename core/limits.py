"""Request bodies over their limit are refused from the headers, before anything reads them.

`BodyLimitMiddleware` sits near the top of MIDDLEWARE, above the CSRF middleware (which parses a POST
body before `login_required` runs), so an oversized upload is answered 413 whether the client is
logged in, anonymous with only a CSRF cookie, or an API program. The body stays unread on the socket:
gunicorn, which has request line and header limits but no body limit, reads `wsgi.input` only when the
application does, so this check is the production server's body limit too.

A body without a Content-Length (chunked) is refused with 411: its size is unknown until it has been
read, and Django would otherwise see it as empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

# The views that accept a practice clip: the clip's own limit plus room for the multipart envelope and
# the other fields. Every other view gets DATA_UPLOAD_MAX_MEMORY_SIZE, the admin its own limit.
UPLOAD_URL_NAMES = frozenset({"attempt-submit", "api-attempt-list"})
MULTIPART_ALLOWANCE = 1024 * 1024
ADMIN_PREFIX = "/admin/"  # signlearn/urls.py: model files and tutorial videos are uploaded there
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class BodyRefusal:
    status: int
    code: str
    detail: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def body_limit(path_info: str) -> tuple[int, str]:
    """The largest body, in bytes, that the view at `path_info` accepts, and what to tell a client
    who sends more."""
    if path_info.startswith(ADMIN_PREFIX):
        limit = settings.SIGNLEARN_MAX_ADMIN_UPLOAD_BYTES
        return limit, f"The upload is larger than {_megabytes(limit)}."
    try:
        url_name = resolve(path_info).url_name
    except Resolver404:
        url_name = None
    if url_name in UPLOAD_URL_NAMES:
        clip = settings.SIGNLEARN_MAX_UPLOAD_BYTES
        return (
            clip + MULTIPART_ALLOWANCE,
            f"The upload is larger than {_megabytes(clip)}: send a shorter clip.",
        )
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit, f"The request is larger than {_megabytes(limit)}."


def body_refusal(*, method: str, meta: dict, path_info: str) -> BodyRefusal | None:
    """Why this request's body is refused, judged from its headers alone; None when it may be read."""
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        return BodyRefusal(411, "length_required", "Send the request with a Content-Length (not chunked).")
    try:
        length = int(meta.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = -1
    if length < 0:
        return BodyRefusal(400, "bad_request", "The Content-Length header is not a byte count.")
    if length == 0 or method not in METHODS_WITH_BODY:
        return None
    limit, detail = body_limit(path_info)
    return BodyRefusal(413, "too_large", detail) if length > limit else None


def wants_json(request: HttpRequest) -> bool:
    """API paths and scripts that ask for JSON get the API's error shape; browsers get a page."""
    return request.path_info.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request: HttpRequest, *, status: int, code: str, detail: str) -> HttpResponse:
    """`{"code", "detail"}` for JSON clients, a self-contained page for people (no database, no login:
    this may run before the session and authentication middleware)."""
    if wants_json(request):
        response = JsonResponse({"code": code, "detail": detail}, status=status)
    else:
        html = render_to_string("errors/request_refused.html", {"status": status, "detail": detail})
        response = HttpResponse(html, status=status)
    # Answered above CommonMiddleware, which would add it: a client still sending its body knows where
    # this answer ends.
    response["Content-Length"] = str(len(response.content))
    return response


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = body_refusal(method=request.method, meta=request.META, path_info=request.path_info)
        if refusal is not None:
            return error_response(request, status=refusal.status, code=refusal.code, detail=refusal.detail)
        return self.get_response(request)
