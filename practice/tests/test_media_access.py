"""Family media: stored under a name chosen by its bytes, served only as video (or a download) with
nosniff, and read by no one but its family unless a staff member holds practice.view_family_media,
in which case every read is logged for superusers."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Learner
from conftest import make_learner
from core.testing.clips import tiny_clip
from lessons.models import Sign, TutorialVideo
from practice.models import Attempt, MediaAccess

pytestmark = pytest.mark.usefixtures("curriculum")

SCRIPT = b"<html><body><script>alert(document.domain)</script></body></html>"
# A real, decodable clip with script in its title tag and an HTML page after its last box: the probe's
# payload (issue 14, items 1 and 10).
POLYGLOT = tiny_clip("mp4", title="<script>alert(document.domain)</script>") + SCRIPT


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_served_as_video(response, content_type: str = "video/mp4") -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Disposition"]
    assert body_of(response).endswith(SCRIPT)  # the bytes are unchanged, only how they are labelled


@pytest.fixture
def guildenstern(db) -> Learner:
    """Staff without any permission: edits the curriculum, must not open families' clips."""
    learner = make_learner("guildenstern", "Guildenstern")
    learner.user.is_staff = True
    learner.user.save()
    return learner


@pytest.fixture
def horatio(db) -> Learner:
    """Staff allowed to read family media (e.g. support, reviewing labels)."""
    learner = make_learner("horatio", "Horatio")
    learner.user.is_staff = True
    learner.user.save()
    learner.user.user_permissions.add(Permission.objects.get(codename="view_family_media"))
    return learner


def stored_attempt(learner: Learner, body: bytes = POLYGLOT, name: str = "x.html") -> Attempt:
    attempt = Attempt.objects.create(
        learner=learner, sign=Sign.objects.get(name="hello"), status=Attempt.Status.GRADED
    )
    attempt.video.save(name, ContentFile(body), save=True)
    return attempt


@pytest.mark.parametrize("name", ["x.html", "x.svg", "x.htm", "x.xhtml", "x.js", "x"])
def test_a_web_upload_named_html_is_stored_and_served_as_the_video_it_is(hamlet_client, sent_tasks, name):
    response = hamlet_client.post(
        reverse("attempt-submit", args=["hello"]),
        {"video": SimpleUploadedFile(name, POLYGLOT, content_type="text/html")},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 202
    attempt = Attempt.objects.get()
    assert attempt.video.name.startswith("attempts/video/") and attempt.video.name.endswith(".mp4")

    served = hamlet_client.get(reverse("attempt-media", args=[attempt.pk, "video"]))
    assert_served_as_video(served)
    seek = hamlet_client.get(reverse("attempt-media", args=[attempt.pk, "video"]), HTTP_RANGE="bytes=0-15")
    assert (seek.status_code, seek["Content-Type"], seek["X-Content-Type-Options"]) == (
        206,
        "video/mp4",
        "nosniff",
    )


def test_an_api_upload_named_svg_is_stored_as_mp4(hamlet_client, sent_tasks):
    response = hamlet_client.post(
        "/api/v1/attempts/", {"sign": "hello", "video": SimpleUploadedFile("x.svg", POLYGLOT)}
    )
    assert response.status_code == 202
    assert Attempt.objects.get(pk=response.json()["id"]).video.name.endswith(".mp4")


@pytest.mark.parametrize(
    ("container", "extension"), [("webm", ".webm"), ("mov", ".mov"), ("matroska", ".mkv")]
)
def test_each_accepted_container_keeps_its_own_extension(hamlet, container, extension):
    attempt = stored_attempt(hamlet, tiny_clip(container), name="clip.mp4")
    assert attempt.video.name.endswith(extension)


def test_tutorial_uploads_are_named_and_served_by_their_content(hamlet_client):
    tutorial = TutorialVideo(sign=Sign.objects.get(name="hello"), title="Hello")
    tutorial.file.save("hello.html", ContentFile(POLYGLOT), save=True)
    assert tutorial.file.name.endswith(".mp4")

    assert_served_as_video(hamlet_client.get(reverse("tutorial-media", args=[tutorial.pk])))
    assert_served_as_video(hamlet_client.get(reverse("api-tutorial-video", args=[tutorial.pk])))


def test_a_clip_stored_under_an_old_html_name_is_still_served_as_video(hamlet_client, hamlet):
    attempt = stored_attempt(hamlet)
    old_name = attempt.video.name.replace(".mp4", ".html")  # as stored before names were generated
    attempt.video.storage.save(old_name, ContentFile(POLYGLOT))
    Attempt.objects.filter(pk=attempt.pk).update(video=old_name)

    assert_served_as_video(hamlet_client.get(reverse("attempt-media", args=[attempt.pk, "video"])))


def test_an_old_html_file_is_only_ever_a_download(hamlet_client, hamlet):
    attempt = stored_attempt(hamlet)
    attempt.video.storage.save("attempts/video/old.html", ContentFile(SCRIPT))
    Attempt.objects.filter(pk=attempt.pk).update(video="attempts/video/old.html")

    served = hamlet_client.get(reverse("attempt-media", args=[attempt.pk, "video"]))
    assert served["Content-Type"] == "application/octet-stream"
    assert (
        served["Content-Disposition"].startswith("attachment;")
        and ".html" not in served["Content-Disposition"]
    )
    assert served["X-Content-Type-Options"] == "nosniff"


def test_staff_status_alone_opens_no_familys_clips(client, hamlet, guildenstern):
    attempt = stored_attempt(hamlet)
    client.force_login(guildenstern.user)
    for url in (
        reverse("attempt-media", args=[attempt.pk, "video"]),
        reverse("attempt-detail", args=[attempt.pk]),
        reverse("attempt-status", args=[attempt.pk]),
        f"/api/v1/attempts/{attempt.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert not MediaAccess.objects.exists()


def test_a_permitted_read_by_someone_else_is_logged_and_the_owners_is_not(client, hamlet, horatio):
    attempt = stored_attempt(hamlet)
    url = reverse("attempt-media", args=[attempt.pk, "video"])
    client.force_login(hamlet.user)
    assert client.get(url).status_code == 200
    assert not MediaAccess.objects.exists()

    client.force_login(horatio.user)
    assert_served_as_video(client.get(url))
    log = MediaAccess.objects.get()
    assert (log.user, log.username, log.attempt, log.attempt_number, log.kind) == (
        horatio.user,
        "horatio",
        attempt,
        attempt.pk,
        "video",
    )
    assert log.accessed_at is not None

    attempt.learner.user.delete()  # the family leaves: the record of who looked stays
    log.refresh_from_db()
    assert (log.attempt, log.attempt_number, log.username) == (None, attempt.pk, "horatio")


def test_the_access_log_is_read_only_and_for_superusers(client, hamlet, horatio, iago):
    attempt = stored_attempt(hamlet)
    client.force_login(horatio.user)
    client.get(reverse("attempt-media", args=[attempt.pk, "video"]))
    log = MediaAccess.objects.get()
    changelist = reverse("admin:practice_mediaaccess_changelist")
    change = reverse("admin:practice_mediaaccess_change", args=[log.pk])

    assert client.get(changelist).status_code == 403  # staff who read media cannot read the log
    client.force_login(iago.user)  # a superuser
    page = client.get(changelist)
    assert page.status_code == 200 and "horatio" in page.content.decode()
    assert client.get(change).status_code == 200
    assert client.post(change, {"username": "someone else"}).status_code == 403
    assert client.get(reverse("admin:practice_mediaaccess_add")).status_code == 403
    assert (
        client.post(reverse("admin:practice_mediaaccess_delete", args=[log.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert MediaAccess.objects.get().username == "horatio"


def test_a_tutorial_whose_file_is_gone_is_404_not_500(hamlet_client):
    tutorial = TutorialVideo(sign=Sign.objects.get(name="hello"), title="Hello")
    tutorial.file.save("hello.mp4", ContentFile(tiny_clip("mp4")), save=True)
    tutorial.file.storage.delete(tutorial.file.name)
    assert hamlet_client.get(reverse("tutorial-media", args=[tutorial.pk])).status_code == 404
    assert hamlet_client.get(reverse("api-tutorial-video", args=[tutorial.pk])).status_code == 404


def test_the_dashboard_thumbnail_follows_the_same_owner_rule_and_log(client, hamlet, guildenstern, horatio):
    attempt = stored_attempt(hamlet)
    attempt.thumbnail.save("thumbnail.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    urls = (
        reverse("attempt-thumbnail", args=[attempt.pk]),
        reverse("attempt-media", args=[attempt.pk, "thumbnail"]),
    )
    client.force_login(hamlet.user)
    assert [client.get(url).status_code for url in urls] == [200, 200]
    client.force_login(guildenstern.user)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert not MediaAccess.objects.exists()

    client.force_login(horatio.user)
    assert [client.get(url).status_code for url in urls] == [200, 200]
    assert list(MediaAccess.objects.values_list("username", "kind")) == [("horatio", "thumbnail")] * 2
