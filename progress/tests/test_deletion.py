"""Deleting a profile or the whole account: every row and stored file of it goes, nothing of others."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import Learner
from accounts.services import learner_create
from lessons.models import Sign
from practice.models import Attempt
from progress.demo import demo_attempt_record as attempt_graded
from progress.models import ProgressEvent, ReviewCard

pytestmark = pytest.mark.django_db


def sign(name: str) -> Sign:
    return Sign.objects.get(name=name)


def attempt_with_files(learner: Learner) -> tuple[Attempt, list[str]]:
    attempt = attempt_graded(learner=learner, sign=sign("hello"), rank=1, at=timezone.now())
    attempt.video.save("clip.mp4", ContentFile(b"video"), save=False)
    attempt.landmarks.save("seq.parquet", ContentFile(b"landmarks"), save=False)
    attempt.thumbnail.save("t.png", ContentFile(b"png"), save=False)
    attempt.save()
    names = [attempt.video.name, attempt.landmarks.name, attempt.thumbnail.name]
    assert all(default_storage.exists(name) for name in names)
    return attempt, names


def test_deleting_a_profile_deletes_its_attempts_files_and_progress(
    curriculum, hamlet, client, django_capture_on_commit_callbacks
):
    sibling = learner_create(user=hamlet.user, display_name="Laertes")
    attempt, names = attempt_with_files(sibling)
    kept, kept_names = attempt_with_files(hamlet)
    client.force_login(hamlet.user)
    assert (
        "Delete the profile Laertes?"
        in client.get(reverse("profile-delete", args=[sibling.pk])).content.decode()
    )

    client.post(reverse("profile-delete", args=[sibling.pk]), {"confirm": "wrong"})
    assert Learner.objects.filter(pk=sibling.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profile-delete", args=[sibling.pk]), {"confirm": "Laertes"})
    assert response.status_code == 302
    assert not Learner.objects.filter(pk=sibling.pk).exists()
    assert not Attempt.objects.filter(pk=attempt.pk).exists()
    assert not ProgressEvent.objects.filter(learner_id=sibling.pk).exists()
    assert not ReviewCard.objects.filter(learner_id=sibling.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert all(default_storage.exists(name) for name in kept_names)  # the other profile is untouched
    assert Learner.objects.get(pk=hamlet.pk).is_selected


def test_the_only_profile_cannot_be_deleted_alone(curriculum, hamlet_client, hamlet):
    hamlet_client.post(reverse("profile-delete", args=[hamlet.pk]), {"confirm": "Hamlet"})
    assert Learner.objects.filter(pk=hamlet.pk).exists()


def test_deleting_the_account_needs_the_password_and_deletes_everything(
    curriculum, hamlet, ophelia, client, django_capture_on_commit_callbacks
):
    _, names = attempt_with_files(hamlet)
    _, other_names = attempt_with_files(ophelia)
    client.force_login(hamlet.user)
    client.post(reverse("account-delete"), {"password": "nope"})
    assert Learner.objects.filter(pk=hamlet.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account-delete"), {"password": "correct horse battery"})
    assert not Learner.objects.filter(user__username="hamlet").exists()
    assert not Attempt.objects.filter(learner_id=hamlet.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert all(default_storage.exists(name) for name in other_names)
    assert client.get(reverse("dashboard")).status_code == 302  # logged out
