"""Fixtures for API tests: token clients for the named people."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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


def graded_attempt(learner, sign, *, rank: int | None):
    """A graded attempt with its result row, written directly (no worker): history for read endpoints."""
    from practice.models import Attempt, AttemptResult
    from progress.rules import is_pass, outcome_for_rank

    attempt = Attempt.objects.create(learner=learner, sign=sign, status=Attempt.Status.GRADED)
    AttemptResult.objects.create(
        attempt=attempt,
        passed=is_pass(rank),
        rank=rank,
        xp=outcome_for_rank(rank).xp,
        top10=[{"sign": sign.name, "index": sign.index, "score": 0.5}],
        detected={"face": 1.0, "left_hand": 0.5, "pose": 1.0, "right_hand": 0.9},
        n_frames=30,
        model_version="test-model",
    )
    return attempt
