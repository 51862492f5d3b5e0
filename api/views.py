"""API endpoints that belong to no app: token login and the documentation pages."""

from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken

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
