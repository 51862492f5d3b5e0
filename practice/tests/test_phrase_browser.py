"""Record a phrase on its page in a real Chromium whose fake camera plays a real phrase (three shared
clips joined with ffmpeg), graded by a real worker, and see each sign's verdict on the timeline (slow)."""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import SCREENSHOT_DIR, shared_clip
from lessons.models import Phrase
from practice.conftest import PHRASE_CLIPS, PHRASE_SLUG, fake_camera_args, log_in
from practice.models import Attempt

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]


@pytest.fixture
def fake_camera_phrase(tmp_path) -> Path:
    """DAD GO BED as Y4M: the clips one after another with the last frame held 0.3 s between signs, and
    a still second before and after, so the 12 s recording holds the whole phrase whatever the loop's
    phase."""
    clips = [shared_clip(name) for name in PHRASE_CLIPS]
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    pieces = "".join(
        f"[{i}:v]setsar=1,fps=30,tpad=stop_duration=0.3:stop_mode=clone[v{i}];" for i in range(len(clips))
    )
    joined = "".join(f"[v{i}]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=1:a=0,"
    padded = "tpad=start_duration=1:stop_duration=1:start_mode=clone:stop_mode=clone,format=yuv420p[out]"
    path = tmp_path / "phrase.y4m"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", pieces + joined + padded, "-map", "[out]",
         str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture
def chromium_extra_args(fake_camera_phrase) -> list[str]:
    return fake_camera_args(fake_camera_phrase)


def test_record_a_phrase_and_see_each_signs_verdict(celery_worker, live_server, hamlet, chromium_page):
    from playwright.sync_api import expect

    page = chromium_page
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/learn/")
    page.get_by_role("link", name="DAD GO BED").click()
    expect(page.get_by_test_id("phrase-gloss")).to_have_text("DAD GO BED")

    page.get_by_role("button", name="Turn on camera").click()
    page.wait_for_function(
        "() => document.querySelector('[data-preview]').videoWidth > 0"
    )  # a function: CSP has no eval
    page.get_by_role("button", name="Record (3-2-1)").click()
    expect(page.locator("[data-rec]")).to_be_visible(timeout=5_000)
    expect(page.locator("[data-playback]")).to_be_visible(timeout=20_000)  # stops by itself after 12 s
    recorded_s = float(page.locator("[data-elapsed]").inner_text())
    assert 11.9 <= recorded_s <= 12.6
    page.get_by_role("button", name="Submit for grading").click()

    result = page.locator('[data-result] [data-attempt-status="graded"]')
    expect(result).to_be_visible(timeout=240_000)
    verdicts = result.locator("[data-phrase-verdicts] li")
    expect(verdicts).to_have_count(3)
    assert [verdicts.nth(i).get_attribute("data-sign") for i in range(3)] == ["dad", "go", "bed"]
    for i in range(3):
        expect(verdicts.nth(i).locator(".verdict")).to_have_text(
            re.compile(r"^(✓ found, rank \d+|✗ not found \(rank \d+\))$")
        )
    expect(result.locator(".phrase-timeline .timeline-sign")).to_have_count(3)
    expect(page.get_by_role("button", name="Retake")).to_be_visible()
    page.locator("#practice").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT_DIR / "phrase-result.png"), full_page=True)

    attempt = Attempt.objects.get()
    assert attempt.phrase == Phrase.objects.get(slug=PHRASE_SLUG) and attempt.sign is None
    assert attempt.status == "graded" and attempt.video.name.endswith(".webm")
    assert 11.0 < attempt.duration_s < 13.0
    shown = [verdicts.nth(i).get_attribute("data-found") for i in range(3)]
    assert shown == [str(v["found"]).lower() for v in attempt.result.signs]
