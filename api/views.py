"""API endpoints that belong to no app: token login and the documentation pages."""

from django.urls import resolve
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from .serializers import CredentialsSerializer, TokenSerializer
from .throttling import WriteRateThrottle


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
        return super().post(request, *args, **kwargs)


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
