"""Training-data export: Kaggle layout, what is included, and consent; the admin's review screen that
labels attempts for it."""

import json

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import ISLR_DIR
from ml.dataset_build import read_rows, split_dataset
from ml.islr_io import read_kaggle_dataset
from practice.conftest import make_attempt
from practice.export import (
    anonymous_learner_id,
    anonymous_sequence_id,
    attempt_label_set,
    training_data_export,
)
from registry.models import AttemptLabel
from registry.services.evaluation import TUTORIAL_PARTICIPANT_ID
from registry.tests.conftest import make_tutorial, set_consent, tiny_sequence_bytes


@pytest.fixture
def practice_history(curriculum, hamlet, ophelia, iago):
    """Hamlet consents, Ophelia does not; a mix of attempts and tutorials with known inclusion."""
    from lessons.models import Sign

    set_consent(hamlet, True)
    seqs = {name: tiny_sequence_bytes(seed) for seed, name in enumerate("abcdefgh")}
    h_rank1 = make_attempt(hamlet, "dog", seqs["a"], rank=1)  # in: consented, passed at rank 1
    make_attempt(hamlet, "cat", seqs["b"], rank=3)  # out: passed, but not at rank 1
    h_labelled = make_attempt(hamlet, "cat", seqs["c"], rank=None)  # in: an admin says it shows "kitty"
    attempt_label_set(attempt=h_labelled, sign=Sign.objects.get(name="kitty"), user=iago.user)
    h_unusable = make_attempt(hamlet, "bird", seqs["d"], rank=1)  # out: admin marked it unusable
    attempt_label_set(attempt=h_unusable, sign=None, user=iago.user)
    make_attempt(hamlet, "bird", b"", rank=None, status="failed")  # out: no landmarks
    make_attempt(ophelia, "dog", seqs["e"], rank=1)  # out: Ophelia never consented
    tutorial = make_tutorial("hat", seqs["f"])  # in: curated tutorial
    make_tutorial("green", seqs["g"], evaluation=True)  # out: evaluation clips are never trained on
    return {"seqs": seqs, "h_rank1": h_rank1, "h_labelled": h_labelled, "tutorial": tutorial}


def test_export_is_a_kaggle_dataset_the_training_loader_reads(practice_history, hamlet, tmp_path):
    result = training_data_export(out_dir=tmp_path / "export")
    assert (result.n_tutorials, result.n_attempts, result.n_learners) == (1, 2, 1)

    rows = list(read_kaggle_dataset(tmp_path / "export"))
    by_sign = {row["sign"]: (row, data) for row, data in rows}
    assert sorted(by_sign) == ["dog", "hat", "kitty"]
    # Landmarks come through unchanged (the file written for the attempt is the file exported).
    from ml.islr_io import read_sequence

    expected = read_sequence(practice_history["h_rank1"].landmarks.path)
    np.testing.assert_array_equal(by_sign["dog"][1], expected)
    assert by_sign["hat"][0]["participant_id"] == TUTORIAL_PARTICIPANT_ID
    learner_id = by_sign["dog"][0]["participant_id"]
    assert learner_id == anonymous_learner_id(hamlet.pk) == by_sign["kitty"][0]["participant_id"]
    assert learner_id != hamlet.pk
    assert by_sign["dog"][0]["sequence_id"] != practice_history["h_rank1"].pk

    # Like the Kaggle download, the sign -> index map travels with the data.
    exported_map = json.loads((tmp_path / "export" / "sign_to_prediction_index_map.json").read_text())
    assert exported_map["TV"] == 0 and exported_map["zipper"] == 249 and len(exported_map) == 250
    kaggle_map = ISLR_DIR / "sign_to_prediction_index_map.json"
    if kaggle_map.is_file():
        assert exported_map == json.loads(kaggle_map.read_text())

    # The training code's own loader and its signer-aware split accept it.
    split = split_dataset(read_rows(tmp_path / "export"))
    assert split.method == "signer"
    assert len(split.train) + len(split.val) == 3


def test_revoking_consent_removes_the_learner_from_the_next_export(practice_history, hamlet, tmp_path):
    first = training_data_export(out_dir=tmp_path / "first")
    assert first.n_attempts == 2

    set_consent(hamlet, False)
    second = training_data_export(out_dir=tmp_path / "second")
    assert (second.n_attempts, second.n_learners) == (0, 0)
    rows = [row for row, _ in read_kaggle_dataset(tmp_path / "second")]
    assert [row["sign"] for row in rows] == ["hat"]
    assert anonymous_learner_id(hamlet.pk) not in {row["participant_id"] for row in rows}


def test_export_command_refuses_a_non_empty_folder(practice_history, tmp_path, capsys):
    call_command("export_training_data", "-o", str(tmp_path / "out"))
    assert "1 tutorial + 2 attempt sequences from 1 consenting learners" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not empty"):
        call_command("export_training_data", "-o", str(tmp_path / "out"))


def test_export_ids_are_keyed_by_their_own_secret_not_the_secret_key(settings):
    settings.SIGNLEARN_EXPORT_ID_SECRET = "export-ids-" + "x" * 32
    before = (anonymous_learner_id(7), anonymous_sequence_id(7))
    settings.SECRET_KEY = "a-rotated-secret-key-" + "y" * 40
    assert (anonymous_learner_id(7), anonymous_sequence_id(7)) == before  # rotating SECRET_KEY keeps them
    settings.SIGNLEARN_EXPORT_ID_SECRET = "another-export-secret-" + "z" * 32
    assert anonymous_learner_id(7) != before[0] and anonymous_sequence_id(7) != before[1]


def test_a_phrase_attempt_is_never_exported_as_one_sign(practice_history, hamlet, iago, tmp_path, client):
    from django.core.files.base import ContentFile

    from lessons.models import Phrase, Sign
    from practice.models import Attempt

    phrase = Attempt(learner=hamlet, phrase=Phrase.objects.get(slug="dad-go-bed"), status="graded")
    phrase.landmarks.save("seq.parquet", ContentFile(practice_history["seqs"]["h"]), save=True)
    client.force_login(iago.user)
    assert f"#{phrase.pk}" not in client.get(reverse("admin:registry_attempt_review")).content.decode()
    attempt_label_set(attempt=phrase, sign=Sign.objects.get(name="dad"), user=iago.user)  # by mistake

    assert training_data_export(out_dir=tmp_path / "export").n_attempts == 2  # the rank-1 and labelled ones


def test_review_screen_labels_a_consented_attempt(iago_client, curriculum, hamlet, iago):
    set_consent(hamlet, True)
    attempt = make_attempt(hamlet, "cat", tiny_sequence_bytes(3), rank=7)
    url = reverse("admin:registry_attempt_review")
    assert f"#{attempt.pk}" in iago_client.get(url).content.decode()

    iago_client.post(url, {"attempt": attempt.pk, "sign": "kitty", "verdict": "sign"})
    label = AttemptLabel.objects.get(attempt=attempt)
    assert (label.sign.name, label.labelled_by) == ("kitty", iago.user)
    assert f"#{attempt.pk}" not in iago_client.get(url).content.decode()


def test_review_screen_is_staff_only(hamlet_client):
    response = hamlet_client.get(reverse("admin:registry_attempt_review"))
    assert response.status_code == 302 and "/login/" in response["Location"]
