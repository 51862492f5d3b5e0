"""What every adapter offers (see ml/adapters/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class ContractError(Exception):
    """The interpreter does not have the inputs/outputs the adapter feeds; the message says which."""


class Adapter:
    """Feeds one kind of model. Subclasses set `name` and implement the three methods."""

    name: str = ""

    def matches(self, interpreter) -> bool:
        """Whether the interpreter has this adapter's inputs (used when a card names no adapter)."""
        raise NotImplementedError

    def validate(self, interpreter) -> None:
        """Raise ContractError when the interpreter cannot be fed by this adapter."""
        raise NotImplementedError

    def runner(self, interpreter) -> Callable[[np.ndarray], np.ndarray]:
        """A function `[T, 543, 3]` float32 (NaN = missing, T >= 1) -> raw scores, shape [n_signs]."""
        raise NotImplementedError
