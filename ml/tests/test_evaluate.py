"""Evaluation: known-answer metrics, the DTW baseline, and the CLI on real dataset sequences."""

import json
from pathlib import Path

import numpy as np
import pytest

from ml.baseline import KnnDtw, dtw_batch
from ml.evaluate import Example, evaluate, format_table, score
from ml.islr_io import landmark_file_path, read_sequence, write_sequence, write_train_csv
from ml.paths import islr_dir, shared_models_dir

SHARED_MODELS = shared_models_dir()
LABELS = [f"sign{i}" for i in range(250)]


class FixedRanker:
    """Predicts scores that put the true label of example i at rank ranks[i]."""

    labels = LABELS

    def __init__(self, ranks: list[int]):
        self.ranks = iter(ranks)

    def probabilities(self, data, *, frame_aspect=None):
        label, rank = int(data[0, 0, 0]), next(self.ranks)
        others = [i for i in range(250) if i != label]
        order = others[: rank - 1] + [label] + others[rank - 1 :]
        probs = np.zeros(250, np.float32)
        probs[order] = np.linspace(1.0, 0.001, 250)
        return probs / probs.sum()


def examples(labels: list[int]) -> list[Example]:
    return [
        Example(np.full((3, 543, 3), label, np.float32), label, LABELS[label], i)
        for i, label in enumerate(labels)
    ]


def test_top_k_accuracy_counts_ranks():
    result = score(
        FixedRanker([1, 2, 5, 6, 10, 11, 200, 1]), examples([3, 3, 4, 5, 6, 7, 8, 9]), name="f", subset="all"
    )

    assert result.n == 8
    assert result.ranks == [1, 2, 5, 6, 10, 11, 200, 1]
    assert result.top1 == pytest.approx(2 / 8)
    assert result.top5 == pytest.approx(4 / 8)
    assert result.top10 == pytest.approx(6 / 8)
    assert result.per_sign["sign3"] == {"n": 2, "top1": 0.5, "top10": 1.0}
    # Rank 2+ predictions of sign3 went to sign0, the first label that is not the true one.
    assert result.confused[0] == {"sign": "sign3", "predicted": "sign0", "count": 1}


def test_dtw_of_identical_sequences_is_zero_and_grows_with_difference():
    a = np.random.default_rng(0).random((6, 6))
    costs = np.stack([np.zeros((6, 6)), a, a * 2])

    distances = dtw_batch(costs)

    assert distances[0] == 0
    assert 0 < distances[1] < distances[2]


@pytest.fixture(scope="module")
def real_sequences():
    folder = islr_dir() / "gislr_sample" / "train_landmark_files"
    paths = [
        folder / "16069" / "100015657.parquet",
        folder / "16069" / "10042041.parquet",
        folder / "2044" / "635217.parquet",
    ]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"needs the ISLR dataset sample in {folder}")
    return [read_sequence(p) for p in paths]


def test_dtw_baseline_finds_the_sign_of_a_distorted_copy(real_sequences):
    cloud, green, brother = real_sequences
    knn = KnnDtw([(cloud, 48), (green, 98), (brother, 34)], LABELS)
    rng = np.random.default_rng(0)
    query = cloud[np.sort(rng.choice(len(cloud), 80, replace=False))]  # frames dropped
    query = query + rng.normal(0, 0.005, query.shape).astype(np.float32)

    top = knn.top_k(query, k=3)

    assert top[0].index == 48
    assert top[0].score > 0.5
    assert np.isinf(knn.distances(query)[0])  # a sign without references is never close


def write_dataset(root: Path, sequences: list[np.ndarray], signs: list[str], participants: list[int]) -> Path:
    rows = []
    for i, (data, sign, participant) in enumerate(zip(sequences, signs, participants, strict=True)):
        path = landmark_file_path(participant, i + 1)
        write_sequence(data, root / path)
        rows.append({"path": path, "participant_id": participant, "sequence_id": i + 1, "sign": sign})
    write_train_csv(rows, root)
    return root


def reference_model(name: str) -> Path:
    path = SHARED_MODELS / name
    if not (path / "model.tflite").is_file():
        pytest.skip(f"needs the shared reference model {path}")
    return path


def test_reference_models_score_the_labelled_dataset_sequences(tmp_path, real_sequences):
    # The sample's known labels (cloud) and the labels both reference models agree on.
    root = write_dataset(tmp_path, real_sequences, ["cloud", "green", "brother"], [16069, 16069, 2044])
    models = [reference_model("gislr-prabhanjan"), reference_model("gislr-kittu89")]

    results = evaluate(models=models, data_dir=root, subset="all")

    assert [r.model.split()[0] for r in results] == ["gislr-prabhanjan", "gislr-kittu89"]
    assert all((r.n, r.top1, r.top10) == (3, 1.0, 1.0) for r in results)
    assert all(r.latency_ms["p95"] > 0 for r in results)


def test_heldout_evaluation_with_the_baseline_scores_only_held_out_clips(tmp_path, real_sequences):
    cloud, green, brother = real_sequences
    rng = np.random.default_rng(1)
    variants = [cloud, cloud[::2] + rng.normal(0, 0.003, cloud[::2].shape).astype(np.float32), green, brother]
    root = write_dataset(tmp_path, variants, ["cloud", "cloud", "green", "brother"], [0, 0, 0, 0])

    (result,) = evaluate(models=[], data_dir=root, subset="heldout", baselines=("knn-dtw",))

    assert result.n == 1  # the second "cloud" clip; its twin is the reference
    assert result.ranks == [1]
    assert result.model == "knn-dtw (3 refs)"


def test_evaluate_cli_prints_the_json_summary_last(tmp_path, real_sequences, capsys):
    from ml.__main__ import main

    root = write_dataset(tmp_path, real_sequences, ["cloud", "green", "brother"], [16069, 16069, 2044])
    model = reference_model("gislr-kittu89")

    code = main(["evaluate", "--model", str(model), "--data", str(root), "--subset", "all", "--json",
                 "--out", str(tmp_path / "report.json")])  # fmt: skip
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    assert code == 0
    assert {k: last[k] for k in ("n", "top1", "top5", "top10")} == {
        "n": 3,
        "top1": 1.0,
        "top5": 1.0,
        "top10": 1.0,
    }
    assert json.loads((tmp_path / "report.json").read_text())["results"][0]["per_sign"]["cloud"]["n"] == 1


@pytest.mark.parametrize(
    ("videos", "fps", "cache"),
    [
        (islr_dir() / "videos", None, "islr-videos"),
        (islr_dir() / "videos", 15.0, "islr-videos-15fps"),
        (Path("/data/parents-clips"), None, "parents-clips"),
        (Path("/data/parents-clips"), 12.5, "parents-clips-12.5fps"),
    ],
)
def test_sampled_extractions_get_their_own_cache(videos, fps, cache):
    from ml.evaluate import _default_cache

    assert _default_cache(videos, fps).name == cache


@pytest.mark.parametrize(
    ("text", "path", "aspect"),
    [
        ("ml/models", "ml/models", None),
        ("../shared/models/gislr-prabhanjan@0.5625", "../shared/models/gislr-prabhanjan", 0.5625),
        ("/a/b@c/model.tflite@1", "/a/b@c/model.tflite", 1.0),
        ("/a/b@c/model.tflite", "/a/b@c/model.tflite", None),
    ],
)
def test_model_arguments_name_a_model_and_optionally_its_video_shape(text, path, aspect):
    from ml.evaluate import ModelArg, model_arg

    assert model_arg(text) == ModelArg(Path(path), aspect)


@pytest.mark.parametrize("text", ["models@wide", "models@0", "models@-1"])
def test_a_bad_video_shape_is_refused_clearly(text, capsys):
    from ml.__main__ import main

    with pytest.raises(SystemExit):
        main(["evaluate", "--model", text, "--data", "."])
    assert "aspect" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_videos_shows_clips_to_a_model_as_a_crop_of_its_video_shape(tmp_path):
    """Real clips, real MediaPipe, a real reference model: `DIR@ASPECT` crops each 640x360 clip."""
    from ml.__main__ import main
    from ml.dataset_build import read_rows
    from ml.inference import SignClassifier
    from ml.islr_io import read_sequence

    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("0_TV_1.mp4", "105_happy_1.mp4"):
        source = islr_dir() / "videos" / name
        if not source.is_file():
            pytest.skip(f"needs the shared ISLR clip {source}")
        (clips / name).symlink_to(source)
    model = reference_model("gislr-prabhanjan")

    code = main(["evaluate", "--videos", str(clips), "--cache", str(tmp_path / "cache"), "--subset", "all",
                 "--model", f"{model}@0.5625", "--model", str(model), "--out", str(tmp_path / "r.json")])  # fmt: skip
    cropped, plain = json.loads((tmp_path / "r.json").read_text())["results"]

    assert code == 0
    assert cropped["model"].endswith("@0.5625") and not plain["model"].endswith("@0.5625")
    classifier = SignClassifier(model / "model.tflite", input_aspect=0.5625)
    expected = []
    for row in sorted(read_rows(tmp_path / "cache"), key=lambda r: r["sequence_id"]):  # TV, then happy
        probs = classifier.probabilities(
            read_sequence(tmp_path / "cache" / row["path"]), frame_aspect=640 / 360
        )
        expected.append(int((probs > probs[classifier.labels.index(row["sign"])]).sum()) + 1)
    assert cropped["ranks"] == expected


def test_an_ensemble_is_scored_on_its_members_mean_probabilities(tmp_path, real_sequences):
    from ml.evaluate import ModelArg
    from ml.inference import SignClassifier

    root = write_dataset(tmp_path, real_sequences, ["cloud", "green", "brother"], [16069, 16069, 2044])
    kittu, prabhanjan = reference_model("gislr-kittu89"), reference_model("gislr-prabhanjan")

    (result,) = evaluate(
        models=[], ensembles=[[kittu, ModelArg(prabhanjan, 0.5625)]], data_dir=root, subset="all"
    )

    assert result.model.startswith("ensemble(gislr-kittu89 ") and result.model.endswith(" @0.5625)")
    members = [SignClassifier(kittu / "model.tflite"), SignClassifier(prabhanjan / "model.tflite")]
    for data, sign, rank in zip(real_sequences, ["cloud", "green", "brother"], result.ranks, strict=True):
        mean = sum(m.probabilities(data) for m in members) / 2  # no frame shape: both see it as extracted
        assert rank == int((mean > mean[members[0].labels.index(sign)]).sum()) + 1
    assert result.ranks == [1, 1, 1]  # both reference models rank these three first


@pytest.mark.parametrize("text", ["ml/models", "ml/models,"])
def test_an_ensemble_of_one_model_is_refused(text, capsys):
    from ml.__main__ import main

    with pytest.raises(SystemExit):
        main(["evaluate", "--ensemble", text, "--data", "."])
    assert "at least two" in capsys.readouterr().err


def test_a_sequence_with_nothing_detected_is_a_miss_for_every_model(tmp_path, real_sequences):
    # Grading fails such a clip (no_person); evaluate used to stop on EmptyLandmarksError instead.
    cloud = real_sequences[0]
    nobody = np.full((12, 543, 3), np.nan, np.float32)  # e.g. a clip darkened as in a dim room
    root = write_dataset(tmp_path, [cloud, nobody], ["cloud", "green"], [16069, 16069])
    models = [reference_model("gislr-prabhanjan"), reference_model("sentisign-66")]

    results = evaluate(models=models, data_dir=root, subset="all")

    for result in results:
        assert (result.n, result.n_empty, result.top1, result.top10) == (2, 1, 0.5, 0.5)
        assert result.ranks == [1, None]
        assert result.per_sign["green"] == {"n": 1, "top1": 0.0, "top10": 0.0}
    table = format_table(results)
    assert table.splitlines()[0].endswith("empty") and table.splitlines()[1].endswith("    1")


def test_conditions_of_dataset_sequences_are_as_recorded_and_mirrored(tmp_path, real_sequences, capsys):
    from ml.__main__ import main

    root = write_dataset(tmp_path, real_sequences, ["cloud", "green", "brother"], [16069, 16069, 2044])
    model = reference_model("sentisign-66")

    code = main(["evaluate", "--model", str(model), "--data", str(root), "--subset", "all",
                 "--conditions", "mirrored", "--out", str(tmp_path / "conditions.json")])  # fmt: skip
    out = capsys.readouterr().out

    assert code == 0
    assert "recorded" in out and "mirrored" in out and "worst top-10 drop" in out
    report = json.loads((tmp_path / "conditions.json").read_text())
    assert report["conditions"] == ["recorded", "mirrored"]
    [entry] = report["models"].values()
    assert entry["ranks"] == {"recorded": [1, 1, 1], "mirrored": [1, 1, 1]}  # a left-handed signer too
    assert main(["evaluate", "--model", str(model), "--data", str(root), "--conditions", "dim"]) == 2
    assert "not a condition for landmark sequences" in capsys.readouterr().out


def test_shipped_scores_each_member_then_the_configuration_last(tmp_path, real_sequences, capsys):
    from ml.__main__ import main
    from ml.configuration import read_configuration

    root = write_dataset(tmp_path, real_sequences, ["cloud", "green", "brother"], [16069, 16069, 2044])
    shipped = read_configuration(Path(__file__).resolve().parents[1] / "models")

    code = main(["evaluate", "--shipped", "--data", str(root), "--subset", "all"])
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]

    assert code == 0
    assert len(lines) == len(shipped.members) + 1
    assert lines[-1]["model"] == f"configuration {shipped.title}"
    assert (lines[-1]["top1"], lines[-1]["top10"]) == (1.0, 1.0)  # the default ranks all three labels first
    assert [line["model"].split()[0] for line in lines[:-1]] == [
        m.card().get("name") for m in shipped.members
    ]
