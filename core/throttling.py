"""Rate limits for writes that cost real work (grading a clip) or guard secrets (token login).

A core module (it imports no app): the API's views and practice's upload pages count against the
same limits, and settings name WriteRateThrottle as DRF's default.
"""

import math
from types import SimpleNamespace

from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

# What a cache read raises when its server is down (the Redis cache, often on the broker's Redis).
CACHE_ERRORS = (RedisError, OSError)


class RateLimitUnavailable(exceptions.APIException):
    """The rate limit's counters cannot be read: refuse for now rather than count nothing (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "cache_unavailable"
    default_detail = "SignLearn is briefly unavailable. Please try again in a minute; nothing was stored."


def uploads_wait_seconds(request) -> int | None:
    """None when this user may create another attempt now, else the seconds to wait.

    Raises RateLimitUnavailable when the cache holding the counters is unreachable.

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
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            raise RateLimitUnavailable() from error

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
