"""The parent dashboard of a seeded 30-day history in a real headless Chromium (screenshot under var/)."""

import pytest
from django.conf import settings
from django.test import Client

from conftest import SCREENSHOT_DIR
from progress.demo import demo_history_create, demo_thumbnails_render
from progress.models import LearnerProgress


@pytest.mark.slow
def test_dashboard_of_a_30_day_history(live_server, curriculum, hamlet, chromium_page):
    history = demo_history_create(learner=hamlet, days=30, seed=7)
    clips = settings.SIGNLEARN_ISLR_DIR / "videos"
    thumbnails = demo_thumbnails_render(learner=hamlet, clips_dir=clips, limit=3) if clips.is_dir() else 0
    progress = LearnerProgress.objects.get(learner=hamlet)
    assert progress.attempts == history.attempts > 60
    assert progress.streak_current >= 10  # the last ten days are unbroken

    client = Client()
    client.force_login(hamlet.user)
    page = chromium_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + "/dashboard/")

    assert page.get_by_test_id("xp-total").inner_text().split()[0] == str(progress.xp_total)
    assert page.get_by_test_id("attempts").inner_text() == str(progress.attempts)
    assert page.get_by_test_id("streak").inner_text().startswith(str(progress.streak_current))
    assert page.locator("svg.chart").count() == 5
    assert page.locator(".heatmap rect").count() > 100
    assert page.locator(".recent img").count() == thumbnails
    # Every thumbnail really loads (served to the owner only); they are lazy, so scroll to them first.
    page.locator(".recent").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.recent img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=str(SCREENSHOT_DIR / "dashboard.png"), full_page=True)

    page.get_by_role("link", name="Review").first.click()
    page.wait_for_url("**/review/")
    page.screenshot(path=str(SCREENSHOT_DIR / "review-queue.png"), full_page=True)
    due = page.get_by_test_id("due-count").inner_text()
    page.get_by_role("button", name="Start review").click()
    page.wait_for_url("**/review/session/")
    assert page.get_by_text("Sign 1 of").is_visible()
    assert page.locator("#practice-panel input[name=is_review]").get_attribute("value") == "True"
    page.screenshot(path=str(SCREENSHOT_DIR / "review-session.png"), full_page=True)
    assert due.split()[0].isdigit()

    # "Practise these" posts the weakest signs (its inputs sit in the cached fragment, the form outside).
    page.goto(live_server.url + "/dashboard/")
    weakest = page.locator(".weak-list a").first.inner_text()
    page.get_by_role("button", name="Practise these").click()
    page.wait_for_url("**/review/session/")
    assert page.get_by_role("heading", name="Practice session").is_visible()
    assert f"Sign 1 of 5: {weakest}" in page.locator(".lead").first.inner_text()

    # On a phone (390 px) the page itself never scrolls sideways; a wide table scrolls inside its card.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/dashboard/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOT_DIR / "dashboard-phone.png"), full_page=True)
