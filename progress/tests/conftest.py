import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """The dashboard caches fragments per learner; tests must not see each other's."""
    cache.clear()
    yield
    cache.clear()
