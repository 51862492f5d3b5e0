import json
import subprocess
import sys

import numpy as np
import pytest

from ml.__main__ import main
from ml.islr_io import read_sequence, write_sequence
from ml.layout import RIGHT_HAND, ROWS_PER_FRAME
from ml.paths import REPO_DIR


@pytest.fixture
def sequence_file(tmp_path):
    data = np.full((6, ROWS_PER_FRAME, 3), np.nan, dtype=np.float32)
    data[:, RIGHT_HAND, :2] = 0.5
    data[:, RIGHT_HAND, 2] = 0.0
    path = tmp_path / "seq.parquet"
    write_sequence(data, path)
    return path


@pytest.mark.slow
def test_extract_writes_a_dataset_parquet_and_reports_json(tv_clip, tmp_path, capsys):
    out = tmp_path / "tv.parquet"

    code = main(["extract", str(tv_clip), "-o", str(out), "--fps", "10", "--json"])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["n_frames"] == 15 == read_sequence(out).shape[0]
    assert (summary["width"], summary["height"]) == (640, 360)
    assert summary["detection_rates"]["right_hand"] >= 0.9
    assert set(summary["timings_s"]) == {"decode", "landmarks", "write", "total"}


def test_render_of_a_sequence_prints_one_summary_line(sequence_file, tmp_path, capsys):
    code = main(
        ["render", str(sequence_file), "-o", str(tmp_path / "sheet.png"), "-n", "4", "--size", "320x240"]
    )

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert (tmp_path / "sheet.png").is_file()
    assert len(lines) == 1
    assert "4 frames" in lines[0] and "right_hand 100%" in lines[0]


def test_render_draws_given_landmarks_over_the_video(tv_clip, sequence_file, tmp_path, capsys):
    code = main(
        ["render", str(tv_clip), "--landmarks", str(sequence_file), "-o", str(tmp_path / "o.mp4"), "--json"]
    )

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (summary["codec"], summary["n_frames"], summary["width"]) == ("libx264", 6, 640)


def test_bad_inputs_exit_1_with_a_clear_message(sequence_file, tmp_path, capsys):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")

    assert main(["extract", str(notes), "-o", str(tmp_path / "x.parquet"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "unreadable_video"
    assert main(["render", str(sequence_file), "-o", str(tmp_path / "x.gif")]) == 1
    assert "error: bad_output" in capsys.readouterr().err
    assert main(["render", str(notes.with_suffix(".parquet")), "-o", str(tmp_path / "x.png")]) == 1
    assert "error: not_found" in capsys.readouterr().err
    notes.rename(notes.with_suffix(".parquet"))
    assert main(["render", str(notes.with_suffix(".parquet")), "-o", str(tmp_path / "x.png")]) == 1
    assert "error: unreadable_sequence" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_python_dash_m_ml_runs_as_a_program(tmp_path):
    missing = tmp_path / "missing.webm"

    result = subprocess.run(
        [sys.executable, "-m", "ml", "extract", str(missing), "-o", str(tmp_path / "x.parquet")],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    usage = subprocess.run(
        [sys.executable, "-m", "ml"], cwd=REPO_DIR, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert result.stderr.strip() == f"error: unreadable_video: No such file: {missing}"
    assert usage.returncode == 2 and "extract" in usage.stderr and "render" in usage.stderr
