"""Phrase alignment: constructed score tables (pure), then real clips joined into a phrase."""

import json

import numpy as np
import pytest

from ml.ensemble import Ensemble
from ml.phrase import (
    Window,
    align_expected,
    align_free,
    candidate_windows,
    rank_of,
    screen_of,
    screened_windows,
    signing_activity,
)

N_LABELS = 250


def timeline_scores(segments: list[tuple[int, int, int]], n_frames: int, step: int = 2):
    """Windows on a `step` grid over an all-active clip and log-probabilities in which a window scores a
    sign by how much of it that sign's true segment fills (plus a little seeded noise elsewhere)."""
    windows = [
        Window(s, s + length)
        for s in range(0, n_frames, step)
        for length in range(4, 17, step)
        if s + length <= n_frames
    ]
    # Absent signs share a small score that falls with the index, so their ranks are fixed: sign k
    # ranks about k + 1 where it is absent.
    probs = np.tile(np.linspace(0.001, 0.0001, N_LABELS), (len(windows), 1))
    for w, window in enumerate(windows):
        for start, end, sign in segments:
            overlap = max(0, min(end, window.end) - max(start, window.start))
            if overlap:
                # Both the share of the window that is the sign and of the sign that is in the window.
                probs[w, sign] += overlap / (window.end - window.start) * overlap / (end - start)
    probs /= probs.sum(axis=1, keepdims=True)
    return windows, np.log(probs), np.ones(n_frames, dtype=bool)


THREE_SIGNS = [(0, 10, 107), (10, 20, 142), (20, 30, 199)]

ALIGNMENT_CASES = [
    # (case, true segments, clip frames, expected signs, expected windows or None, ranks <= 10 per sign)
    ("in order", THREE_SIGNS, 30, [107, 142, 199], [(0, 10), (10, 20), (20, 30)], [True, True, True]),
    ("two of three", THREE_SIGNS, 30, [107, 199], None, [True, True]),
    ("a missing sign", THREE_SIGNS, 30, [107, 150, 199], None, [True, False, True]),
    (
        "a repeated sign",
        [(0, 10, 107), (10, 20, 142), (20, 30, 107)],
        30,
        [107, 142, 107],
        [(0, 10), (10, 20), (20, 30)],
        [True, True, True],
    ),
    ("out of order", THREE_SIGNS, 30, [199, 142, 107], None, [False, True, False]),
]


@pytest.mark.parametrize(
    "segments, n_frames, expected, windows_wanted, found_wanted",
    [case[1:] for case in ALIGNMENT_CASES],
    ids=[case[0] for case in ALIGNMENT_CASES],
)
def test_expected_signs_are_aligned_in_order_to_their_spans(
    segments, n_frames, expected, windows_wanted, found_wanted
):
    windows, log_probs, active = timeline_scores(segments, n_frames)
    path = align_expected(windows, log_probs, expected, active)

    assert path is not None
    chosen = [windows[w] for w in path]
    assert all(a.end <= b.start for a, b in zip(chosen, chosen[1:], strict=False)), "in order, no overlap"
    if windows_wanted is not None:
        assert [(w.start, w.end) for w in chosen] == windows_wanted
    found = [rank_of(np.exp(log_probs[w]), sign) <= 10 for w, sign in zip(path, expected, strict=True)]
    assert found == found_wanted


def test_a_sign_too_short_for_the_clip_has_no_alignment():
    windows = [Window(0, 10), Window(5, 15), Window(10, 20)]  # at most two fit side by side
    log_probs = np.log(np.full((3, N_LABELS), 1 / N_LABELS))

    assert align_expected(windows, log_probs, [1, 2, 3], np.ones(20, dtype=bool)) is None
    assert align_expected(windows, log_probs, [1, 2], np.ones(20, dtype=bool)) == [0, 2]


def test_windows_cover_the_signing_rather_than_the_rest_between_signs():
    # One sign scores the same everywhere; the signing is frames 10-20, the rest is hands down.
    windows = [Window(0, 10), Window(10, 20), Window(20, 30)]
    log_probs = np.log(np.full((3, N_LABELS), 1 / N_LABELS))
    active = np.zeros(30, dtype=bool)
    active[10:20] = True

    assert align_expected(windows, log_probs, [3], active) == [1]


def test_without_expected_signs_the_most_likely_sequence_is_recognised():
    windows, log_probs, active = timeline_scores(THREE_SIGNS, 30)

    path = align_free(windows, log_probs, active)

    assert [int(np.argmax(log_probs[w])) for w in path] == [107, 142, 199]


def test_nothing_is_recognised_in_a_clip_without_signing():
    windows, log_probs, _ = timeline_scores(THREE_SIGNS, 30)
    flat = np.log(np.full_like(log_probs, 1 / N_LABELS))

    assert align_free(windows, flat, np.zeros(30, dtype=bool)) == []


def test_an_ensemble_scores_only_the_windows_its_screen_keeps():
    windows, log_probs, _ = timeline_scores(THREE_SIGNS, 30)
    screen = TableScreen(windows, log_probs)

    kept = screened_windows(screen, np.zeros((30, 543, 3)), windows, [107, 199])

    assert Window(0, 10) in kept and Window(20, 30) in kept  # each target's best window
    assert set(kept) < set(windows)
    starts, lengths = sorted({w.start for w in windows}), sorted({w.end - w.start for w in windows})
    coarse = {w for w in windows if w.start in starts[::3] and w.end - w.start in lengths[::3]}
    assert coarse <= set(kept)
    assert screen_of(Ensemble(labels=[], members=[(screen, 1.0), (screen, 1.0)])) is screen
    assert screen_of(Ensemble(labels=[], members=[(screen, 1.0)])) is None
    assert screen_of(screen) is None


class TableScreen:
    """A classifier that answers each window with its row of a constructed table."""

    def __init__(self, windows, log_probs):
        self.windows, self.log_probs, self.labels = windows, log_probs, [str(i) for i in range(N_LABELS)]
        self.calls = 0

    def probabilities(self, data, *, frame_aspect=None):
        window = self.windows[self.calls % len(self.windows)]
        assert len(data) == window.end - window.start
        self.calls += 1
        return np.exp(self.log_probs[self.windows.index(window)])


def test_rank_breaks_ties_by_index_like_top_k():
    probs = np.array([0.1, 0.4, 0.4, 0.1])
    assert [rank_of(probs, i) for i in range(4)] == [3, 1, 2, 4]


def test_activity_is_where_a_hand_is_in_the_picture_with_single_dropouts_filled():
    data = np.full((8, 543, 3), np.nan, dtype=np.float32)
    data[[1, 2, 4, 5], 468:489] = 0.5  # left hand, dropped out in frame 3
    data[0, 522:543] = 0.5  # right hand alone in the first frame

    assert signing_activity(data).tolist() == [True, True, True, True, True, True, False, False]


def test_candidate_windows_are_mostly_signing_and_within_length_limits():
    active = np.zeros(60, dtype=bool)
    active[15:45] = True

    windows = candidate_windows(active, fps=15.0)

    assert windows
    assert all(6 <= w.end - w.start <= 36 for w in windows)
    assert all(active[w.start : w.end].mean() >= 0.5 for w in windows)
    assert not any(w.end <= 15 or w.start >= 45 for w in windows)


# --- real clips joined into a phrase ----------------------------------------------------------------

PHRASE = ["dad", "go", "bed"]  # "Dad goes to bed"
PHRASE_CLIPS = ["55_dad_1.mp4", "97_go_1.mp4", "17_bed_1.mp4"]
REST_FRAMES = 5  # a third of a second with the hands down between signs


@pytest.fixture(scope="module")
def joined_phrase(islr_dir):
    """The three clips' landmarks at the grading rate (15 fps), joined with the signer's hands at rest
    (face and pose of the sign's last frame, no hands) between them; and the true joins in seconds."""
    from ml.landmarks import extract_video, quiet_native_logs

    pieces, joins = [], []
    with quiet_native_logs():
        for name in PHRASE_CLIPS:
            pieces.append(extract_video(islr_dir / "videos" / name, target_fps=15).data)
    parts = []
    for piece in pieces:
        rest = np.repeat(piece[-1:], REST_FRAMES, axis=0)
        rest[:, 468:489] = rest[:, 522:543] = np.nan
        parts += [piece, rest]
        joins.append(sum(len(p) for p in parts) / 15)
    return np.concatenate(parts[:-1]), joins[:-1]


@pytest.fixture(scope="module")
def shipped():
    """The shipped configuration (an ensemble: its first member screens the windows)."""
    from ml.configuration import configuration_ensemble, read_configuration
    from ml.inference import default_model_dir

    return configuration_ensemble(read_configuration(default_model_dir()))


def test_a_real_phrase_passes_with_each_sign_in_its_own_span(joined_phrase, shipped):
    from ml.phrase import grade_phrase

    data, joins = joined_phrase
    result = grade_phrase(shipped, data, PHRASE, fps=15, frame_aspect=16 / 9)

    assert result.passed
    assert [v.sign for v in result.signs] == PHRASE
    assert all(v.rank <= 10 for v in result.signs)
    # Each boundary between two signs' spans lies within half a second of the true join.
    for left, right, join in zip(result.signs[:-1], result.signs[1:], joins, strict=True):
        assert abs(left.end_s - join) < 0.5 and abs(right.start_s - join) < 0.5


def test_a_swapped_sign_is_caught_at_its_position(joined_phrase, shipped):
    from ml.phrase import grade_phrase

    data, _ = joined_phrase
    result = grade_phrase(shipped, data, ["dad", "milk", "bed"], fps=15, frame_aspect=16 / 9)

    assert not result.passed
    assert [v.found for v in result.signs] == [True, False, True]


def test_phrase_command_exit_codes_and_json(joined_phrase, tmp_path, capsys):
    from ml.__main__ import main
    from ml.islr_io import write_sequence

    data, _ = joined_phrase
    seq = tmp_path / "phrase.parquet"
    write_sequence(data, seq)

    assert main(["phrase", str(seq), "--signs", "dad,go,bed", "--json"]) == 0
    graded = json.loads(capsys.readouterr().out)
    assert graded["passed"] is True
    assert [s["sign"] for s in graded["signs"]] == PHRASE
    assert set(graded["signs"][0]) >= {"sign", "found", "rank", "start_s", "end_s"}

    assert main(["phrase", str(seq), "--signs", "dad,milk,bed", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["signs"][1]["found"] is False

    assert main(["phrase", str(seq), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signs"], "something is recognised"

    assert main(["phrase", str(seq), "--signs", "dad,notasign", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "unknown_sign"
    assert main(["phrase", str(tmp_path / "missing.mp4"), "--signs", "dad,go"]) == 2
    assert "not_found" in capsys.readouterr().err
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    assert main(["phrase", str(tmp_path / "junk.mp4"), "--signs", "dad,go", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "unreadable_video"
