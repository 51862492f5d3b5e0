"""Progress tests: an empty cache per test, and the practice fixtures that grade an attempt (a pinned
model, real clips and landmarks, the tasks sent) for the tests that check what grading folds into
progress. They are imported from the app below (practice), never the other way round."""

import pytest
from django.core.cache import cache

from practice.conftest import (  # noqa: F401  (fixtures)
    api,
    cloud_landmarks,
    dad_go_bed_landmarks,
    pinned_model,
    rain_clip,
    reference_predictor,
    sent_tasks,
)


@pytest.fixture(autouse=True)
def empty_cache():
    """The dashboard caches fragments per learner; tests must not see each other's."""
    cache.clear()
    yield
    cache.clear()
