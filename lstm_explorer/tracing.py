"""`trace(model, input, hx)`: every gate, cell state and hidden state of your LSTM, checked against the model.

The engine (``lstm_core``) copies the LSTM's weights (``LSTM.from_torch``) and runs on the model's device and
dtype, in eval mode (dropout off, as in inference). The user's own module then runs on the same input, and
`Trace.checked` records the largest |Δ| between its output / h_n / c_n and the engine's: the numbers shown
are the model's numbers, not an approximation of them.

`to_pandas(trace)` (also ``trace.to_pandas()``): one row per layer, direction, step, sequence and unit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

import lstm_core
from lstm_core import limits

from .lookup import find_lstm

LOW_PRECISION = (torch.float16, torch.bfloat16)


@dataclass
class Trace(lstm_core.Trace):
    """``lstm_core.Trace`` plus `checked` (the comparison with the model itself) and `to_pandas`."""

    checked: dict | None = None  # {"reference", "path", "dtype", "device", "output", "h_n", "c_n"}

    def to_pandas(self):
        """One row per (layer, direction, step, sequence, unit); see `to_pandas`."""
        return to_pandas(self)

    def numpy32(self) -> Trace:
        """`numpy()` with float16/bfloat16 widened to float32 (numpy has no bfloat16)."""
        return numpy32(self)


def _as_input(input, device, dtype):
    """The input on the model's device; floating input in the model's dtype (numpy arrays accepted)."""
    if isinstance(input, np.ndarray):
        input = torch.from_numpy(input)
    if isinstance(input, PackedSequence):
        return input.to(device=device, dtype=dtype) if input.data.is_floating_point() else input.to(device)
    if not isinstance(input, Tensor):
        raise TypeError(f"input must be a tensor, a numpy array or a PackedSequence, got {type(input).__name__}")
    return input.to(device=device, dtype=dtype if input.is_floating_point() else None)


def _as_hx(hx, device, dtype):
    if hx is None:
        return None
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError("hx must be a tuple (h_0, c_0), as torch.nn.LSTM takes it")
    return tuple(_as_input(t, device, dtype) for t in hx)


def _engine(module) -> lstm_core.LSTM:
    """Our LSTM with `module`'s weights, on its device and dtype, in eval mode (the user's module untouched)."""
    if isinstance(module, lstm_core.LSTM):
        return copy.deepcopy(module).eval()
    return lstm_core.LSTM.from_torch(module).eval()


def _reference(module) -> tuple[nn.Module, str]:
    """The module to check the engine against: the user's nn.LSTM itself; for our LSTM, torch's nn.LSTM with
    its weights (otherwise the engine would be checked against itself)."""
    if isinstance(module, lstm_core.LSTM):
        return module.to_torch().eval(), "torch"
    cls = type(module)
    return module, "torch.nn.LSTM" if cls is nn.LSTM else f"{cls.__module__}.{cls.__qualname__}"


def sizes(module, input) -> tuple[int, int]:
    """(batch, steps) of `input` as `module` reads it (packed, batch-first or time-major, unbatched)."""
    if isinstance(input, PackedSequence):
        return int(input.batch_sizes[0]), int(input.batch_sizes.numel())
    if input.dim() == 2:
        return 1, int(input.shape[0])
    if input.dim() == 3:
        b, t = (0, 1) if module.batch_first else (1, 0)
        return int(input.shape[b]), int(input.shape[t])
    raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")


def _delta(a, b) -> float:
    if isinstance(a, PackedSequence):
        a, b = a.data, b.data
    return float((a.detach().double() - b.detach().double()).abs().max()) if a.numel() else 0.0


def _run(model, input, hx, name, check_sizes: bool) -> Trace:
    """Find the LSTM, bring input and hx to its device and dtype, trace it, check it against the model."""
    module, path = find_lstm(model, name)
    weight = module.weight_ih_l0
    device, dtype = weight.device, weight.dtype
    x, hx = _as_input(input, device, dtype), _as_hx(hx, device, dtype)
    ours = _engine(module)
    if check_sizes:
        batch, steps = sizes(module, x)
        limits.check_limits(ours.config, batch, steps)
    with torch.no_grad():
        tr = lstm_core.trace(ours, x, hx)
        reference, what = _reference(module)
        was_training = reference.training
        reference.eval()
        try:
            out, (h_n, c_n) = reference(x, hx)
        finally:
            reference.train(was_training)
    # reference: "torch.nn.LSTM" (or the user's LSTM subclass) = the model itself; "torch" = torch's nn.LSTM
    # with our LSTM's weights
    checked = {"reference": what, "path": path, "dtype": str(dtype).replace("torch.", ""), "device": str(device),
               "output": _delta(tr.output, out), "h_n": _delta(tr.h_n, h_n), "c_n": _delta(tr.c_n, c_n)}
    return Trace(**{f.name: getattr(tr, f.name) for f in fields(tr)}, checked=checked)


def trace(model, input, hx=None, *, name: str | None = None) -> Trace:
    """Trace the LSTM in `model` (an nn.LSTM, our LSTM, or a module containing one: `name` picks it) on `input`
    (a tensor as the model reads it — batch-first if it is — or a PackedSequence) with initial state `hx`.

    Runs on the model's device and dtype in eval mode; refuses more than ``limits.MAX_TRACE_VALUES`` numbers
    (`lstm_core.LimitError`). ``result.checked`` holds max |Δ| against the model's own output, h_n and c_n.
    """
    return _run(model, input, hx, name, check_sizes=False)


def numpy32(tr) -> lstm_core.Trace:
    """``tr.numpy()`` with low-precision tensors (float16, bfloat16) widened to float32 first."""
    def up(t):
        return t.float() if isinstance(t, Tensor) and t.dtype in LOW_PRECISION else t

    layers = {k: replace(lt, **{n: up(v) for n, v in lt.tensors().items()}) for k, lt in tr.layers.items()}
    return replace(tr, h_n=up(tr.h_n), c_n=up(tr.c_n), output_padded=up(tr.output_padded), layers=layers).numpy()


GATE_COLUMNS = ("i", "f", "g", "o")
PRE_COLUMNS = ("pre_i", "pre_f", "pre_g", "pre_o")


def to_pandas(tr):
    """A trace as a long table: one row per (layer, direction, step, sequence, unit).

    Columns: ``layer, direction, step`` (time index t, real order for both directions), ``sequence`` (batch
    index), ``unit``, ``valid`` (False on padded steps of packed input, whose numbers are NaN), the gates
    ``i f g o``, their pre-activations ``pre_i .. pre_o``, ``c_prev``, ``c``, ``h_full`` (o ⊙ tanh c) and ``h``
    (the hidden state the layer outputs; with ``proj_size`` > 0 it has proj_size units, NaN above them).
    """
    import pandas as pd

    tr = numpy32(tr)
    frames = []
    lengths = np.asarray(tr.lengths)
    for (layer, direction), lt in sorted(tr.layers.items()):
        steps, batch, hidden = np.shape(lt.c)
        t, b, j = (a.ravel() for a in np.indices((steps, batch, hidden)))
        cols = {"layer": np.full(t.size, layer), "direction": np.full(t.size, direction), "step": t,
                "sequence": b, "unit": j, "valid": t < lengths[b]}
        for q in GATE_COLUMNS:
            cols[q] = np.asarray(getattr(lt, q)).ravel()
        pre = np.asarray(lt.pre).reshape(steps, batch, 4, hidden)
        for k, q in enumerate(PRE_COLUMNS):
            cols[q] = pre[:, :, k, :].ravel()
        for q in ("c_prev", "c", "h_full"):
            cols[q] = np.asarray(getattr(lt, q)).ravel()
        h = np.asarray(lt.h)
        if h.shape[-1] < hidden:  # projection: h has proj_size units
            h = np.concatenate([h, np.full((steps, batch, hidden - h.shape[-1]), np.nan, h.dtype)], axis=-1)
        cols["h"] = h.ravel()
        frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)
