"""Content-Security-Policy on every response (Django 5.2 has no CSP of its own).

SecurityMiddleware already sends `X-Content-Type-Options: nosniff` and `Referrer-Policy`
(SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY). Scripts run only from our own static files on
every page: templates hold no inline <script> or on* handler (signlearn/tests/test_security_headers.py
checks both). Our pages also need no inline style; the Django admin (widgets, the registry's
format_html previews) and the Swagger UI template do, so those two get inline styles, never scripts.
"""

from django.http import HttpRequest, HttpResponse

_COMMON = {
    "default-src": "'self'",
    # MediaPipe Holistic runs as WebAssembly in the practice panel (on-device landmarks); this allows
    # compiling WASM only, never eval() of script text.
    "script-src": "'self' 'wasm-unsafe-eval'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",  # the recorder previews its clip from a blob URL
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
INLINE_STYLE_PREFIXES = ("/admin/", "/api/docs/")


def _policy(style_src: str) -> str:
    return "; ".join(f"{name} {value}" for name, value in {**_COMMON, "style-src": style_src}.items())


SITE_POLICY = _policy("'self'")
INLINE_STYLE_POLICY = _policy("'self' 'unsafe-inline'")


def content_security_policy(path_info: str) -> str:
    return INLINE_STYLE_POLICY if path_info.startswith(INLINE_STYLE_PREFIXES) else SITE_POLICY


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy(request.path_info))
        return response
