"""A parent's first visit, in a real headless Chromium: sign up, open the first lesson, watch a sign."""

import shutil

import pytest

from conftest import SCREENSHOT_DIR, shared_clip
from lessons.models import Lesson
from lessons.services import tutorial_import_folder


@pytest.mark.slow
def test_new_parent_signs_up_and_plays_the_first_tutorial(live_server, curriculum, chromium_page, tmp_path):
    first_lesson = Lesson.objects.order_by("unit__order", "order").first()
    first_sign = first_lesson.signs.order_by("order").first()
    clips = tmp_path / "clips"
    clips.mkdir()
    # Any real clip will do as this sign's tutorial; its file name is what the importer checks.
    shutil.copy(shared_clip("105_happy_1.mp4"), clips / f"{first_sign.index}_{first_sign.name}_1.mp4")
    assert tutorial_import_folder(folder=clips).created == 1

    page = chromium_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Start for free").click()
    page.get_by_label("Username").fill("laertes")
    page.get_by_label("Email").fill("laertes@example.org")
    page.locator("#id_password1").fill("a long family passphrase")
    page.get_by_label("Password confirmation").fill("a long family passphrase")
    page.get_by_label("Your name").fill("Laertes")
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url("**/learn/")
    assert page.locator(".lesson-card[data-state=unlocked]").count() == 1
    assert page.locator(".lesson-card[data-state=locked]").count() == Lesson.objects.count() - 1
    page.locator(".lesson-card a", has_text=first_lesson.title).click()
    page.get_by_role("link", name=first_sign.label).first.click()

    video = page.locator("video").first
    video.evaluate("v => v.play()")
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.3")
    assert video.evaluate("v => v.videoWidth") == 640
    page.screenshot(path=str(SCREENSHOT_DIR / "first-sign.png"), full_page=True)
