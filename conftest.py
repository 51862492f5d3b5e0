"""Project-wide fixtures: named people (Zulip style) and the loaded curriculum; in CI a test that
cannot find what it needs fails instead of skipping."""

import os
from pathlib import Path

import pytest

from ml.paths import islr_dir, shared_models_dir

# The real Celery worker's fixtures, one definition for every app's tests (one worker per session).
pytest_plugins = ["core.testing.fixtures"]

REPO_DIR = Path(__file__).resolve().parent
ISLR_DIR = islr_dir()
SHARED_MODELS_DIR = shared_models_dir()


def shared_clip(name: str) -> Path:
    """A real clip from ../shared/islr/videos, or skip the test saying why."""
    path = ISLR_DIR / "videos" / name
    if not path.exists():
        pytest.skip(f"needs the shared ISLR clips: {path} is absent (set SIGNLEARN_ISLR_DIR)")
    return path


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Tests skip with a reason starting "needs " when shared data, a reference model or a Debian tool
    is missing. On a developer's machine that is a skip; in CI (CI=true) the data and tools must be
    there, so such a skip is a failure: a green CI never hides untested core flows."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and running_in_ci() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if reason.removeprefix("Skipped: ").startswith("needs "):
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: {reason} (a failure in CI: set up the data or tool)"


def pytest_collection_modifyitems(config, items):
    """Mark what the database and broker under the suite cannot change: the ml library's tests (no
    Django) and the browser tests (what a page shows and sends; the server paths they reach have their
    own tests). `.ci/run` runs these on the embedded default only, to stay within its time."""
    ml_tests = REPO_DIR / "ml" / "tests"
    for item in items:
        in_browser = "browser" in item.path.name or "chromium_page" in getattr(item, "fixturenames", ())
        if in_browser or item.path.is_relative_to(ml_tests):
            item.add_marker(pytest.mark.one_backend)


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Upload and login rate limits count in the cache; user ids repeat across tests, so every test
    starts at zero (web form and API share one limit)."""
    from django.conf import settings

    if not settings.configured:  # the TensorFlow tests run without Django
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def curriculum(db):
    from lessons.services import curriculum_load

    curriculum_load()


def make_learner(username: str, display_name: str, *, staff: bool = False, time_zone: str = "UTC"):
    from accounts.services import user_signup

    learner = user_signup(
        username=username,
        email=f"{username}@example.org",
        password="correct horse battery",
        display_name=display_name,
        time_zone=time_zone,
    )
    if staff:
        learner.user.is_staff = learner.user.is_superuser = True
        learner.user.save()
    return learner


@pytest.fixture
def hamlet(db):
    """A parent learning on their own account."""
    return make_learner("hamlet", "Hamlet")


@pytest.fixture
def ophelia(db):
    """Another family's parent: must never see Hamlet's things."""
    return make_learner("ophelia", "Ophelia", time_zone="America/New_York")


@pytest.fixture
def iago(db):
    """Staff: manages the curriculum."""
    return make_learner("iago", "Iago", staff=True)


@pytest.fixture
def hamlet_client(client, hamlet):
    client.force_login(hamlet.user)
    return client


CHROMIUM = Path(os.environ.get("SIGNLEARN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = REPO_DIR / "var" / "screenshots"


@pytest.fixture
def chromium_extra_args() -> list[str]:
    """Extra Chromium flags; a test module overrides this fixture (e.g. a fake camera)."""
    return []


@pytest.fixture
def chromium_page(tmp_path, chromium_extra_args):
    """A headless Debian Chromium page driven by Playwright (no browser download, fresh profile)."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian chromium at {CHROMIUM} (scripts/ensure_test_tools.sh installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django ORM calls in the test body are
    # still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS + chromium_extra_args,
            viewport={"width": 1280, "height": 900},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(20_000)
        # Every browser test also checks that the Content-Security-Policy blocked nothing on its pages.
        blocked = []
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and blocked.append(message.text),
        )
        yield page
        context.close()
        assert not blocked, f"the page broke its Content-Security-Policy: {blocked}"
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
