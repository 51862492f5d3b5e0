"""Rate limits for writes that cost real work (grading a clip) or guard secrets (token login)."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class WriteRateThrottle(ScopedRateThrottle):
    """Per user (or per IP when anonymous) rate for unsafe methods of views with a `throttle_scope`.

    Reads are never counted, so a client polling an attempt every second does not use up its uploads.
    Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope], read at request time so tests
    and deployments can change them without re-importing this module.
    """

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
