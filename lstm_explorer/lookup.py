"""Which LSTM to explore: a ``torch.nn.LSTM``, our ``lstm_core.LSTM``, or the one inside a bigger module.

`find_lstm(model, name)` returns ``(module, path)``: ``path`` is the attribute path inside ``model`` ("" for the
model itself). A module with one LSTM needs no name; with several, ``name=`` picks one by its path. Recurrent
modules that are not LSTMs (``nn.GRU``, ``nn.RNN``, our GRU and RNN) are named as such in the errors.
"""

from __future__ import annotations

from torch import nn

import lstm_core


class NoLSTMError(LookupError):
    """No LSTM where one was asked for (the message says what was found instead)."""


def is_lstm(module) -> bool:
    return isinstance(module, (nn.LSTM, lstm_core.LSTM))


def _kind(module) -> str | None:
    """"a GRU" / "an RNN" for recurrent modules that are not LSTMs, else None."""
    if isinstance(module, (nn.GRU, lstm_core.GRU)):
        return "a GRU"
    if isinstance(module, (nn.RNN, lstm_core.RNN)):
        return "an RNN"
    if isinstance(module, (nn.LSTMCell, nn.GRUCell, nn.RNNCell)):
        return f"a {type(module).__name__} (one step, not a sequence module)"
    return None


def _shown(path: str) -> str:
    return path or "the model"


def find_lstm(model, name: str | None = None) -> tuple[nn.Module, str]:
    """The LSTM to explore in `model` and its attribute path; raises LookupError with a clear message."""
    if is_lstm(model) and name in (None, ""):
        return model, ""
    if not isinstance(model, nn.Module):
        raise TypeError(f"explore() takes a torch.nn.Module (an nn.LSTM or a module containing one), "
                        f"got {type(model).__name__}")
    if name:
        try:
            module = model.get_submodule(name)
        except AttributeError:
            found = [p for p, m in model.named_modules() if is_lstm(m)]
            hint = f"; its LSTMs: {', '.join(_shown(p) for p in found)}" if found else "; it has no LSTM"
            raise NoLSTMError(f"{type(model).__name__} has no submodule {name!r}{hint}") from None
        if is_lstm(module):
            return module, name
        kind = _kind(module)
        if kind:
            raise NoLSTMError(f"{name} is {kind}; explore() shows LSTMs")
        raise NoLSTMError(f"{name} is a {type(module).__name__}, not an LSTM; explore() shows LSTMs")
    if _kind(model):
        raise NoLSTMError(f"the model is {_kind(model)} ({type(model).__name__}); explore() shows LSTMs")
    found = [(p, m) for p, m in model.named_modules() if is_lstm(m)]
    if len(found) == 1:
        return found[0][1], found[0][0]
    if len(found) > 1:
        raise NoLSTMError(f"found {len(found)} LSTMs: {', '.join(_shown(p) for p, _ in found)} — pass name=")
    others = [(p, _kind(m)) for p, m in model.named_modules() if _kind(m)]
    if others:
        listed = "; ".join(f"{_shown(p)} is {kind}" for p, kind in others)
        raise NoLSTMError(f"no LSTM found in {type(model).__name__}: {listed}; explore() shows LSTMs")
    raise NoLSTMError(f"no LSTM found in {type(model).__name__}")
