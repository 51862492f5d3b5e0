"""Record on the sign page in a real Chromium with a fake camera playing a real clip, then see the result."""

import pytest

from conftest import SCREENSHOT_DIR
from practice.conftest import OWN_SIGN, fake_camera_args, log_in
from practice.models import Attempt

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]


@pytest.fixture
def chromium_extra_args(rain_camera_clip) -> list[str]:
    return fake_camera_args(rain_camera_clip)


def open_sign_page_as_hamlet(page, base_url: str, query: str = "?ondevice=off") -> None:
    """Log in through the real form, then open the practised sign's page.

    These tests are about recording and uploading a clip: the on-device path is switched off, because
    probing Holistic on software WebGL would hold the page for seconds (test_ondevice_browser.py tests it).
    """
    log_in(page, base_url)
    page.goto(f"{base_url}/signs/{OWN_SIGN}/{query}")


def test_record_submit_and_see_the_graded_result(
    celery_worker, live_server, hamlet, rain_clip, chromium_page
):
    from django.core.files import File
    from playwright.sync_api import expect

    from lessons.models import Sign
    from lessons.services import tutorial_create

    with rain_clip.open("rb") as fh:  # a tutorial to replay next to the attempt (its QA runs in the worker)
        tutorial_create(
            sign=Sign.objects.get(name=OWN_SIGN), file=File(fh, name=rain_clip.name), title="Rain"
        )
    page = chromium_page
    open_sign_page_as_hamlet(page, live_server.url)

    page.get_by_role("button", name="Turn on camera").click()
    page.wait_for_function(
        "() => document.querySelector('[data-preview]').videoWidth > 0"
    )  # a function: CSP has no eval
    page.get_by_role("button", name="Record (3-2-1)").click()
    expect(page.locator("[data-countdown]")).to_have_text("3")
    expect(page.locator("[data-rec]")).to_be_visible(timeout=5_000)
    # stops by itself after 5 s and plays the recording back
    expect(page.locator("[data-playback]")).to_be_visible(timeout=10_000)
    recorded_s = float(page.locator("[data-elapsed]").inner_text())
    assert 4.9 <= recorded_s <= 5.5
    expect(page.get_by_role("button", name="Retake")).to_be_visible()
    page.get_by_role("button", name="Submit for grading").click()

    result = page.locator('[data-result] [data-attempt-status="graded"]')
    expect(result).to_be_visible(timeout=120_000)
    expect(result.locator(".top10 li")).to_have_count(10)
    expect(result.locator("video.replay")).to_be_visible()
    expect(page.get_by_role("button", name="Retake")).to_be_visible()  # record again from the result
    page.wait_for_timeout(1500)  # let the replay show a frame
    page.locator("#practice").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "practice-result.png"), full_page=True)

    attempt = Attempt.objects.get()
    assert attempt.status == "graded" and attempt.video.name.endswith(".webm")
    assert attempt.sign.tutorials.get().landmarks  # the replay had a tutorial to show
    assert 4.0 < attempt.duration_s < 6.0
    assert attempt.result.n_frames > 60


def test_after_a_refused_upload_the_camera_can_still_be_turned_on(
    live_server, hamlet, chromium_page, tmp_path
):
    from playwright.sync_api import expect

    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_bytes(b"these are my notes, not a video")
    page = chromium_page
    open_sign_page_as_hamlet(page, live_server.url)

    page.get_by_text("Or upload a video file").click()
    page.set_input_files("#id_video", str(not_a_video))
    page.get_by_role("button", name="Upload and grade").click()

    expect(page.locator(".practice-status.error")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on camera")).to_be_visible()
    page.get_by_role("button", name="Turn on camera").click()
    expect(page.get_by_role("button", name="Record (3-2-1)")).to_be_visible()
    assert not Attempt.objects.exists()
