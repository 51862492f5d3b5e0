"""Phrase grading: find 2-4 expected signs, in order, in one landmark sequence.

An isolated-sign classifier scores any span of frames, so a phrase is graded by scoring candidate
windows of the clip and choosing, by dynamic programming, one window per expected sign: in order, not
overlapping, maximising the sum of the expected signs' log-probabilities. Frames between chosen windows
are the "between signs" state; leaving frames where the hands are up (signing activity) between
windows costs a little, so windows cover the signing and not the rest position. Each sign's verdict is
its rank among all signs in its own window (found = rank <= 10); the phrase passes when every sign is
found. Without expected signs the same search, with each window taking its best sign, answers "what
did I sign?".

`align_expected` and `align_free` are pure functions of a score matrix (tested with constructed
tables); `grade_phrase` / `recognise_phrase` run a classifier over a real sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.grading import TOP_K
from ml.layout import LEFT_HAND, RIGHT_HAND

MIN_WINDOW_S = 0.4
MAX_WINDOW_S = 2.4
STRIDE_S = 0.13  # window starts
LENGTH_STEP_S = 0.27  # window lengths; ends still fall on the STRIDE_S grid, as starts vary
# Log-probability cost of one active (hands-up) frame left outside every sign's window.
UNCOVERED_ACTIVE_COST = 0.15
MIN_ACTIVE_SHARE = 0.5  # a candidate window is mostly signing
# An ensemble scores every window with its first member alone (about 1 ms a window), then only these
# windows with all its members: each target sign's best windows by that screen, and a coarse grid
# (every COARSE_STEP-th start and length) so a span the screen misjudges can still be found.
SCREEN_KEEP_PER_SIGN = 12
COARSE_STEP = 3


@dataclass(frozen=True)
class Window:
    start: int  # first frame
    end: int  # one past the last frame


@dataclass(frozen=True)
class SignVerdict:
    sign: str
    index: int
    found: bool
    rank: int  # 1 = best of the 250 in its window
    start_s: float
    end_s: float
    score: float  # the sign's probability in its window


@dataclass(frozen=True)
class PhraseResult:
    passed: bool
    signs: list[SignVerdict]

    def as_dict(self) -> dict:
        return {
            "passed": self.passed,
            "signs": [
                {
                    "sign": v.sign,
                    "found": v.found,
                    "rank": v.rank,
                    "start_s": round(v.start_s, 3),
                    "end_s": round(v.end_s, 3),
                    "score": round(v.score, 5),
                }
                for v in self.signs
            ],
        }


# --- pure alignment --------------------------------------------------------------------------------


def _gap_costs(windows: Sequence[Window], active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost of the active frames left uncovered before the first window, between two windows (only
    defined where the first ends before the second starts) and after the last window."""
    cumulative = np.concatenate([[0.0], np.cumsum(active, dtype=np.float64)])
    starts = np.array([w.start for w in windows])
    ends = np.array([w.end for w in windows])
    leading = cumulative[starts] * UNCOVERED_ACTIVE_COST
    trailing = (cumulative[-1] - cumulative[ends]) * UNCOVERED_ACTIVE_COST
    between = (cumulative[starts][None, :] - cumulative[ends][:, None]) * UNCOVERED_ACTIVE_COST
    between[ends[:, None] > starts[None, :]] = np.inf  # window j must start after window i ends
    return leading, between, trailing


def align_expected(
    windows: Sequence[Window], log_probs: np.ndarray, expected: Sequence[int], active: np.ndarray
) -> list[int] | None:
    """The window chosen for each expected sign (indices into `windows`), or None when the clip has
    fewer non-overlapping windows than signs.

    Maximises sum(log_probs[window_i, expected_i]) minus the cost of active frames left uncovered,
    over windows in strictly increasing, non-overlapping order (a Viterbi over segments).
    """
    n_windows, n_signs = len(windows), len(expected)
    if n_windows == 0 or n_signs == 0:
        return None
    leading, between, trailing = _gap_costs(windows, active)
    scores = log_probs[:, list(expected)].T  # [n_signs, n_windows]
    best = np.full((n_signs, n_windows), -np.inf)
    back = np.full((n_signs, n_windows), -1, dtype=np.int64)
    best[0] = scores[0] - leading
    for i in range(1, n_signs):
        candidates = best[i - 1][:, None] - between  # [from window, to window]
        back[i] = np.argmax(candidates, axis=0)
        best[i] = candidates[back[i], np.arange(n_windows)] + scores[i]
    final = best[-1] - trailing
    last = int(np.argmax(final))
    if not np.isfinite(final[last]):
        return None
    path = [last]
    for i in range(n_signs - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def align_free(windows: Sequence[Window], log_probs: np.ndarray, active: np.ndarray) -> list[int]:
    """Windows of the most likely sequence of signs when none are expected: each chosen window takes
    its best sign's log-probability, each uncovered active frame costs UNCOVERED_ACTIVE_COST. Every
    sign adds a negative term, so one sign is split in two only when both halves are surer than the
    whole. [] when no window is worth a sign."""
    n_windows = len(windows)
    if n_windows == 0:
        return []
    leading, between, trailing = _gap_costs(windows, active)
    gain = log_probs.max(axis=1)
    best = gain - leading
    back = np.full(n_windows, -1, dtype=np.int64)
    # By start: every window that may precede j (ends by j's start) starts earlier, so is final.
    for j in np.argsort([w.start for w in windows], kind="stable"):
        candidates = best - between[:, j]
        i = int(np.argmax(candidates))
        if np.isfinite(candidates[i]) and candidates[i] + gain[j] > best[j]:
            best[j], back[j] = candidates[i] + gain[j], i
    final = best - trailing
    last = int(np.argmax(final))
    nothing = -float(np.sum(active)) * UNCOVERED_ACTIVE_COST
    if final[last] <= nothing:
        return []
    path = [last]
    while back[path[-1]] >= 0:
        path.append(int(back[path[-1]]))
    return path[::-1]


def rank_of(probs: np.ndarray, index: int) -> int:
    """1-based rank of `index` among the scores (ties broken by index, as top-k does)."""
    target = probs[index]
    better = (probs > target) | ((probs == target) & (np.arange(len(probs)) < index))
    return int(better.sum()) + 1


# --- windows over a real sequence ------------------------------------------------------------------


def signing_activity(data: np.ndarray) -> np.ndarray:
    """[T] bool: frames in which a hand is in the picture (the hands are down and out of view, or
    undetected, at rest), with one-frame dropouts filled."""
    hands = ~np.isnan(data[:, LEFT_HAND, 0]).all(axis=1) | ~np.isnan(data[:, RIGHT_HAND, 0]).all(axis=1)
    filled = hands.copy()
    filled[1:-1] |= hands[:-2] & hands[2:]
    return filled


def candidate_windows(active: np.ndarray, fps: float) -> list[Window]:
    """Windows between MIN_WINDOW_S and MAX_WINDOW_S long, starting every STRIDE_S, lengths every
    LENGTH_STEP_S, mostly of active frames."""
    n = len(active)
    stride = max(1, round(STRIDE_S * fps))
    length_step = max(1, round(LENGTH_STEP_S * fps))
    shortest = max(2, round(MIN_WINDOW_S * fps))
    longest = max(shortest, round(MAX_WINDOW_S * fps))
    cumulative = np.concatenate([[0], np.cumsum(active)])
    windows = []
    for start in range(0, max(1, n - shortest + 1), stride):
        for length in range(shortest, longest + 1, length_step):
            end = start + length
            if end > n:
                break
            if cumulative[end] - cumulative[start] >= MIN_ACTIVE_SHARE * length:
                windows.append(Window(start, end))
    return windows


def screen_of(classifier):
    """The fast member that screens windows for an ensemble (its first), or None for a single model."""
    members = getattr(classifier, "members", None)
    return members[0][0] if members and len(members) > 1 else None


def screened_windows(
    screen, data: np.ndarray, windows: Sequence[Window], targets: Sequence[int] | None, *, frame_aspect=None
) -> list[Window]:
    """The windows worth scoring with the whole ensemble: per target sign (or, without targets, for the
    screen's best sign) the SCREEN_KEEP_PER_SIGN best by the screen, plus the coarse grid."""
    if len(windows) == 0:
        return []
    log_probs = score_windows(screen, data, windows, frame_aspect=frame_aspect)
    columns = log_probs[:, list(targets)] if targets else log_probs.max(axis=1, keepdims=True)
    keep = set(np.argsort(-columns, axis=0, kind="stable")[:SCREEN_KEEP_PER_SIGN].ravel().tolist())
    starts = sorted({w.start for w in windows})
    lengths = sorted({w.end - w.start for w in windows})
    coarse_starts, coarse_lengths = set(starts[::COARSE_STEP]), set(lengths[::COARSE_STEP])
    keep |= {
        i for i, w in enumerate(windows) if w.start in coarse_starts and w.end - w.start in coarse_lengths
    }
    return [windows[i] for i in sorted(keep)]


def score_windows(
    classifier, data: np.ndarray, windows: Sequence[Window], *, frame_aspect=None
) -> np.ndarray:
    """[n_windows, n_labels] log-probabilities of the classifier on each window's frames."""
    rows = [classifier.probabilities(data[w.start : w.end], frame_aspect=frame_aspect) for w in windows]
    if not rows:
        return np.zeros((0, len(classifier.labels)))
    return np.log(np.clip(np.stack(rows), 1e-12, None))


def _scored_windows(classifier, data, indices, *, fps, timestamps_s, frame_aspect):
    """(signing activity, candidate windows, their log-probabilities, frame times) of a clip; with a
    screen (`screen_of`) the windows are first narrowed to those worth scoring for `indices`
    (None: any sign)."""
    active = signing_activity(data)
    windows = candidate_windows(active, fps)
    if (screen := screen_of(classifier)) is not None:
        windows = screened_windows(screen, data, windows, indices, frame_aspect=frame_aspect)
    log_probs = score_windows(classifier, data, windows, frame_aspect=frame_aspect)
    return active, windows, log_probs, _frame_times(len(data), fps, timestamps_s)


def _frame_times(n_frames: int, fps: float, timestamps_s: np.ndarray | None) -> np.ndarray:
    """[n_frames + 1] start time of each frame and the end of the last one."""
    if timestamps_s is not None and len(timestamps_s) == n_frames and n_frames > 0:
        return np.append(np.asarray(timestamps_s, dtype=np.float64), timestamps_s[-1] + 1.0 / fps)
    return np.arange(n_frames + 1) / fps


def _verdict(label: str, index: int, window: Window, log_row: np.ndarray, times: np.ndarray) -> SignVerdict:
    probs = np.exp(log_row)
    rank = rank_of(probs, index)
    return SignVerdict(
        sign=label,
        index=index,
        found=rank <= TOP_K,
        rank=rank,
        start_s=float(times[window.start]),
        end_s=float(times[window.end]),
        score=float(probs[index]),
    )


def grade_phrase(
    classifier,
    data: np.ndarray,
    expected: Sequence[str],
    *,
    fps: float,
    timestamps_s: np.ndarray | None = None,
    frame_aspect: float | None = None,
) -> PhraseResult:
    """Each expected sign's verdict in its aligned span; passed when all are in their span's top-10.

    A clip too short to hold every sign in order gives every sign rank len(labels), not found.
    """
    labels = list(classifier.labels)
    indices = [labels.index(sign) for sign in expected]  # ValueError names an unknown sign
    active, windows, log_probs, times = _scored_windows(
        classifier, data, indices, fps=fps, timestamps_s=timestamps_s, frame_aspect=frame_aspect
    )
    path = align_expected(windows, log_probs, indices, active)
    if path is None:
        missing = [
            SignVerdict(sign=s, index=i, found=False, rank=len(labels), start_s=0.0, end_s=0.0, score=0.0)
            for s, i in zip(expected, indices, strict=True)
        ]
        return PhraseResult(passed=False, signs=missing)
    verdicts = [
        _verdict(sign, index, windows[w], log_probs[w], times)
        for sign, index, w in zip(expected, indices, path, strict=True)
    ]
    return PhraseResult(passed=all(v.found for v in verdicts), signs=verdicts)


def recognise_phrase(
    classifier,
    data: np.ndarray,
    *,
    fps: float,
    timestamps_s: np.ndarray | None = None,
    frame_aspect: float | None = None,
) -> list[SignVerdict]:
    """The most likely sequence of signs in the clip, each with its span (rank 1 in its window)."""
    labels = list(classifier.labels)
    active, windows, log_probs, times = _scored_windows(
        classifier, data, None, fps=fps, timestamps_s=timestamps_s, frame_aspect=frame_aspect
    )
    verdicts = []
    for w in align_free(windows, log_probs, active):
        index = int(np.argmax(log_probs[w]))
        verdicts.append(_verdict(labels[index], index, windows[w], log_probs[w], times))
    return verdicts
