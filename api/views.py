"""API endpoints that belong to no app: token login and the documentation pages."""

from django.urls import resolve
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.lockout import Lockout, login_lockout
from core.throttling import WriteRateThrottle

from .serializers import CredentialsSerializer, TokenSerializer


class TokenView(ObtainAuthToken):
    """Exchange a username and password for the account's API token (created on first use)."""

    throttle_classes = [WriteRateThrottle]
    throttle_scope = "auth"  # slows down password guessing

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TokenSerializer},
        tags=["auth"],
        auth=[],
        operation_id="auth_token_create",
    )
    def post(self, request, *args, **kwargs):
        username = str(request.data.get("username", ""))[:150] if isinstance(request.data, dict) else ""
        address = request.META.get("REMOTE_ADDR", "")
        lockout = login_lockout(username=username, address=address)
        if lockout is not None:
            raise LoginLocked(lockout)
        return super().post(request, *args, **kwargs)  # the auth backend counts a wrong password


class LoginLocked(APIException):
    """Too many wrong passwords for the account or from the address (accounts.lockout)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "login_locked"

    def __init__(self, lockout: Lockout):
        super().__init__(lockout.message, code="login_locked")
        self.wait = lockout.wait_seconds  # DRF answers it as Retry-After


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any /api/ path that matches no endpoint: a JSON 404 in the API's error format, not an HTML page."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        with_slash = f"{request.path}/"
        if (
            not request.path.endswith("/")
            and getattr(resolve(with_slash).func, "view_class", None) is not NotFoundView
        ):
            raise NotFound(f"No API endpoint at this address; did you mean {with_slash} (with the slash)?")
        raise NotFound("No API endpoint at this address.")
