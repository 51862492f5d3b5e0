"""The public API. Each app keeps its endpoints in `<app>/api.py`; the v1 routes are listed here."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("v1/auth/token/", obtain_auth_token, name="api-token"),
]
