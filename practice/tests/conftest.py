"""Fixtures for the practice screens that the registry's admin links to (monitoring, attempt review), and
the registry's models and real sequences for the tests that grade with them (a worker switching models,
the shipped configuration, retraining on consented attempts)."""

import pytest

from registry.tests.conftest import kittu_dir, prabhanjan_dir, real_sequences, registered  # noqa: F401  (fixtures)


@pytest.fixture
def iago_client(client, iago):
    client.force_login(iago.user)
    return client
