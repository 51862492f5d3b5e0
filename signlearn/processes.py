"""Child processes that die with their parent (Linux), so no beat or worker outlives what started it."""

import ctypes
import os
import signal
import sys

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
