"""Every password check goes through the lockout (accounts.lockout): the log-in page, the admin's
log-in page, the API's token endpoint, anything that calls `authenticate()`."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from .lockout import login_failure_record, login_lockout


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        username = username if username is not None else kwargs.get("username", "")
        address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
        if username and login_lockout(username=username, address=address) is not None:
            raise PermissionDenied  # no other backend is asked: the password is not even checked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username:
            login_failure_record(username=username, address=address)
        return user
