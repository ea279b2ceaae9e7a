"""`trace`: run the engine and keep every intermediate of every layer, direction and timestep.

``trace(model, x)[layer, direction]`` is a `LayerTrace` whose tensors are time-major ``(T, B, ·)`` in real
time order for both directions (``visit_order`` says in which order the direction computed them). Padded
steps of a packed batch hold NaN. The forward pass's own loop produces it: `recurrence.run_layers` hands over
every `cell.CellStep` it computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import torch
from torch import Tensor

from . import limits
from .recurrence import clamp_mask, finish, prepare, real_steps, run_layers, states_over_time

__all__ = ["Clamp", "LayerTrace", "Trace", "clamp_mask", "trace"]

GATES_AND_PRE = ("pre", "i", "f", "g", "o")  # stacked step by step; the states come stacked from the loop


@dataclass(frozen=True)
class Clamp:
    """What-if: force ``gate`` ("i", "f", "g" or "o") to ``value`` for ``units`` at ``steps`` (None = all)."""

    gate: str
    value: float
    layer: int = 0
    direction: int = 0
    units: Sequence[int] | None = None
    steps: Sequence[int] | None = None


@dataclass
class LayerTrace:
    """One layer and direction over time. Tensors (or numpy arrays after `Trace.numpy`), time-major."""

    layer: int
    direction: int
    visit_order: tuple[int, ...]
    x: Any  # (T, B, in) this layer's input
    pre: Any  # (T, B, 4H) pre-activations, gate order i, f, g, o
    x_proj: Any  # (T, B, 4H) the input's share of pre: W_ih x_t + b_ih + b_hh (the memory's: pre - x_proj)
    i: Any  # (T, B, H)
    f: Any
    g: Any
    o: Any
    c: Any  # (T, B, H) cell state after the step
    h_full: Any  # (T, B, H) o * tanh(c) before projection
    h: Any  # (T, B, H_out) hidden state after the step
    h_prev: Any  # (T, B, H_out) hidden state entering the step
    c_prev: Any  # (T, B, H) cell state entering the step

    def _pre(self, k: int):
        hidden = self.c.shape[-1]
        return self.pre[..., k * hidden : (k + 1) * hidden]

    pre_i = property(lambda self: self._pre(0))
    pre_f = property(lambda self: self._pre(1))
    pre_g = property(lambda self: self._pre(2))
    pre_o = property(lambda self: self._pre(3))

    def tensors(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("layer", "direction",
                                                                                      "visit_order")}


@dataclass
class Trace:
    """Everything one run computed. ``output/h_n/c_n`` are exactly what ``model(input, hx)`` returns."""

    config: Any  # LSTMConfig
    kind: str  # "batched" | "unbatched" | "packed"
    output: Any  # as the forward pass returns it (Tensor or PackedSequence)
    h_n: Any
    c_n: Any
    output_padded: Any  # (T, B, D*H_out) time-major, NaN at padded steps: convenient for plotting
    lengths: Any  # (B,) real length of each sequence
    layers: dict  # (layer, direction) -> LayerTrace

    @property
    def T(self) -> int:
        return self.output_padded.shape[0]

    @property
    def B(self) -> int:
        return self.output_padded.shape[1]

    @property
    def num_layers(self) -> int:
        return self.config.num_layers

    @property
    def num_directions(self) -> int:
        return self.config.num_directions

    def __getitem__(self, key: tuple[int, int]) -> LayerTrace:
        return self.layers[key]

    def numpy(self) -> Trace:
        """The same trace with numpy arrays (detached, CPU) for plotting; output stays as returned."""
        def np_(t):
            return t.detach().cpu().numpy() if isinstance(t, Tensor) else t

        layers = {k: replace(lt, **{n: np_(v) for n, v in lt.tensors().items()}) for k, lt in self.layers.items()}
        return replace(self, h_n=np_(self.h_n), c_n=np_(self.c_n), output_padded=np_(self.output_padded),
                       lengths=np_(self.lengths), layers=layers)

    def arrays(self) -> dict:
        """Flat ``{"l0_d1_f": array, ...}`` of every recorded array, plus output, h_n, c_n and lengths."""
        tr = self.numpy()
        flat = {"output": tr.output_padded, "h_n": tr.h_n, "c_n": tr.c_n, "lengths": tr.lengths}
        for (layer, direction), lt in tr.layers.items():
            flat |= {f"l{layer}_d{direction}_{name}": value for name, value in lt.tensors().items()}
        return flat


def trace(model, input, hx=None, clamps: Sequence[Clamp] = (), *, requires_grad: bool = False,
          max_values: int | None = limits.MAX_TRACE_VALUES) -> Trace:
    """Run ``model`` on ``input`` (3-D, unbatched 2-D or PackedSequence) recording every intermediate.

    ``requires_grad=True`` keeps the autograd graph (e.g. for ∂L/∂h_t); otherwise runs without autograd (the
    steps in inference mode), and hands back ordinary tensors all the same.
    ``max_values`` caps the number of recorded numbers (`limits.LimitError` when exceeded; None = no cap).
    """
    with torch.set_grad_enabled(requires_grad):
        prep = prepare(model, input, hx)
        cfg = prep.config
        steps, batch = prep.x.size(0), prep.x.size(1)
        if max_values is not None:
            count = limits.trace_value_count(cfg, batch, steps)
            if count > max_values:
                raise limits.LimitError("traced values", count, max_values)
        record: dict = {}
        out, h_n, c_n = run_layers(model, prep, clamps, record)
        output, (h_n_out, c_n_out) = finish(model, prep, out, h_n, c_n)
        lengths = prep.lengths if prep.lengths is not None else torch.full((batch,), steps, dtype=torch.long)
        valid = real_steps(prep.lengths, steps, prep.x.device)  # (T, B, 1), or None: nothing is padded
        layers = {}
        for (layer, direction), run in record.items():
            over_time = {name: torch.stack([getattr(cell, name) for cell in run["cells"]]) for name in GATES_AND_PRE}
            c, c_prev = states_over_time(run["c_prev"], run["c_n"], reverse=direction == 1)  # views, one copy
            h_full = run["h"] if cfg.proj_size == 0 else torch.stack([cell.h_full for cell in run["cells"]])
            over_time |= {"c": c, "h_full": h_full, "h": run["h"], "h_prev": run["h_prev"], "c_prev": c_prev,
                          "x": run["x"], "x_proj": run["x_proj"]}
            if valid is not None:
                over_time = {name: value.masked_fill(~valid, float("nan")) for name, value in over_time.items()}
            order = tuple(range(steps)) if direction == 0 else tuple(range(steps - 1, -1, -1))
            layers[layer, direction] = LayerTrace(layer, direction, order, **over_time)
        out_padded = out if valid is None else out.masked_fill(~valid, float("nan"))
    return Trace(cfg, prep.kind, output, h_n_out, c_n_out, out_padded, lengths, layers)

