"""Adapters: how a model that is not built for the Kaggle contract is fed a `[T, 543, 3]` sequence.

An adapter turns SignLearn's landmark sequence into one model's own inputs, runs its LiteRT interpreter
and returns its raw scores over the 250 signs (`ml.inference` softmaxes logits). The Kaggle contract
itself is the identity adapter. A model's adapter is named in its card (`"adapter": "sentisign-66"`);
without one it is detected from the interpreter's inputs. The next model with its own input format is
one module here and one line in ADAPTERS.
"""

from __future__ import annotations

from ml.adapters.base import Adapter, ContractError
from ml.adapters.kaggle import KaggleAdapter
from ml.adapters.sentisign import Sentisign66Adapter

KAGGLE = KaggleAdapter.name
ADAPTERS: dict[str, type[Adapter]] = {a.name: a for a in (KaggleAdapter, Sentisign66Adapter)}


def get_adapter(name: str) -> Adapter:
    try:
        return ADAPTERS[name]()
    except KeyError:
        raise ContractError(f"unknown adapter {name!r} (known: {', '.join(sorted(ADAPTERS))})") from None


def detect_adapter(interpreter) -> Adapter:
    """The first adapter whose inputs the interpreter has; the Kaggle contract when none matches, so its
    validation says what is wrong."""
    for adapter_class in ADAPTERS.values():
        adapter = adapter_class()
        if adapter.matches(interpreter):
            return adapter
    return KaggleAdapter()


def resolve_adapter(name: str | None, interpreter) -> Adapter:
    """The named adapter (a card's `adapter`), or the detected one when no name is given."""
    return get_adapter(name) if name else detect_adapter(interpreter)


__all__ = [
    "ADAPTERS",
    "KAGGLE",
    "Adapter",
    "ContractError",
    "detect_adapter",
    "get_adapter",
    "resolve_adapter",
]
