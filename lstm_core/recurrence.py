"""The time loop: every layer, direction and step of the LSTM, shared by `LSTM.forward` and `trace`.

`run_layers` runs the layers bottom to top; in each, `run_direction` calls `cell.cell_step` once per step,
forward in time or (bidirectional) backward. Input handling mirrors ``torch.nn.LSTM.forward``: 3-D batched,
2-D unbatched or a ``PackedSequence`` is brought to time-major padded form ``(T, B, I)`` plus per-sequence
lengths (`prepare`), run, and put back (`finish`). Plain torch: autograd differentiates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .cell import GATES, cell_step, input_projection, param_name


@dataclass
class Prepared:
    """An input brought to the loop's form, plus what is needed to give results back in torch's form."""

    x: Tensor  # (T, B, I) time-major, padded
    lengths: Tensor | None  # (B,) int64 when packed, else None
    h0: Tensor | None  # (num_layers·D, B, H_out); None: zeros
    c0: Tensor | None  # (num_layers·D, B, H)
    kind: str  # "batched" | "unbatched" | "packed"
    packed: PackedSequence | None = None
    config: Any = None  # the model's LSTMConfig, read once per call


def _check_input(model, x: Tensor) -> None:
    weight = model.weight_ih_l0
    if x.dtype is not weight.dtype:
        raise ValueError(
            f"RNN input dtype ({x.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({x.dtype})"
        )
    if model.input_size != x.size(-1):
        raise RuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {model.input_size}, got {x.size(-1)}"
        )


def _check_hidden(cfg, h0: Tensor, c0: Tensor, batch: int) -> None:
    ld = cfg.num_layers * cfg.num_directions
    for k, (tensor, width) in enumerate(((h0, cfg.h_out), (c0, cfg.hidden_size))):
        expected = (ld, batch, width)
        if tensor.size() != expected:
            raise RuntimeError(f"Expected hidden[{k}] size {expected}, got {list(tensor.size())}")


def prepare(model, input, hx) -> Prepared:
    """Validate ``input``/``hx`` as torch does and bring them to the loop's form."""
    cfg = model.config
    if isinstance(input, PackedSequence):
        _check_input(model, input.data)
        x, lengths = pad_packed_sequence(input)  # (T, B, I) in the caller's batch order
        batch, kind, packed = x.size(1), "packed", input
    else:
        if input.dim() not in (2, 3):
            raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
        kind = "batched" if input.dim() == 3 else "unbatched"
        x = input if kind == "batched" else input.unsqueeze(1 if not cfg.batch_first else 0)
        if cfg.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        batch, lengths, packed = x.size(1), None, None
        if hx is not None:
            want = 3 if kind == "batched" else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(
                    f"For {kind} {want}-D input, hx and cx should also be {want}-D but got "
                    f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors"
                )
            if kind == "unbatched":
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        _check_input(model, x)
    h0, c0 = (None, None) if hx is None else hx  # None: zeros, which the loop writes itself
    if hx is not None:
        _check_hidden(cfg, h0, c0, batch)
    if x.size(0) == 0:  # torch's kernel checks this after the argument checks
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    return Prepared(x, lengths, h0, c0, kind, packed, cfg)


def real_steps(lengths: Tensor | None, steps: int, device=None) -> Tensor | None:
    """(T, B, 1) bool: which (t, b) are real steps of a packed batch; None when every sequence has all T."""
    if lengths is None or int(lengths.min()) >= steps:
        return None
    return (torch.arange(steps)[:, None] < lengths[None, :]).unsqueeze(-1).to(device)


class LayerWeights(NamedTuple):
    """One layer and direction's parameters, torch's names; None where absent (bias=False, proj_size=0)."""

    weight_ih: Tensor  # (4H, in)  [W_ii | W_if | W_ig | W_io]
    weight_hh: Tensor  # (4H, H_out)
    bias_ih: Tensor | None  # (4H,)
    bias_hh: Tensor | None  # (4H,)
    weight_hr: Tensor | None  # (H_out, H)


def layer_weights(model, layer: int, direction: int = 0) -> LayerWeights:
    """The parameters of one layer and direction (through getattr: weight_norm and parametrizations work)."""
    get = lambda kind: getattr(model, param_name(kind, layer, direction), None)  # noqa: E731
    return LayerWeights(*(get(kind) for kind in LayerWeights._fields))


def clamp_mask(clamps, layer: int, direction: int, steps: int, hidden: int) -> tuple[Tensor, Tensor] | None:
    """What-if clamps of one layer and direction as (mask (T, 4, H) bool, values (T, 4, H) float64), gate order
    i, f, g, o; None when no clamp touches it."""
    mine = [cl for cl in clamps if cl.layer == layer and cl.direction == direction]
    if not mine:
        return None
    mask = torch.zeros(steps, len(GATES), hidden, dtype=torch.bool)
    values = torch.zeros(steps, len(GATES), hidden, dtype=torch.float64)
    for cl in mine:
        if cl.gate not in GATES:
            raise ValueError(f"clamp gate must be one of {GATES}, got {cl.gate!r}")
        units = list(range(hidden)) if cl.units is None else list(cl.units)
        times = list(range(steps)) if cl.steps is None else [t for t in cl.steps if 0 <= t < steps]
        rows, cols = torch.tensor(times, dtype=torch.long)[:, None], torch.tensor(units, dtype=torch.long)[None, :]
        mask[rows, GATES.index(cl.gate), cols] = True
        values[rows, GATES.index(cl.gate), cols] = float(cl.value)
    return mask, values


def _clamp_at(clamped: tuple[Tensor, Tensor] | None, t: int):
    """The `cell_step` clamp function for step t (None when nothing is clamped there)."""
    if clamped is None or not clamped[0][t].any():
        return None
    mask, values = clamped[0][t], clamped[1][t]  # (4, H)

    def clamp(*gates):
        return tuple(torch.where(mask[k].to(gate.device), values[k].to(gate), gate) for k, gate in enumerate(gates))

    return clamp


def run_direction(x_proj: Tensor, h: Tensor, c: Tensor, w: LayerWeights, reverse: bool = False,
                  valid: Tensor | None = None, clamped=None) -> dict:
    """One layer and direction over time, from h (B, H_out) and c (B, H); x_proj (T, B, 4H) = W_ih x_t + b.

    Returns, in real time order (T lists): the cell's `CellStep` of each step and the states entering it,
    plus h_n and c_n. In a packed batch a sequence that has ended keeps its state (``valid`` (T, B, 1)).
    """
    steps = x_proj.size(0)
    weight_hh = w.weight_hh.T.contiguous().T  # the same matrix, stored so that `h @ weight_hh.T` reads it in rows
    cells, h_prev, c_prev = [None] * steps, [None] * steps, [None] * steps
    for t in reversed(range(steps)) if reverse else range(steps):
        h_prev[t], c_prev[t] = h, c
        cells[t] = cell_step(None, h, c, None, weight_hh, weight_hr=w.weight_hr, x_proj=x_proj[t],
                             clamp=_clamp_at(clamped, t))
        h, c = cells[t].h, cells[t].c
        if valid is not None:  # padding: keep the state of the sequence's last real step
            h, c = torch.where(valid[t], h, h_prev[t]), torch.where(valid[t], c, c_prev[t])
    return {"cells": cells, "h_prev": h_prev, "c_prev": c_prev, "h_n": h, "c_n": c}


def states_over_time(prev: list[Tensor], last: Tensor, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """A state (h or c) over time from what `run_direction` returned (``prev``: the T states entering each step,
    ``last``: h_n or c_n): (state after each step, state entering each step), each (T, B, ·) in real time order.
    Both are views of one stacked tensor: the state entering a step is the one the step before it left.
    (Where a packed sequence has ended, the state after a step is the state it kept.)"""
    if reverse:  # step t hands its state on to step t - 1
        states = torch.stack([last, *prev])  # after step 0, after 1 (= entering 0), ..., entering T - 1
        return states[:-1], states[1:]
    states = torch.stack([*prev, last])  # entering step 0, entering 1 (= after 0), ..., after T - 1
    return states[1:], states[:-1]


def run_layers(model, prep: Prepared, clamps=(), record: dict | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Run every layer and direction over time. Returns output (T, B, D*H_out), h_n, c_n (num_layers·D, B, ·).

    ``record``, when given, receives per (layer, direction) what `run_direction` returned plus the layer's
    input ``x``, ``x_proj`` and h, h_prev over time (`states_over_time`): everything `trace` keeps. (Without
    autograd, the per-step tensors in it are inference tensors: stack them before handing them out.)
    """
    cfg, x = prep.config, prep.x
    steps, batch = x.size(0), x.size(1)
    valid = real_steps(prep.lengths, steps, x.device)
    h_n, c_n = [], []
    layer_input = x
    for layer in range(cfg.num_layers):
        outputs = []
        for direction in range(cfg.num_directions):
            k = layer * cfg.num_directions + direction
            h0 = x.new_zeros(batch, cfg.h_out) if prep.h0 is None else prep.h0[k]
            c0 = x.new_zeros(batch, cfg.hidden_size) if prep.c0 is None else prep.c0[k]
            w = layer_weights(model, layer, direction)
            x_proj = input_projection(layer_input, w.weight_ih, w.bias_ih, w.bias_hh)  # (T, B, 4H), every step
            clamped = clamp_mask(clamps, layer, direction, steps, cfg.hidden_size) if clamps else None
            # Without autograd the steps run in inference mode: less work per operation than no_grad. Its
            # tensors do not leave this function: they are stacked below, outside it, into ordinary tensors.
            with torch.inference_mode(not torch.is_grad_enabled()):
                run = run_direction(x_proj, h0, c0, w, direction == 1, valid, clamped)
            out, out_prev = states_over_time(run["h_prev"], run["h_n"], reverse=direction == 1)  # (T, B, H_out)
            outputs.append(out if valid is None else out.masked_fill(~valid, 0.0))
            h_n.append(run["h_n"])
            c_n.append(run["c_n"])
            if record is not None:
                record[layer, direction] = run | {"x": layer_input, "x_proj": x_proj, "h": out, "h_prev": out_prev}
        layer_input = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)  # (T, B, D*H_out)
        if model.training and cfg.dropout > 0 and layer < cfg.num_layers - 1:
            layer_input = F.dropout(layer_input, p=cfg.dropout, training=True)
    return layer_input, torch.stack(h_n), torch.stack(c_n)


def finish(model, prep: Prepared, output: Tensor, h_n: Tensor, c_n: Tensor):
    """Give results back in torch's form for the input kind that came in."""
    if prep.kind == "packed":
        packed = prep.packed
        batch = output.size(1)
        order = packed.sorted_indices if packed.sorted_indices is not None else torch.arange(batch)
        rows = torch.arange(batch)[None, :] < packed.batch_sizes[:, None]  # (T, B) real entries, sorted order
        data = output[:, order.to(output.device)][rows.to(output.device)]  # (sum(lengths), D*H_out) packed order
        out = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, (h_n, c_n)
    if prep.config.batch_first:
        output = output.transpose(0, 1)
    if prep.kind == "unbatched":
        output = output.squeeze(0 if model.config.batch_first else 1)
        h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
    return output, (h_n, c_n)
