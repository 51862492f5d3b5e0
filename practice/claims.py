"""Who holds an attempt's grading claim, and whether that holder is still alive.

A claim records the grading process (`host:pid:start`, start = the process's start time in clock
ticks since boot, so a recycled pid is not mistaken for the dead process) and a heartbeat the
process refreshes while it grades. A claim is dead when its heartbeat is older than HEARTBEAT_STALE,
or at once when its process is on this host and no longer exists: a worker restarted after a kill
takes its predecessor's attempts over within seconds instead of waiting for the grading time limit.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db import connections
from django.utils import timezone

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 5.0
# Four missed beats: long enough for a busy shared core or a slow database write, short enough that a
# killed worker's attempt on another machine is graded well within half a minute of a restart.
HEARTBEAT_STALE = timedelta(seconds=20)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    start: str  # /proc start time, "" where unknown

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = (text or "").rsplit(":", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(host=parts[0], pid=int(parts[1]), start=parts[2])


def _process_start(pid: int) -> str | None:
    """The start time of a process (field 22 of /proc/PID/stat); None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # the command name may hold spaces or parentheses


@cache
def _hostname() -> str:
    return socket.gethostname()[:80]


def current_holder() -> str:
    """This process as a claim holder (the grading process: the pool child under prefork)."""
    pid = os.getpid()
    return str(Holder(host=_hostname(), pid=pid, start=_process_start(pid) or ""))


def holder_gone(text: str) -> bool:
    """True only when the holder is known to be dead: on this host, and its process no longer runs.

    A holder on another host cannot be checked from here: its heartbeat tells.
    """
    holder = Holder.parse(text)
    if holder is None or holder.host != _hostname():
        return False
    start = _process_start(holder.pid)
    if start is None:
        return True
    return bool(holder.start) and bool(start) and start != holder.start


@contextmanager
def heartbeat(queryset_of_claim) -> Iterator[None]:
    """Refresh `heartbeat_at` of the claimed row every HEARTBEAT_INTERVAL_S while the block runs.

    `queryset_of_claim` matches the row only while this process still holds the claim, so a beat
    after a takeover changes nothing. The thread has its own database connection, closed at the end.
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_INTERVAL_S):
                try:
                    queryset_of_claim.update(heartbeat_at=timezone.now())
                except Exception:  # a missed beat is not fatal; four in a row hand the attempt on
                    log.warning("claim heartbeat failed", exc_info=True)
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name="claim-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1.0)  # a beat stuck on a lock must not hold up the result
