import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import shared_clip
from lessons.models import Sign, TutorialVideo
from lessons.services import tutorial_import_folder


@pytest.fixture
def clip_folder(tmp_path):
    """Three real shared clips, one with a name that does not match its index, one not a video."""
    for name in ("105_happy_1.mp4", "106_hat_1.mp4"):
        shutil.copy(shared_clip(name), tmp_path / name)
    shutil.copy(shared_clip("105_happy_1.mp4"), tmp_path / "106_happy_9.mp4")
    (tmp_path / "107_hate_1.mp4").write_bytes(b"not a video at all")
    (tmp_path / "README.txt").write_text("ignored")
    return tmp_path


def test_import_creates_tutorials_once_and_rejects_bad_files(
    curriculum, clip_folder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = tutorial_import_folder(folder=clip_folder)
    assert result.created == 2
    assert sorted(name for name, _ in result.rejected) == ["106_happy_9.mp4", "107_hate_1.mp4"]
    assert len(callbacks) == 2  # one quality check queued per new tutorial
    happy = TutorialVideo.objects.get(sign__name="happy")
    assert happy.duration_s == pytest.approx(2.2, abs=1.5) and (happy.width, happy.height) == (640, 360)
    assert happy.file.name.startswith("tutorials/105/") and "happy" not in happy.file.name

    again = tutorial_import_folder(folder=clip_folder)
    assert (again.created, again.skipped) == (0, 2)
    assert TutorialVideo.objects.count() == 2


def test_tutorial_video_is_served_to_learners_only(client, hamlet, curriculum, clip_folder):
    tutorial_import_folder(folder=clip_folder)
    tutorial = TutorialVideo.objects.get(sign__name="happy")
    url = reverse("tutorial-media", args=[tutorial.pk])
    assert client.get(url).status_code == 302
    client.force_login(hamlet.user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    partial = client.get(url, HTTP_RANGE="bytes=0-1023")  # how <video> seeks
    assert partial.status_code == 206 and len(b"".join(partial.streaming_content)) == 1024
    page = client.get(reverse("sign-detail", args=["happy"])).content.decode()
    assert url in page and "<video" in page


def admin_upload(client, content: bytes, name: str):
    sign = Sign.objects.get(name="happy")
    return client.post(
        reverse("admin:lessons_tutorialvideo_add"),
        {"sign": sign.pk, "title": "Happy", "file": SimpleUploadedFile(name, content, "video/mp4")},
    )


def test_admin_upload_of_a_real_clip_is_stored_and_checked(
    client, iago, curriculum, django_capture_on_commit_callbacks
):
    client.force_login(iago.user)
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_upload(client, shared_clip("105_happy_1.mp4").read_bytes(), "happy.mp4")
    assert response.status_code == 302
    tutorial = TutorialVideo.objects.get()
    assert tutorial.duration_s > 1 and tutorial.qa_status == "pending"
    assert len(callbacks) == 1


def test_admin_replacing_a_clip_measures_and_checks_it_again_and_an_edit_does_not(
    client, iago, curriculum, django_capture_on_commit_callbacks
):
    client.force_login(iago.user)
    admin_upload(client, shared_clip("105_happy_1.mp4").read_bytes(), "happy.mp4")
    tutorial = TutorialVideo.objects.get()
    TutorialVideo.objects.filter(pk=tutorial.pk).update(qa_status="ok", duration_s=None)
    change = reverse("admin:lessons_tutorialvideo_change", args=[tutorial.pk])
    fields = {"sign": tutorial.sign_id, "source": "", "is_evaluation": ""}

    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(change, {**fields, "title": "Happy, again"}).status_code == 302
    tutorial.refresh_from_db()
    assert (tutorial.title, tutorial.qa_status, tutorial.duration_s, len(callbacks)) == (
        "Happy, again",
        "ok",
        None,
        0,
    )

    clip = SimpleUploadedFile("new.mp4", shared_clip("105_happy_1.mp4").read_bytes(), "video/mp4")
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(change, {**fields, "title": "Happy", "file": clip}).status_code == 302
    tutorial.refresh_from_db()
    assert tutorial.qa_status == "pending" and tutorial.duration_s > 1 and len(callbacks) == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x00" * 4096, "fake.mp4", "read"),
        (b"", "empty.mp4", "empty"),
        (b"hello, I am text", "notes.mp4", "read"),
    ],
)
def test_admin_upload_rejects_files_that_do_not_decode(client, iago, curriculum, content, name, message):
    client.force_login(iago.user)
    response = admin_upload(client, content, name)
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["adminform"].form.errors.get("file", []))
    assert errors and (message in errors.lower() or "video" in errors.lower())
    assert TutorialVideo.objects.count() == 0


def test_admin_changelist_and_sign_pages_render(client, iago, curriculum, django_assert_max_num_queries):
    client.force_login(iago.user)
    for name in ("lessons_sign", "lessons_tutorialvideo", "lessons_lesson", "lessons_unit", "lessons_course"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("admin:lessons_sign_changelist")).status_code == 200


def test_first_start_imports_tutorials_only_while_there_are_none(curriculum, clip_folder, tmp_path, capsys):
    from django.core.management import call_command

    call_command("import_tutorials", str(tmp_path / "absent"), "--if-empty")  # no clips here: nothing to do
    assert "no clips at" in capsys.readouterr().out and not TutorialVideo.objects.exists()

    call_command("import_tutorials", str(clip_folder), "--if-empty")
    assert "2 imported" in capsys.readouterr().out

    (clip_folder / "106_hat_1.mp4").rename(clip_folder / "106_hat_2.mp4")  # a clip not imported yet
    call_command("import_tutorials", str(clip_folder), "--if-empty")
    assert "already imported" in capsys.readouterr().out and TutorialVideo.objects.count() == 2


def test_import_without_if_empty_refuses_a_missing_folder(curriculum, tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No such folder"):
        call_command("import_tutorials", str(tmp_path / "absent"))


def test_admins_mark_many_tutorials_for_evaluation_at_once(client, iago, curriculum, clip_folder):
    tutorial_import_folder(folder=clip_folder)
    client.force_login(iago.user)
    ids = list(TutorialVideo.objects.values_list("pk", flat=True))
    url = reverse("admin:lessons_tutorialvideo_changelist")

    response = client.post(url, {"action": "mark_for_evaluation", "_selected_action": ids}, follow=True)

    assert "2 tutorial(s) marked for evaluation" in response.content.decode()
    assert TutorialVideo.objects.filter(is_evaluation=True).count() == 2
    page = client.get(url).content.decode()
    assert " s</td>" in page and "1.5348" not in page  # durations read as "2.2 s"
