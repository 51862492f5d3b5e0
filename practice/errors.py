"""What practice raises and catches: refused uploads, ungradable clips, and the outages worth riding out."""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import KombuError

# Errors worth retrying: the database or broker was briefly unreachable or locked.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# What sending a task raises when the broker is down: kombu wraps connection errors after its
# retries; a filesystem broker on a full or missing disk raises OSError.
BROKER_ERRORS = (KombuError, OSError)


class AttemptRejected(Exception):
    """An upload refused in the request (answered 400), with a stable code and a sentence."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class GradingFailure(Exception):
    """The clip cannot be graded (unreadable, no hands, ...): the attempt ends as failed(code)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
