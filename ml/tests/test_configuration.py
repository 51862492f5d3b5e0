"""The shipped configuration file (ml.configuration) and the clip sample of the conditions benchmark."""

import json
import shutil
from pathlib import Path

import pytest

from ml.configuration import ConfigurationError, read_configuration, recorded_label
from ml.dataset_build import Clip
from ml.robustness import sample_clips

SHIPPED = Path(__file__).resolve().parents[1] / "models"


def test_the_shipped_folder_describes_members_aspect_adapter_and_mirroring():
    configuration = read_configuration(SHIPPED)

    assert configuration.combine == "mean"
    assert [m.folder.name for m in configuration.members] == ["models", "gislr-prabhanjan", "sentisign-66"]
    assert [m.input_aspect for m in configuration.members] == [None, 0.5625, 0.5625]
    assert [m.adapter for m in configuration.members] == [None, "kaggle", "sentisign-66"]
    assert all(m.test_time_mirror for m in configuration.members)
    for member in configuration.members:  # vendored with their licence, each file small enough
        assert member.model_path.stat().st_size < 10 * 1024 * 1024
        if member.folder != SHIPPED:
            assert (member.folder / "LICENSE").is_file() and "attribution" in member.card()
    assert recorded_label(configuration) == (
        "ensemble-mean(signlearn-seed 1.2.0*1+gislr-prabhanjan 2dd6f2c*1+sentisign-66 90e52d5*1)"
    )


def test_a_folder_without_a_configuration_is_its_own_model_alone(tmp_path):
    for name in ("model.tflite", "sign_to_prediction_index_map.json"):
        shutil.copy(SHIPPED / "gislr-prabhanjan" / name, tmp_path / name)
    (tmp_path / "model_card.json").write_text(json.dumps({"name": "p", "version": "1", "input_aspect": 0.5}))

    [member] = read_configuration(tmp_path).members

    assert (member.folder, member.weight, member.input_aspect, member.test_time_mirror) == (
        tmp_path,
        1.0,
        0.5,
        False,
    )
    assert recorded_label(read_configuration(tmp_path)) == "p 1"


@pytest.mark.parametrize(
    ("members", "combine", "message"),
    [
        ([{"path": "absent"}], "mean", "no model at"),
        ([{"path": "."}], "median", "combine must be one of"),
        ([{"path": ".", "weight": 0}], "mean", "must be positive"),
        ([], "mean", "no members"),
    ],
)
def test_a_broken_configuration_is_refused_with_the_reason(tmp_path, members, combine, message):
    shutil.copy(SHIPPED / "model.tflite", tmp_path / "model.tflite")
    (tmp_path / "configuration.json").write_text(
        json.dumps({"name": "x", "version": "1", "combine": combine, "members": members})
    )
    with pytest.raises(ConfigurationError, match=message):
        read_configuration(tmp_path)


def test_the_clip_sample_is_seeded_and_takes_one_clip_per_sign():
    clips = [Clip(Path(f"{i}_s{i}_{n}.mp4"), i, f"s{i}", n) for i in range(30) for n in (1, 2, 3)]

    sample = sample_clips(clips, 10, seed=0)

    assert len(sample) == 10 and len({c.sign for c in sample}) == 10
    assert sample == sample_clips(clips, 10, seed=0) != sample_clips(clips, 10, seed=1)
    assert sample_clips(clips, None) == clips
