"""Fixtures for API tests: token clients for the named people."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counters live in the cache; ids repeat across tests, so start each test at zero."""
    cache.clear()
    yield
    cache.clear()


def token_client(learner) -> APIClient:
    client = APIClient()
    if learner is not None:
        token, _ = Token.objects.get_or_create(user=learner.user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_api():
    return APIClient()


@pytest.fixture
def hamlet_api(hamlet):
    return token_client(hamlet)


@pytest.fixture
def ophelia_api(ophelia):
    return token_client(ophelia)


@pytest.fixture
def iago_api(iago):
    return token_client(iago)
