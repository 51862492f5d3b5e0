"""OpenAPI generation: every operation documents the error responses it can really give.

Clients (and schemathesis) then see the `{"code", "detail"}` body for 400/401/403/404/409/413/415/429
instead of undocumented status codes.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from .serializers import ErrorSerializer

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _error_codes(self) -> list[str]:
        codes = set()
        unsafe = self.method in UNSAFE_METHODS
        has_path_parameters = "{" in self.path
        paginated = self._is_list_view() and self._get_paginator() is not None
        filters = [p for p in self._get_parameters() if p["in"] == "query" and p["name"] != "page"]
        if unsafe or filters:
            codes.add("400")  # bad body, or a bad filter / query parameter
        if unsafe:
            codes.add("413")  # a body over its limit (core.limits, DATA_UPLOAD_MAX_MEMORY_SIZE)
        if unsafe and self.get_request_serializer() is not None:
            codes.add("415")
        if self.view.get_authenticators():
            codes.add("401")  # a wrong or expired token is refused even where anonymous reads are allowed
        if unsafe and not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes.add("403")  # e.g. staff may read another account's objects but not change them
        if unsafe and any(isinstance(auth, SessionAuthentication) for auth in self.view.get_authenticators()):
            codes.add("403")  # a session request without its CSRF token
        if has_path_parameters or paginated:
            codes.add("404")  # unknown object, another learner's object, or a page past the end
        if getattr(self.view, "uses_learner", False):
            codes.update({"400", "404"})  # a bad or foreign `?learner=` id
            codes.add("409")  # the account has no learner profile yet
        if unsafe and getattr(self.view, "throttle_scope", None):
            codes.add("429")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        return responses
