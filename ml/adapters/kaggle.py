"""The Kaggle ISLR contract (DESIGN §3): `serving_default`, `inputs` [n, 543, 3] -> `outputs` [250]."""

from __future__ import annotations

import numpy as np

from ml.adapters.base import Adapter, ContractError
from ml.layout import N_COORDS, ROWS_PER_FRAME

SIGNATURE = "serving_default"
INPUT_NAME = "inputs"
OUTPUT_NAME = "outputs"


class KaggleAdapter(Adapter):
    """The identity adapter: the model takes the raw sequence and prepares it itself."""

    name = "kaggle"

    def matches(self, interpreter) -> bool:
        return INPUT_NAME in interpreter.get_signature_list().get(SIGNATURE, {}).get("inputs", [])

    def validate(self, interpreter) -> None:
        signatures = interpreter.get_signature_list()
        if SIGNATURE not in signatures:
            raise ContractError(f"no '{SIGNATURE}' signature (found {sorted(signatures)})")
        if signatures[SIGNATURE].get("inputs") != [INPUT_NAME]:
            raise ContractError(f"inputs must be ['{INPUT_NAME}'], got {signatures[SIGNATURE].get('inputs')}")
        if OUTPUT_NAME not in signatures[SIGNATURE].get("outputs", []):
            raise ContractError(f"no '{OUTPUT_NAME}' output (found {signatures[SIGNATURE].get('outputs')})")
        detail = interpreter.get_signature_runner(SIGNATURE).get_input_details()[INPUT_NAME]
        shape = tuple(int(d) for d in detail.get("shape_signature", detail["shape"]))
        if len(shape) != 3 or shape[1:] != (ROWS_PER_FRAME, N_COORDS):
            raise ContractError(f"input must be [n, {ROWS_PER_FRAME}, {N_COORDS}], got {list(shape)}")
        if detail["dtype"] != np.float32:
            raise ContractError(f"input must be float32, got {np.dtype(detail['dtype']).name}")

    def runner(self, interpreter):
        run = interpreter.get_signature_runner(SIGNATURE)
        return lambda array: run(**{INPUT_NAME: array})[OUTPUT_NAME]
