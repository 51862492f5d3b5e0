"""On-device practice in a real headless Chromium (Holistic WASM on SwiftShader WebGL2): the page's ISLR
rows against `ml.landmarks` on the same frames of a real clip, the fallback to uploading, and a recording
from a fake camera graded from its landmarks alone.

Holistic takes several seconds a frame here (software WebGL on a busy 2-core machine), so the page is
told to sample few frames (`?ondevice=force&ondevice_frames=N`); real browsers run it live.
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from bench.browser_extractor import (
    HOLISTIC_DIR,
    BrowserExtractor,
    chromium_args,
    chromium_path,
    evenly_spaced,
)
from conftest import SCREENSHOT_DIR
from ml.layout import PARTS
from practice.conftest import OWN_SIGN, fake_camera_args, wait_for_replay
from practice.models import Attempt
from practice.tests.test_browser import open_sign_page_as_hamlet

pytestmark = [pytest.mark.slow]
# The panel's status once an attempt is accepted (a worker left running by another test may grade it).
SUBMITTED = re.compile("Waiting for a grader|Grading your clip|Graded")
EXTRACTION_TIMEOUT_MS = 300_000  # 8 frames at up to ~20 s each on a loaded machine, plus loading


def needs_browser_and_holistic() -> None:
    if not chromium_path().exists():
        pytest.skip(f"needs Debian chromium at {chromium_path()} (scripts/ensure_test_tools.sh installs it)")
    if not (HOLISTIC_DIR / "holistic.js").exists():
        pytest.skip(f"needs npm's @mediapipe/holistic in {HOLISTIC_DIR} (npm ci, make frontend)")


def test_page_rows_match_ml_landmarks_on_the_same_frames_of_a_real_clip(rain_clip, tmp_path):
    needs_browser_and_holistic()
    from playwright.sync_api import sync_playwright

    from ml.landmarks import HolisticExtractor
    from ml.video import read_video

    frames = list(read_video(rain_clip).frames)
    chosen = [frames[i] for i in evenly_spaced(len(frames), 3)]
    empty = np.full_like(chosen[0], 90)  # nobody in the picture: every part missing
    chosen.append(empty)
    server = HolisticExtractor().extract(chosen).data
    with sync_playwright() as playwright:
        browser = BrowserExtractor(playwright, profile_dir=tmp_path / "profile")
        try:
            page = browser.extract(chosen).data
        finally:
            browser.close()

    assert page.shape == server.shape == (4, 543, 3)
    assert np.isnan(page[3]).all() and np.isnan(server[3]).all()  # NaN, never 0, for what is missing
    for name, rows in PARTS:  # every part in its ISLR rows, same handedness, same image axes
        assert not np.isnan(page[:3, rows]).any(), name
        delta = np.abs(page[:3, rows, :2] - server[:3, rows, :2]).mean()
        assert delta < 0.01, (name, delta)
    # x is normalised to the unmirrored frame (the preview's mirror is only CSS): mirrored x would be far.
    hands = np.r_[468:489, 522:543]
    assert np.abs((1 - page[:3, hands, 0]) - server[:3, hands, 0]).mean() > 0.1


# --- the practice panel ---------------------------------------------------------------------------


@pytest.fixture
def webgl_page(tmp_path, rain_camera_clip):
    """Chromium with software WebGL2 (what Holistic needs) and a fake camera playing the real clip."""
    needs_browser_and_holistic()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    args = chromium_args() + fake_camera_args(rain_camera_clip)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(chromium_path()),
            headless=True,
            args=args,
            viewport={"width": 1280, "height": 900},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def record(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Record (3-2-1)").click(timeout=120_000)  # between two frames
    # A Holistic frame holds the page for seconds here: the countdown's timers may run late.
    expect(page.locator("[data-rec]")).to_be_visible(timeout=60_000)
    expect(page.locator("[data-playback]")).to_be_visible(timeout=60_000)  # stops by itself after 5 s


@pytest.mark.usefixtures("curriculum")
def test_without_webassembly_the_page_says_so_and_uploads_the_clip(live_server, hamlet, webgl_page):
    from playwright.sync_api import expect

    page = webgl_page
    page.add_init_script("Object.defineProperty(window, 'WebAssembly', { value: undefined });")
    open_sign_page_as_hamlet(page, live_server.url, query="")
    privacy = page.locator("[data-privacy]")
    expect(privacy).to_have_text(
        "Recordings last 3 to 5 seconds. Nothing leaves your device until you press Submit."
    )

    page.get_by_role("button", name="Turn on camera").click()
    note = page.locator("[data-ondevice-note]")
    expect(note).to_have_text(
        "This browser cannot find your hands on the device (no WebAssembly), "
        "so your clip will be uploaded and graded on our server."
    )
    expect(page.locator("[data-ondevice-optin]")).to_be_hidden()
    record(page)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("[data-status]")).to_contain_text(SUBMITTED, timeout=20_000)

    attempt = Attempt.objects.get()
    assert attempt.source == Attempt.Source.VIDEO and attempt.video.name.endswith(".webm")


@pytest.mark.usefixtures("curriculum")
def test_recording_is_graded_from_landmarks_extracted_in_the_page(
    celery_worker, live_server, hamlet, webgl_page, settings
):
    from playwright.sync_api import expect

    def media_files() -> set[str]:
        return {str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    media_before = media_files()
    page = webgl_page
    console, requested = [], []
    page.on("console", lambda message: console.append(message.text))
    page.on("request", lambda request: requested.append(request.url))
    open_sign_page_as_hamlet(page, live_server.url, query="")
    page.goto(f"{live_server.url}/signs/{OWN_SIGN}/?ondevice=force&ondevice_frames=8&debug=1")
    page.get_by_role("button", name="Turn on camera").click()
    box = page.locator("[data-ondevice]")
    expect(box).to_have_attribute("data-state", "live", timeout=EXTRACTION_TIMEOUT_MS)
    expect(page.locator("[data-privacy]")).to_contain_text("Your video stays on this device")
    expect(page.locator("[data-ondevice-optin] input")).not_to_be_checked()
    expect(page.locator("[data-fps]")).to_contain_text("frames/s", timeout=EXTRACTION_TIMEOUT_MS)

    record(page)
    expect(box).to_have_attribute("data-extracted", "true", timeout=EXTRACTION_TIMEOUT_MS)
    assert box.get_attribute("data-frames") == "8"
    page.locator("#practice").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "practice-ondevice.png"), full_page=True)
    page.get_by_role("button", name="Submit for grading").click()

    result = page.locator('[data-result] [data-attempt-status="graded"]')
    expect(result).to_be_visible(timeout=120_000)
    attempt = Attempt.objects.get()
    assert attempt.status == "graded", attempt.failure_detail
    assert attempt.source == Attempt.Source.LANDMARKS and attempt.result.n_frames == 8
    assert attempt.result.passed, attempt.result.top10
    # The video stayed in the browser: the attempt's only new files are its landmarks and what the
    # worker drew from them (the skeleton replay and thumbnail).
    attempt = wait_for_replay(attempt.pk)
    assert not attempt.video
    drawn = {attempt.landmarks.path, attempt.replay.path, attempt.thumbnail.path}
    assert media_files() - media_before == drawn
    assert not [line for line in console if "Content Security Policy" in line]
    # Holistic's scripts, WASM and models came from our static files; nothing from the internet.
    assert (
        f"{live_server.url}/static/vendor/mediapipe-holistic/holistic_solution_packed_assets.data"
        in requested
    )
    assert not [u for u in requested if not u.startswith((live_server.url, "blob:", "data:"))]


@pytest.mark.usefixtures("curriculum")
def test_too_slow_a_device_falls_back_to_uploading(live_server, hamlet, webgl_page):
    """Holistic on software WebGL runs far below 8 frames/s: without ?ondevice=force the page says so."""
    from playwright.sync_api import expect

    page = webgl_page
    open_sign_page_as_hamlet(page, live_server.url, query="")
    page.get_by_role("button", name="Turn on camera").click()
    note = page.locator("[data-ondevice-note]")
    expect(note).to_contain_text("This device finds your hands too slowly (", timeout=EXTRACTION_TIMEOUT_MS)
    expect(note).to_contain_text("frames/s), so your clip will be uploaded and graded on our server.")
    expect(page.locator("[data-ondevice]")).to_have_attribute("data-state", "fallback")
    expect(page.locator("[data-skeleton]")).to_be_hidden()
    expect(page.locator("[data-privacy]")).to_contain_text(
        "Nothing leaves your device until you press Submit"
    )


@pytest.mark.usefixtures("curriculum")
def test_opted_in_recording_sends_the_clip_with_its_landmarks(live_server, hamlet, webgl_page):
    from playwright.sync_api import expect

    page = webgl_page
    open_sign_page_as_hamlet(page, live_server.url, query="")
    page.goto(f"{live_server.url}/signs/{OWN_SIGN}/?ondevice=force&ondevice_frames=1")
    page.get_by_role("button", name="Turn on camera").click()
    expect(page.locator("[data-ondevice]")).to_have_attribute(
        "data-state", "live", timeout=EXTRACTION_TIMEOUT_MS
    )
    page.get_by_label("Also upload my video for the replay").check()
    expect(page.locator("[data-privacy]")).to_contain_text("Your video will be uploaded")
    expect(page.locator("[data-privacy]")).to_contain_text("deleted after 7 days")

    record(page)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("[data-status]")).to_contain_text(SUBMITTED, timeout=EXTRACTION_TIMEOUT_MS)

    assert int(page.locator("[data-ondevice]").get_attribute("data-frames")) >= 1
    attempt = Attempt.objects.get()
    assert attempt.source == Attempt.Source.LANDMARKS
    assert attempt.video.name.endswith(".webm") and attempt.video.size > 10_000
