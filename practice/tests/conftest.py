"""Fixtures for the practice screens that the registry's admin links to (monitoring, attempt review)."""

import pytest

from registry.tests.conftest import kittu_dir, prabhanjan_dir, registered  # noqa: F401  (fixtures)


@pytest.fixture
def iago_client(client, iago):
    client.force_login(iago.user)
    return client
