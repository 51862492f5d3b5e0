"""Password guessing: wrong passwords counted per account and per client address, for every password
check (accounts.backends: the log-in page, the admin's, the API's token endpoint).

After SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT wrong passwords for one username, or
SIGNLEARN_LOGIN_FAILURES_PER_ADDRESS from one address, within SIGNLEARN_LOGIN_WINDOW_SECONDS of the
first, every log-in for that username (or from that address) is refused, the right password included,
until the window ends. The counters live in the default cache, which all web processes share (a file
cache under var/ or Redis: settings.CACHES), so gunicorn's workers enforce one limit, not one each.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "login-failures"


@dataclass(frozen=True)
class Lockout:
    scope: str  # "account" or "address"
    wait_seconds: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.wait_seconds / 60))
        who = "this account" if self.scope == "account" else "your network address"
        return (
            f"Too many wrong passwords for {who}: log-in is paused for {minutes} minute"
            f"{'s' if minutes != 1 else ''}, even with the right password. Try again then, or reset your "
            "password."
        )


def _keys(*, username: str, address: str) -> dict[str, str]:
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return {"account": f"{PREFIX}:account:{account}", "address": f"{PREFIX}:address:{address}"}


def _limits() -> dict[str, int]:
    return {
        "account": settings.SIGNLEARN_LOGIN_FAILURES_PER_ACCOUNT,
        "address": settings.SIGNLEARN_LOGIN_FAILURES_PER_ADDRESS,
    }


def login_lockout(*, username: str, address: str) -> Lockout | None:
    """The lock that refuses this log-in now, or None when it may be tried."""
    keys = _keys(username=username, address=address)
    stored = cache.get_many([*keys.values(), *(f"{key}:ends" for key in keys.values())])
    now = time.time()
    for scope, limit in _limits().items():
        key = keys[scope]
        if stored.get(key, 0) >= limit:
            return Lockout(scope=scope, wait_seconds=max(1, math.ceil(stored.get(f"{key}:ends", now) - now)))
    return None


def login_failure_record(*, username: str, address: str) -> None:
    """Count one wrong password against the username and the address.

    `add` opens a window only when none is open and `incr` is atomic on Redis, so concurrent guesses
    each count there; the file cache's `incr` is a read and a write, close enough for one machine.
    """
    window = settings.SIGNLEARN_LOGIN_WINDOW_SECONDS
    for key in _keys(username=username, address=address).values():
        now = time.time()
        cache.add(f"{key}:ends", now + window, timeout=window)
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # the window closed between add and incr: this failure opens the next
            cache.set(key, 1, timeout=window)
            cache.set(f"{key}:ends", now + window, timeout=window)
            continue
        # The file cache's incr rewrites the entry with the default timeout: keep the window's end.
        ends = cache.get(f"{key}:ends", now + window)
        cache.touch(key, timeout=max(1, math.ceil(ends - now)))
