"""The probe of issue 14 (item 10) in a real Chromium: a valid MP4 with script in its title and an HTML
page after it, uploaded as `x.html`, must play as video for its owner and staff, never run the script."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from conftest import make_learner
from core.testing.clips import tiny_clip
from lessons.models import Sign
from practice.conftest import log_in
from practice.models import Attempt

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("curriculum")]

PAYLOAD = "<script>window.pwned = document.domain; document.title = 'pwned'</script>"


@pytest.mark.parametrize("reader", ["hamlet", "horatio"])
def test_an_uploaded_html_polyglot_plays_as_video_and_runs_no_script(
    live_server, hamlet, chromium_page, reader
):
    if reader == "horatio":  # staff allowed to read family media
        from django.contrib.auth.models import Permission

        staff = make_learner("horatio", "Horatio").user
        staff.is_staff = True
        staff.save()
        staff.user_permissions.add(Permission.objects.get(codename="view_family_media"))
    attempt = Attempt.objects.create(learner=hamlet, sign=Sign.objects.get(name="hello"), status="graded")
    polyglot = tiny_clip("mp4", title=PAYLOAD) + f"<html><body>{PAYLOAD}</body></html>".encode()
    attempt.video.save("x.html", ContentFile(polyglot), save=True)

    page = chromium_page
    log_in(page, live_server.url, reader)
    response = page.goto(live_server.url + reverse("attempt-media", args=[attempt.pk, "video"]))
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["x-content-type-options"] == "nosniff"
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.pwned") is None and page.title() != "pwned"
