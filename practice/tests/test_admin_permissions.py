"""The registry's review and training screens change nothing for staff without their permissions, shown
on a family's real attempt (moved from registry/tests/test_admin_permissions.py: it stores a practice
attempt, so it belongs to the tests of practice, the app above the registry)."""

import pytest
from django.urls import reverse

from practice.conftest import make_attempt
from registry.models import AttemptLabel, TrainingRun
from registry.tests.conftest import set_consent, tiny_sequence_bytes
from registry.tests.test_admin_permissions import staff_with

pytestmark = pytest.mark.usefixtures("curriculum")


def test_staff_without_permissions_change_nothing(client, hamlet):
    set_consent(hamlet, True)
    attempt = make_attempt(hamlet, "cat", tiny_sequence_bytes(1), rank=7)
    client.force_login(staff_with())
    review = client.post(
        reverse("admin:registry_attempt_review"), {"attempt": attempt.pk, "sign": "kitty", "verdict": "sign"}
    )
    training = client.post(reverse("admin:registry_trainingrun_start"), {"epochs": 1})
    assert (review.status_code, training.status_code) == (403, 403)
    assert not AttemptLabel.objects.exists() and not TrainingRun.objects.exists()
