"""Registering models, switching the served model without a restart, the evaluation gate, rollback."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from ml.ensemble import combine_probabilities
from ml.inference import ModelValidationError, SignClassifier
from ml.islr_io import read_sequence
from registry.models import ActiveConfiguration, EvaluationRun, ModelVersion
from registry.selectors import active_predictor
from registry.services.activation import GateError, configuration_activate, configuration_rollback
from registry.services.evaluation import evaluation_run_execute, evaluation_set_build
from registry.services.versions import model_version_register

from .conftest import make_tutorial

MEDIAPIPE_DIR = Path(__import__("mediapipe").__file__).parent


def register_upload(model_path: Path, labels_path: Path):
    return model_version_register(
        model_path=model_path, labels_path=labels_path, source=ModelVersion.Source.UPLOADED
    )


def test_corrupt_file_is_rejected_with_a_clear_message(curriculum, tmp_path, prabhanjan_dir):
    corrupt = tmp_path / "model.tflite"
    corrupt.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelValidationError, match="not a TFLite model"):
        register_upload(corrupt, prabhanjan_dir / "sign_to_prediction_index_map.json")
    assert ModelVersion.objects.count() == 0


def test_model_without_the_kaggle_signature_is_rejected(curriculum, prabhanjan_dir):
    # A real TFLite model (MediaPipe's hand landmarker) that is not a sign classifier.
    hand_model = MEDIAPIPE_DIR / "modules" / "hand_landmark" / "hand_landmark_full.tflite"
    with pytest.raises(ModelValidationError, match="no 'serving_default' signature"):
        register_upload(hand_model, prabhanjan_dir / "sign_to_prediction_index_map.json")
    assert ModelVersion.objects.count() == 0


def test_label_map_with_foreign_signs_is_rejected(curriculum, tmp_path, prabhanjan_dir):
    labels = tmp_path / "labels.json"
    labels.write_text('{"hello": 0, "world": 1}')
    with pytest.raises(ModelValidationError, match="label map has 2 signs, expected 250"):
        register_upload(prabhanjan_dir / "model.tflite", labels)


def test_registering_stores_file_hash_and_is_idempotent(registered, prabhanjan_dir):
    mv = registered["prabhanjan"]
    assert mv.status == ModelVersion.Status.CANDIDATE
    assert mv.size_bytes == (prabhanjan_dir / "model.tflite").stat().st_size
    assert Path(mv.file.path).read_bytes() == (prabhanjan_dir / "model.tflite").read_bytes()
    again = model_version_register(
        model_path=prabhanjan_dir / "model.tflite", source=ModelVersion.Source.UPLOADED
    )
    assert again.pk == mv.pk


def test_activating_a_model_switches_predictions_without_restart(
    registered, real_sequences, prabhanjan_dir, kittu_dir, settings, django_assert_num_queries
):
    settings.SIGNLEARN_MODEL_DIR = prabhanjan_dir  # the "shipped" fallback while nothing is active
    tv = read_sequence(real_sequences["TV"])
    fallback = active_predictor()
    assert fallback.configuration_id is None
    assert fallback.version.startswith("gislr-prabhanjan ")  # results say which model graded them
    assert fallback.top_k(tv)[0].sign == "boat"  # prabhanjan's (wrong) answer on this clip

    configuration_activate(members=[(registered["kittu"], 1.0)], override=True)
    predictor = active_predictor()
    assert predictor.version == "kittu89"
    assert predictor.top_k(tv)[0].sign == "TV"
    assert predictor.top_k(tv)[0].score > 0.9

    with django_assert_num_queries(1):  # the per-call check is one small query; nothing is rebuilt
        assert active_predictor() is predictor

    configuration_activate(members=[(registered["prabhanjan"], 1.0)], override=True)
    predictor = active_predictor()
    assert predictor.version == "prabhanjan"
    assert predictor.top_k(tv)[0].sign == "boat"
    registered["kittu"].refresh_from_db()
    assert registered["kittu"].status == ModelVersion.Status.RETIRED


def test_ensemble_combines_both_models_probabilities(registered, real_sequences, prabhanjan_dir, kittu_dir):
    bye = read_sequence(real_sequences["bye"])
    configuration_activate(
        members=[(registered["prabhanjan"], 1.0), (registered["kittu"], 3.0)],
        combine="product",
        override=True,
    )
    predictor = active_predictor()
    assert predictor.version == "ensemble-product(prabhanjan*1+kittu89*3)"

    a = SignClassifier(prabhanjan_dir / "model.tflite").probabilities(bye)
    b = SignClassifier(kittu_dir / "model.tflite").probabilities(bye)
    expected = combine_probabilities([a, b], [1, 3], "product")
    top = predictor.top_k(bye, k=10)
    assert [p.index for p in top] == list(np.argsort(-expected, kind="stable")[:10])
    assert top[0].score == pytest.approx(float(expected.max()), rel=1e-5)
    assert top[0].sign == "bye"


@pytest.fixture
def evaluation_set(curriculum, real_sequences):
    for sign, path in real_sequences.items():
        make_tutorial(sign, path, evaluation=True)
    return evaluation_set_build()


def test_evaluation_stores_top1_top10_overall_and_per_sign(registered, evaluation_set):
    assert (evaluation_set.version, evaluation_set.n_sequences, evaluation_set.n_signs) == (1, 4, 4)
    run = evaluation_run_execute(model_version=registered["kittu"])
    assert run.status == EvaluationRun.Status.DONE
    # kittu89 gets all four clips right at rank 1 (measured once with SignClassifier directly).
    assert (run.n, run.top1, run.top10) == (4, 1.0, 1.0)
    assert run.per_sign["TV"] == {"n": 1, "top1": 1.0, "top10": 1.0}
    run = evaluation_run_execute(model_version=registered["prabhanjan"])
    assert run.top1 == 0.0
    registered["prabhanjan"].refresh_from_db()
    assert registered["prabhanjan"].metrics["top1"] == 0.0


def test_gate_refuses_a_worse_or_unevaluated_model_unless_overridden(registered, evaluation_set, iago):
    kittu, prabhanjan = registered["kittu"], registered["prabhanjan"]
    with pytest.raises(GateError, match="not evaluated on evaluation set v1: kittu89"):
        configuration_activate(members=[(kittu, 1.0)], user=iago.user)

    evaluation_run_execute(model_version=kittu)
    evaluation_run_execute(model_version=prabhanjan)
    configuration_activate(members=[(kittu, 1.0)], user=iago.user)
    assert active_predictor().version == "kittu89"

    with pytest.raises(GateError, match="worse than the active configuration.*top-1 0.000 vs active 1.000"):
        configuration_activate(members=[(prabhanjan, 1.0)], user=iago.user)
    assert active_predictor().version == "kittu89"

    forced = configuration_activate(
        members=[(prabhanjan, 1.0)], user=iago.user, override=True, override_reason="A/B check on real users"
    )
    assert forced.override_reason == "A/B check on real users"
    assert active_predictor().version == "prabhanjan"


def test_rollback_is_one_call_and_keeps_history(registered, real_sequences):
    tv = read_sequence(real_sequences["TV"])
    first = configuration_activate(members=[(registered["kittu"], 1.0)], override=True)
    configuration_activate(members=[(registered["prabhanjan"], 1.0)], override=True)
    assert active_predictor().top_k(tv)[0].sign == "boat"

    back = configuration_rollback()
    assert back.note == f"rollback to #{first.pk}"
    assert active_predictor().version == "kittu89"
    assert active_predictor().top_k(tv)[0].sign == "TV"
    assert ActiveConfiguration.objects.count() == 3
    assert ActiveConfiguration.objects.filter(is_active=True).get() == back


@pytest.mark.slow
def test_model_with_wrong_output_size_is_rejected(curriculum, tmp_path, prabhanjan_dir):
    """A serving_default model with inputs [n,543,3] but 100 outputs, built with TensorFlow."""
    import subprocess

    from conftest import REPO_DIR

    python = REPO_DIR / ".venv-train" / "bin" / "python"
    if not python.exists():
        pytest.skip("needs TensorFlow in .venv-train (make train-venv) to build a wrong-shape model")
    script = (
        "import sys, tensorflow as tf\n"
        "class M(tf.Module):\n"
        "    @tf.function(input_signature=[tf.TensorSpec([None, 543, 3], tf.float32, name='inputs')])\n"
        "    def serve(self, inputs):\n"
        "        x = tf.reduce_mean(tf.where(tf.math.is_nan(inputs), 0.0, inputs), axis=[0, 1])\n"
        "        return {'outputs': tf.nn.softmax(tf.tile(x, [34])[:100])}\n"
        "m = M()\n"
        "c = tf.lite.TFLiteConverter.from_concrete_functions([m.serve.get_concrete_function()], m)\n"
        "open(sys.argv[1], 'wb').write(c.convert())\n"
    )
    out = tmp_path / "model.tflite"
    subprocess.run(
        [str(python), "-c", script, str(out)],
        check=True,
        capture_output=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    with pytest.raises(ModelValidationError, match="output must have 250 scores, got 100"):
        model_version_register(
            model_path=out,
            labels_path=prabhanjan_dir / "sign_to_prediction_index_map.json",
            source=ModelVersion.Source.UPLOADED,
        )


def test_commands_register_the_shipped_model_build_a_set_and_evaluate(
    curriculum, real_sequences, kittu_dir, settings, capsys
):
    from django.core.management import call_command

    settings.SIGNLEARN_MODEL_DIR = kittu_dir
    call_command("register_shipped_model")
    shipped = ModelVersion.objects.get()
    assert (shipped.source, shipped.status) == (ModelVersion.Source.SHIPPED, ModelVersion.Status.ACTIVE)
    assert active_predictor().version == shipped.version
    call_command("register_shipped_model")  # idempotent: no second version, no second activation
    assert ModelVersion.objects.count() == 1 and ActiveConfiguration.objects.count() == 1

    for sign, path in real_sequences.items():
        make_tutorial(sign, path, evaluation=True)
    call_command("build_evaluation_set")
    call_command("evaluate_model", shipped.version, "--per-sign")
    out = capsys.readouterr().out
    assert "evaluation set v1: 4 sequences, 4 signs" in out
    assert f"{shipped.version} on evaluation set v1: n=4 top-1 1.000 top-10 1.000" in out
    assert "TV             n=1   top-1 1.00 top-10 1.00" in out


def test_a_model_registered_with_its_video_shape_grades_clips_as_a_crop_of_it(
    curriculum, real_sequences, prabhanjan_dir
):
    # prabhanjan learnt from portrait phone video: shown the 640x360 TV clip as a 9:16 crop it is right.
    mv = model_version_register(
        model_path=prabhanjan_dir / "model.tflite", source=ModelVersion.Source.UPLOADED, input_aspect=9 / 16
    )
    configuration_activate(members=[(mv, 1.0)], override=True)
    tv = read_sequence(real_sequences["TV"])

    assert active_predictor().top_k(tv, frame_aspect=640 / 360)[0].sign == "TV"
    assert active_predictor().top_k(tv)[0].sign == "boat"  # shape unknown (uploaded landmarks): as extracted


@pytest.mark.parametrize(
    ("card", "given", "expected"),
    [({}, None, None), ({"input_aspect": 0.5625}, None, 0.5625), ({"input_aspect": 0.5625}, 1.0, 1.0)],
)
def test_the_input_aspect_comes_from_the_registration_or_else_the_card(
    curriculum, prabhanjan_dir, card, given, expected
):
    mv = model_version_register(
        model_path=prabhanjan_dir / "model.tflite",
        source=ModelVersion.Source.UPLOADED,
        card=card,
        input_aspect=given,
    )
    assert mv.input_aspect == expected


@pytest.mark.parametrize("aspect", ["tall", -1, 0, True])
def test_a_shapeless_input_aspect_is_refused(curriculum, prabhanjan_dir, aspect):
    with pytest.raises(ModelValidationError, match="input aspect"):
        model_version_register(
            model_path=prabhanjan_dir / "model.tflite",
            source=ModelVersion.Source.UPLOADED,
            card={"input_aspect": aspect},
        )
    assert not ModelVersion.objects.exists()


def test_evaluation_shows_each_tutorial_to_the_model_in_its_video_shape(
    curriculum, real_sequences, prabhanjan_dir, capsys
):
    from django.core.management import call_command

    from lessons.models import TutorialVideo

    for sign, path in real_sequences.items():
        make_tutorial(sign, path, evaluation=True)
    TutorialVideo.objects.update(width=640, height=360)
    call_command(
        "register_model",
        str(prabhanjan_dir / "model.tflite"),
        "--model-version",
        "p916",
        "--input-aspect",
        "0.5625",
    )
    mv = ModelVersion.objects.get(version="p916")
    assert mv.input_aspect == 0.5625
    evaluation_set_build()

    run = evaluation_run_execute(model_version=mv)

    # As a 9:16 crop prabhanjan gets TV and arm right (as extracted: none of the four, see above).
    assert (run.n, run.top1) == (4, 0.5)
    assert run.per_sign["TV"]["top1"] == 1.0 and run.per_sign["arm"]["top1"] == 1.0


def test_the_gate_waits_for_the_active_model_to_be_scored_on_a_new_set(
    registered, curriculum, real_sequences, iago, django_capture_on_commit_callbacks, monkeypatch
):
    from registry import tasks
    from registry.services.evaluation import evaluation_set_build_and_queue

    queued = []
    monkeypatch.setattr(tasks.evaluate_model_task, "delay", lambda run_id: queued.append(run_id))
    kittu, prabhanjan = registered["kittu"], registered["prabhanjan"]
    configuration_activate(members=[(kittu, 1.0)], override=True)  # active before any evaluation set
    for sign, path in real_sequences.items():
        make_tutorial(sign, path, evaluation=True)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_set, active = evaluation_set_build_and_queue()

    assert active == [kittu]
    assert queued == [EvaluationRun.objects.get(model_version=kittu, evaluation_set=evaluation_set).pk]
    evaluation_run_execute(model_version=prabhanjan)
    # prabhanjan is worse than kittu here: until kittu's own score is in, nothing may replace it.
    with pytest.raises(
        GateError, match=r"active configuration \(kittu89\) is not evaluated on evaluation set v1"
    ):
        configuration_activate(members=[(prabhanjan, 1.0)], user=iago.user)
    evaluation_run_execute(model_version=kittu)
    with pytest.raises(GateError, match="worse than the active configuration"):
        configuration_activate(members=[(prabhanjan, 1.0)], user=iago.user)


def test_the_shipped_model_records_the_same_version_before_and_after_registration(curriculum, settings):
    from registry.selectors import predictor_cache_clear
    from registry.services.versions import model_version_register_shipped

    settings.SIGNLEARN_MODEL_DIR = Path(__file__).resolve().parents[2] / "ml" / "models"
    predictor_cache_clear()
    before = active_predictor().version
    shipped = model_version_register_shipped()

    assert shipped.activated
    assert before == active_predictor().version  # now the active configuration, same name on results
    assert all(mv.status == ModelVersion.Status.ACTIVE for mv, _ in shipped.members)
    card = json.loads((settings.SIGNLEARN_MODEL_DIR / "model_card.json").read_text())
    assert shipped.members[0][0].version == f"{card['name']} {card['version']}"  # "signlearn-seed 1.2.0"


def test_a_new_release_replaces_an_older_shipped_model_but_not_an_admins_choice(
    curriculum, settings, kittu_dir, prabhanjan_dir, tmp_path
):
    from registry.selectors import predictor_cache_clear
    from registry.services.versions import model_version_register_shipped

    settings.SIGNLEARN_MODEL_DIR = kittu_dir  # release 1 ships kittu89
    [(first, _)] = model_version_register_shipped().members
    settings.SIGNLEARN_MODEL_DIR = prabhanjan_dir  # release 2 ships another model
    predictor_cache_clear()
    [(second, _)] = model_version_register_shipped().members
    assert active_predictor().version == second.version != first.version
    assert not model_version_register_shipped().activated  # restarts change nothing
    assert ActiveConfiguration.objects.count() == 2

    chosen = model_version_register(
        model_path=kittu_dir / "model.tflite", source=ModelVersion.Source.UPLOADED
    )
    assert chosen == first  # the same file is one model version, whoever registers it
    configuration_activate(members=[(first, 1.0), (second, 1.0)], override=True)  # the admin's ensemble
    settings.SIGNLEARN_MODEL_DIR = tmp_path / "release-3"
    (tmp_path / "release-3").mkdir()
    for name in ("model.tflite", "sign_to_prediction_index_map.json"):
        (tmp_path / "release-3" / name).write_bytes((prabhanjan_dir / name).read_bytes())
    predictor_cache_clear()
    model_version_register_shipped()
    assert active_predictor().version.startswith("ensemble")
