"""Admin screens: validated upload, activation behind the gate, rollback, retraining. The review and
monitoring screens read attempts and are tested in practice/tests (test_export, test_monitoring)."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.models import ActiveConfiguration, ModelVersion, TrainingRun
from registry.selectors import active_predictor
from registry.services.activation import configuration_activate


@pytest.fixture
def iago_client(client, iago):
    client.force_login(iago.user)
    return client


def test_upload_rejects_a_corrupt_file_and_registers_a_valid_one(iago_client, curriculum, prabhanjan_dir):
    url = reverse("admin:registry_modelversion_upload")
    junk = SimpleUploadedFile("model.tflite", np.random.default_rng(1).bytes(2048))
    response = iago_client.post(url, {"file": junk})
    assert response.status_code == 200
    assert "Rejected: not a TFLite model" in response.content.decode()
    assert ModelVersion.objects.count() == 0

    model = SimpleUploadedFile("model.tflite", (prabhanjan_dir / "model.tflite").read_bytes())
    labels = SimpleUploadedFile(
        "labels.json", (prabhanjan_dir / "sign_to_prediction_index_map.json").read_bytes()
    )
    card = SimpleUploadedFile("card.json", b'{"name": "prabhanjan", "version": "prab-1"}')
    response = iago_client.post(
        url, {"file": model, "labels": labels, "card": card, "input_aspect": "0.5625"}
    )
    mv = ModelVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:registry_modelversion_change", args=[mv.pk])
    assert (mv.version, mv.source, mv.card["name"]) == ("prab-1", "uploaded", "prabhanjan")
    assert (
        mv.input_aspect == 0.5625
    )  # it learnt from portrait phone video: clips are shown to it as 9:16 crops
    page = iago_client.get(response["Location"])
    assert page.status_code == 200 and "0.5625" in page.content.decode()


def test_an_upload_without_a_card_is_named_after_its_file(iago_client, curriculum, prabhanjan_dir):
    data = (prabhanjan_dir / "model.tflite").read_bytes()
    upload = SimpleUploadedFile("prabhanjan-v2.tflite", data)
    iago_client.post(reverse("admin:registry_modelversion_upload"), {"file": upload})
    mv = ModelVersion.objects.get()
    assert (mv.name, mv.version) == ("prabhanjan-v2", f"prabhanjan-v2-{mv.sha256[:8]}")


def test_activation_page_shows_the_gate_and_accepts_an_override(iago_client, registered):
    url = reverse("admin:registry_modelversion_activate")
    kittu = registered["kittu"]
    assert iago_client.get(f"{url}?ids={kittu.pk}").status_code == 200

    response = iago_client.post(url, {"model_0": kittu.pk, "weight_0": 1, "combine": "mean"})
    assert response.status_code == 200
    assert "The gate refused: no evaluation set yet" in response.content.decode()
    assert not ActiveConfiguration.objects.exists()

    response = iago_client.post(
        url, {"model_0": kittu.pk, "weight_0": 1, "combine": "mean", "override": "on"}
    )
    assert "Say why you override the gate" in response.content.decode()

    response = iago_client.post(
        url,
        {
            "model_0": kittu.pk,
            "weight_0": 1,
            "combine": "mean",
            "override": "on",
            "override_reason": "first model",
        },
    )
    assert response.status_code == 302
    assert active_predictor().version == "kittu89"
    assert ActiveConfiguration.objects.get().override_reason == "first model"


def test_rollback_button_reactivates_the_previous_configuration(iago_client, registered):
    configuration_activate(members=[(registered["kittu"], 1.0)], override=True)
    configuration_activate(members=[(registered["prabhanjan"], 1.0)], override=True)
    changelist = iago_client.get(reverse("admin:registry_activeconfiguration_changelist"))
    assert "Now grading: <strong>prabhanjan</strong>" in changelist.content.decode()

    response = iago_client.post(reverse("admin:registry_rollback"))
    assert response.status_code == 302
    assert active_predictor().version == "kittu89"


def test_retraining_button_queues_a_run_on_the_trainer_queue(
    iago_client, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    from registry import tasks

    monkeypatch.setattr(tasks.train_candidate_task, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        response = iago_client.post(
            reverse("admin:registry_trainingrun_start"), {"split": "holdout", "epochs": 5, "quantize": "none"}
        )
    run = TrainingRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.params["epochs"], run.params["split"]) == ("queued", 5, "holdout")
    assert sent == [{"args": [run.pk], "queue": "trainer"}]
    page = iago_client.get(reverse("admin:registry_trainingrun_change", args=[run.pk])).content.decode()
    assert '<progress max="1" value="0.0">' in page
    assert '<meta http-equiv="refresh" content="5">' in page  # the page follows the run while it is queued


def test_retraining_can_distil_from_a_registered_model(
    iago_client, registered, django_capture_on_commit_callbacks, monkeypatch
):
    from registry import tasks

    monkeypatch.setattr(tasks.train_candidate_task, "apply_async", lambda **kw: None)
    teacher = registered["prabhanjan"]
    form = {
        "split": "all",
        "epochs": 5,
        "quantize": "none",
        "teacher": teacher.pk,
        "teacher_aspect": 0.5625,
        "consistent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = iago_client.post(reverse("admin:registry_trainingrun_start"), form)

    assert response.status_code == 302
    params = TrainingRun.objects.get().params
    # As `make train` does: distill 0.8 (the form's default), every augmented variant teacher-scored.
    assert (params["teacher"], params["teacher_aspect"], params["distill"], params["consistent"]) == (
        "prabhanjan",
        0.5625,
        0.8,
        True,
    )


def test_retraining_form_can_turn_consistent_teaching_off(
    iago_client, registered, django_capture_on_commit_callbacks, monkeypatch
):
    from registry import tasks

    monkeypatch.setattr(tasks.train_candidate_task, "apply_async", lambda **kw: None)
    # An unticked checkbox is not posted at all.
    form = {
        "split": "all",
        "epochs": 5,
        "quantize": "none",
        "teacher": registered["prabhanjan"].pk,
        "distill": 0.5,
    }
    with django_capture_on_commit_callbacks(execute=True):
        iago_client.post(reverse("admin:registry_trainingrun_start"), form)

    params = TrainingRun.objects.get().params
    assert (params["distill"], params["consistent"]) == (0.5, False)


def test_retraining_refuses_a_teacher_that_is_not_registered(curriculum):
    from registry.services.retraining import training_run_start

    with pytest.raises(ValueError, match="not a registered model version"):
        training_run_start(params={"teacher": "no-such-model"})
    assert not TrainingRun.objects.exists()
