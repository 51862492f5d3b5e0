"""Rate limits for writes that cost real work (grading a clip) or guard secrets (token login)."""

import math
from types import SimpleNamespace

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


def uploads_wait_seconds(request) -> int | None:
    """None when this user may create another attempt now, else the seconds to wait.

    The web form counts against the same "uploads" limit as the API (same cache key), so a parent's
    browser cannot flood the grading queue either.
    """
    throttle = WriteRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope="uploads")):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


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
