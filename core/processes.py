"""Process housekeeping: children that die with their parent (Linux), so no beat or worker outlives what
started it, and workers that yield the CPU to the web processes."""

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `sig` to this process when its parent exits, however the parent ends.

    Used as a subprocess `preexec_fn` (runstack's children) and in celery's embedded beat, which a
    SIGKILLed worker would otherwise leave behind sending every periodic task. No-op off Linux.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), sig)


def lower_priority() -> None:
    """Raise this process's niceness to SIGNLEARN_WORKER_NICE (0 leaves it).

    MediaPipe keeps both cores busy while it grades; on a machine that also serves pages (`make run`,
    a small host) an upload or a page would wait behind it. At niceness 10 the kernel gives the web
    processes the CPU first and grading the rest, so requests stay fast and grading loses nothing on
    an idle machine. A worker on a machine of its own is unaffected.
    """
    from django.conf import settings

    wanted = int(getattr(settings, "SIGNLEARN_WORKER_NICE", 0))
    current = os.nice(0)
    if wanted > current:
        os.nice(wanted - current)
    if wanted > 0:
        _lower_own_autogroup(wanted)


def _lower_own_autogroup(nice: int) -> None:
    """Give this session's autogroup the niceness too, when the session is this process's own.

    With autogroup scheduling (kernel.sched_autogroup_enabled, on by default in most distributions)
    the kernel first shares the CPU between sessions, and a niceness only ranks a process within its
    own session. A worker started in a session of its own (by a service manager, `setsid`, a second
    terminal, the benchmarks) took half the CPU from the web server at niceness 10: uploads were
    accepted 2-3x slower while it graded. Only a session leader's autogroup holds nothing but it and
    its children (pool, embedded beat); in a shared session (runstack) the web processes would be
    lowered too, so there the niceness alone does the work. Raising a niceness needs no privilege.
    """
    if not sys.platform.startswith("linux") or os.getsid(0) != os.getpid():
        return
    try:
        Path("/proc/self/autogroup").write_text(str(nice))
    except OSError:  # no autogroup support, or a read-only /proc (some containers): nothing to do
        pass
