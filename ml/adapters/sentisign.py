"""sentisign-66 (GitHub SHN2004/SentiSign-STT, MIT): 66 selected rows, 64 frames, no signature.

Inputs `frames` f32 [1, 64, 66, 3] and `frame_idxs` i32 [1, 64]; output `Identity` f32 [1, 250], already
softmaxed. `prepare` is its authors' input preparation, as ../shared/models/README.md describes it.
"""

from __future__ import annotations

import numpy as np

from ml.adapters.base import Adapter, ContractError
from ml.layout import FACE, LEFT_HAND, LIPS, POSE, RIGHT_HAND

N_FRAMES = 64
# The 40 lip points in the model's order (the usual Kaggle order), then the hand, then 5 pose points.
LIP_ROWS = tuple(FACE.start + i for i in LIPS)
POSE_ROWS = tuple(POSE.start + i for i in (0, 1, 3, 4, 5))  # nose and four eye points
N_ROWS = len(LIP_ROWS) + 21 + len(POSE_ROWS)  # 66
FRAMES_INPUT = "frames"
INDEX_INPUT = "frame_idxs"


def prepare(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`[T, 543, 3]` (NaN = missing) -> (`frames` [1, 64, 66, 3] f32, `frame_idxs` [1, 64] i32).

    The dominant hand is the one with more detected values (the right one on a tie); when it is the
    right hand, x is negated so every signer looks left-handed to the model. 64 frames are picked
    evenly from longer clips, shorter ones are zero-padded at the end; NaN -> 0; points are centred on
    the per-frame mean of the 5 pose points (those detected) and scaled by the largest absolute value.
    """
    data = np.asarray(data, dtype=np.float32)
    left_seen = np.count_nonzero(~np.isnan(data[:, LEFT_HAND]))
    right_seen = np.count_nonzero(~np.isnan(data[:, RIGHT_HAND]))
    right_dominant = right_seen >= left_seen
    hand = RIGHT_HAND if right_dominant else LEFT_HAND
    rows = [*LIP_ROWS, *range(hand.start, hand.stop), *POSE_ROWS]
    x = data[:, rows, :].copy()
    if right_dominant:
        x[..., 0] = -x[..., 0]
    n = x.shape[0]
    if n > N_FRAMES:
        x = x[np.linspace(0, n - 1, N_FRAMES).astype(np.int64)]
    elif n < N_FRAMES:
        x = np.concatenate([x, np.zeros((N_FRAMES - n, N_ROWS, 3), np.float32)])
    x = np.nan_to_num(x, nan=0.0)
    pose = x[:, -len(POSE_ROWS) :, :]
    present = np.any(pose != 0, axis=-1, keepdims=True)  # [64, 5, 1]
    count = present.sum(axis=1)  # [64, 1]
    centre = np.where(count > 0, (pose * present).sum(axis=1) / np.maximum(count, 1), 0.0)  # [64, 3]
    x = x - centre[:, None, :]
    largest = np.abs(x).max()
    if largest > 0:
        x = x / largest
    real = np.any(x != 0, axis=(1, 2))
    frame_idxs = np.where(real, np.arange(1, N_FRAMES + 1), 0).astype(np.int32)
    return x[None].astype(np.float32), frame_idxs[None]


class Sentisign66Adapter(Adapter):
    name = "sentisign-66"

    def _inputs(self, interpreter) -> dict[str, dict]:
        return {d["name"]: d for d in interpreter.get_input_details()}

    def matches(self, interpreter) -> bool:
        return set(self._inputs(interpreter)) == {FRAMES_INPUT, INDEX_INPUT}

    def validate(self, interpreter) -> None:
        inputs = self._inputs(interpreter)
        expected = {
            FRAMES_INPUT: ((1, N_FRAMES, N_ROWS, 3), np.float32),
            INDEX_INPUT: ((1, N_FRAMES), np.int32),
        }
        for name, (shape, dtype) in expected.items():
            if name not in inputs:
                raise ContractError(f"no '{name}' input (found {sorted(inputs)})")
            if tuple(int(d) for d in inputs[name]["shape"]) != shape or inputs[name]["dtype"] != dtype:
                raise ContractError(f"input '{name}' must be {np.dtype(dtype).name} {list(shape)}")
        outputs = interpreter.get_output_details()
        if len(outputs) != 1:
            raise ContractError(f"expected one output, found {len(outputs)}")

    def runner(self, interpreter):
        interpreter.allocate_tensors()
        inputs = self._inputs(interpreter)
        frames_index, idx_index = inputs[FRAMES_INPUT]["index"], inputs[INDEX_INPUT]["index"]
        output_index = interpreter.get_output_details()[0]["index"]

        def run(array: np.ndarray) -> np.ndarray:
            frames, frame_idxs = prepare(array)
            interpreter.set_tensor(frames_index, frames)
            interpreter.set_tensor(idx_index, frame_idxs)
            interpreter.invoke()
            return interpreter.get_tensor(output_index).reshape(-1)

        return run
