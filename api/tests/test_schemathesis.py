"""Property-based API tests: schemathesis generates requests from /api/schema/ and checks every answer.

For every operation, schema-valid (positive) and schema-violating (negative) requests, sent as a
learner with a token: no 500, every status code documented, content types and bodies as the schema
says. Bounded and deterministic (derandomised Hypothesis, no example database) so CI is stable.
"""

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # ~30 s: 640 generated requests

MAX_EXAMPLES = 20  # per operation and mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def served_schema(curriculum, hamlet, settings):
    # Generous rates: throttled answers are documented, but they would hide everything behind them.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"uploads": "100000/min", "auth": "100000/min"},
    }
    # The raw WSGI app closes the database connection after each request; Django's test client
    # avoids that the same way, so every request runs inside this test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_conforms_to_the_schema(served_schema, hamlet, mode):
    headers = {"Authorization": f"Token {Token.objects.get_or_create(user=hamlet.user)[0].key}"}
    cases: Counter[str] = Counter()
    unsatisfiable: list[str] = []
    operations = [result.ok() for result in served_schema.get_all_operations()]
    assert len(operations) >= 15, [operation.label for operation in operations]
    for operation in operations:

        @HYPOTHESIS
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            cases[case.operation.label] += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # Nothing can be made invalid: no parameters (GET /api/v1/family/) or free strings only
            # (GET /api/v1/signs/{name}/).
            assert mode == GenerationMode.NEGATIVE, operation.label
            unsatisfiable.append(operation.label)
    print(
        f"schemathesis {mode}: {sum(cases.values())} cases over {len(cases)} operations"
        f"{'; nothing to negate in ' + ', '.join(unsatisfiable) if unsatisfiable else ''}"
    )
    assert len(cases) + len(unsatisfiable) == len(operations)  # every operation was exercised
    assert len(cases) >= len(operations) // 2
