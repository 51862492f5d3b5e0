"""Practice's side of the seams with the apps around it: what lessons asks of it (tutorial checks), what
accounts asks (a learner's attempts and files), and the replay that never runs a tutorial check inline."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.deletion import learners_stored_data
from accounts.models import Learner
from lessons.models import Sign, TutorialVideo
from lessons.services import tutorial_queue_check
from ml.grading import TOP_K
from practice.models import Attempt
from practice.replay import _tutorial_reference
from practice.verdicts import is_pass, phrase_passed, phrase_sign_rank

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("curriculum")]


def unchecked_tutorial(name: str = "hello") -> TutorialVideo:
    tutorial = TutorialVideo(sign=Sign.objects.get(name=name), title=name)
    tutorial.file.save(f"{name}.mp4", ContentFile(b"not decoded here"), save=True)
    return tutorial


def test_a_tutorial_saved_in_lessons_is_queued_for_practices_check_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[int] = []
    monkeypatch.setattr("practice.tasks.tutorial_check_task.delay", queued.append)
    tutorial = unchecked_tutorial()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tutorial_queue_check(tutorial=tutorial)
    assert queued == [] and len(callbacks) == 1  # nothing before the row is committed
    callbacks[0]()
    assert queued == [tutorial.pk]


def test_the_check_task_keeps_its_name_so_queued_messages_and_routes_still_match():
    from django.conf import settings

    from practice.tasks import tutorial_check_task

    assert tutorial_check_task.name == "lessons.tutorial_check"
    assert settings.CELERY_TASK_ROUTES[tutorial_check_task.name]["queue"] == settings.TUTORIALS_QUEUE


def test_a_replay_never_checks_an_unchecked_tutorial_itself_it_queues_the_check(monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr("practice.tasks.tutorial_check_task.delay", queued.append)
    monkeypatch.setattr("practice.tutorial_qa.tutorial_check", lambda **_: pytest.fail("checked inline"))
    tutorial = unchecked_tutorial()

    shown, landmarks = _tutorial_reference(sign=tutorial.sign)

    assert (shown, landmarks) == (tutorial, None) and queued == [tutorial.pk]
    assert TutorialVideo.objects.get(pk=tutorial.pk).qa_status == TutorialVideo.QAStatus.PENDING


def test_accounts_learns_a_learners_attempts_and_files_only_when_deleting_they_go(
    hamlet, django_capture_on_commit_callbacks
):
    attempt = Attempt.objects.create(learner=hamlet, sign=Sign.objects.get(name="hello"))
    attempt.video.save("clip.mp4", ContentFile(b"video"), save=False)
    attempt.landmarks.save("seq.parquet", ContentFile(b"landmarks"), save=True)
    learners = Learner.objects.filter(pk=hamlet.pk)

    counted = learners_stored_data(learners=learners)
    assert (counted.attempts, counted.files) == (1, 0)
    assert default_storage.exists(attempt.video.name)

    with django_capture_on_commit_callbacks(execute=True):
        deleting = learners_stored_data(learners=learners, delete=True)
    assert (deleting.attempts, deleting.files) == (1, 2)
    assert not default_storage.exists(attempt.video.name) and not default_storage.exists(
        attempt.landmarks.name
    )


@pytest.mark.parametrize(("rank", "passed"), [(1, True), (TOP_K, True), (TOP_K + 1, False), (None, False)])
def test_a_sign_attempt_passes_when_its_sign_is_in_the_top_10(rank, passed):
    assert is_pass(rank) is passed
    assert (phrase_sign_rank(rank) is not None) is passed
    assert phrase_passed([{"sign": "dad", "rank": rank}]) is passed
