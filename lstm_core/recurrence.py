"""The layer × direction × time loop shared by `LSTM.forward` and `trace` (one loop, one `cell_step`).

Input handling mirrors ``torch.nn.LSTM.forward``: 3-D batched, 2-D unbatched, or a ``PackedSequence``;
everything is brought to time-major padded form ``(T, B, I)`` plus per-sequence lengths, run, and put back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .cell import GATES, CellStep, cell_step, input_projection, param_name


@dataclass
class Prepared:
    """An input brought to the loop's form, plus what is needed to give results back in torch's form."""

    x: Tensor  # (T, B, I) time-major, padded
    lengths: Tensor | None  # (B,) int64 when packed, else None
    h0: Tensor  # (L*D, B, H_out)
    c0: Tensor  # (L*D, B, H)
    kind: str  # "batched" | "unbatched" | "packed"
    packed: PackedSequence | None = None


@dataclass
class Recording:
    """Filled by `run_layers` when tracing: per (layer, direction), the CellSteps in real time order."""

    steps: dict = field(default_factory=dict)  # (layer, direction) -> list[CellStep | None] indexed by t
    inputs: dict = field(default_factory=dict)  # layer -> (T, B, in) input actually fed to that layer
    states0: dict = field(default_factory=dict)  # (layer, direction) -> (h0, c0)
    x_proj: dict = field(default_factory=dict)  # (layer, direction) -> (T, B, 4H) W_ih x_t + b_ih + b_hh


def _check_input(model, x: Tensor) -> None:
    weight = model.weight_ih_l0
    if x.dtype != weight.dtype:
        raise ValueError(
            f"RNN input dtype ({x.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({x.dtype})"
        )
    if model.input_size != x.size(-1):
        raise RuntimeError(
            f"input.size(-1) must be equal to input_size. Expected {model.input_size}, got {x.size(-1)}"
        )


def _check_hidden(model, h0: Tensor, c0: Tensor, batch: int) -> None:
    ld = model.num_layers * model.config.num_directions
    for k, (tensor, width) in enumerate(((h0, model.config.h_out), (c0, model.hidden_size))):
        expected = (ld, batch, width)
        if tensor.size() != expected:
            raise RuntimeError(f"Expected hidden[{k}] size {expected}, got {list(tensor.size())}")


def prepare(model, input, hx) -> Prepared:
    """Validate ``input``/``hx`` as torch does and bring them to the loop's form."""
    cfg = model.config
    ld = cfg.num_layers * cfg.num_directions
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
    if hx is None:
        h0 = x.new_zeros(ld, batch, cfg.h_out)
        c0 = x.new_zeros(ld, batch, cfg.hidden_size)
    else:
        h0, c0 = hx
    _check_hidden(model, h0, c0, batch)
    if x.size(0) == 0:  # torch's kernel checks this after the argument checks
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    return Prepared(x, lengths, h0, c0, kind, packed)


def layer_params(model, layer: int, direction: int) -> dict:
    get = lambda name: getattr(model, param_name(name, layer, direction), None)  # noqa: E731
    return dict(weight_ih=get("weight_ih"), weight_hh=get("weight_hh"), bias_ih=get("bias_ih"),
                bias_hh=get("bias_hh"), weight_hr=get("weight_hr"))


def _clamp_plan(clamps, layer, direction, steps, hidden, dtype) -> dict:
    """t -> {gate: (mask (H,), values (H,))} for the clamps that touch this layer and direction."""
    plan: dict = {}
    for cl in clamps:
        if cl.layer != layer or cl.direction != direction:
            continue
        if cl.gate not in GATES:
            raise ValueError(f"clamp gate must be one of {GATES}, got {cl.gate!r}")
        units = range(hidden) if cl.units is None else cl.units
        for t in range(steps) if cl.steps is None else cl.steps:
            mask, values = plan.setdefault(t, {}).setdefault(
                cl.gate, (torch.zeros(hidden, dtype=torch.bool), torch.zeros(hidden, dtype=dtype)))
            for u in units:
                mask[u], values[u] = True, float(cl.value)
    return plan


def run_layers(model, prep: Prepared, record: Recording | None = None, clamps=()) -> tuple[Tensor, Tensor, Tensor]:
    """Run every layer and direction over time. Returns output (T, B, D*H_out), h_n, c_n (L*D, B, ·)."""
    cfg = model.config
    x = prep.x
    steps, _batch = x.size(0), x.size(1)
    valid = None  # (T, B, 1) bool: which (t, b) are real steps of a packed batch
    if prep.lengths is not None and int(prep.lengths.min()) < steps:
        valid = (torch.arange(steps)[:, None] < prep.lengths[None, :]).unsqueeze(-1)
    h_n, c_n = [], []
    layer_input = x
    for layer in range(cfg.num_layers):
        if record is not None:
            record.inputs[layer] = layer_input
        outputs = []
        for direction in range(cfg.num_directions):
            idx = layer * cfg.num_directions + direction
            p = layer_params(model, layer, direction)
            h, c = prep.h0[idx], prep.c0[idx]
            xp = input_projection(layer_input, p["weight_ih"], p["bias_ih"], p["bias_hh"])  # (T, B, 4H)
            plan = _clamp_plan(clamps, layer, direction, steps, cfg.hidden_size, x.dtype) if clamps else {}
            hs: list = [None] * steps
            cells: list = [None] * steps
            for t in range(steps) if direction == 0 else range(steps - 1, -1, -1):
                s: CellStep = cell_step(None, h, c, p["weight_ih"], p["weight_hh"], weight_hr=p["weight_hr"],
                                        x_proj=xp[t], clamp=plan.get(t))
                if valid is None:
                    h, c = s.h, s.c
                else:  # padded steps leave the state untouched: each sequence ends (or, backward, starts) at its length
                    h, c = torch.where(valid[t], s.h, h), torch.where(valid[t], s.c, c)
                hs[t] = s.h
                cells[t] = s
            if record is not None:
                record.steps[layer, direction] = cells
                record.states0[layer, direction] = (prep.h0[idx], prep.c0[idx])
                record.x_proj[layer, direction] = xp
            outputs.append(torch.stack(hs))  # (T, B, H_out)
            h_n.append(h)
            c_n.append(c)
        layer_output = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)  # (T, B, D*H_out)
        if valid is not None:
            layer_output = layer_output.masked_fill(~valid, 0.0)
        if model.training and cfg.dropout > 0 and layer < cfg.num_layers - 1:
            layer_output = F.dropout(layer_output, p=cfg.dropout, training=True)
        layer_input = layer_output
    return layer_input, torch.stack(h_n), torch.stack(c_n)


def finish(model, prep: Prepared, output: Tensor, h_n: Tensor, c_n: Tensor):
    """Give results back in torch's form for the input kind that came in."""
    if prep.kind == "packed":
        packed = prep.packed
        batch = output.size(1)
        order = packed.sorted_indices if packed.sorted_indices is not None else torch.arange(batch)
        rows = torch.arange(batch)[None, :] < packed.batch_sizes[:, None]  # (T, B) real entries, sorted order
        data = output[:, order][rows]  # (sum(lengths), D*H_out) time-major, packed order
        out = PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, (h_n, c_n)
    if model.config.batch_first:
        output = output.transpose(0, 1)
    if prep.kind == "unbatched":
        output = output.squeeze(0 if model.config.batch_first else 1)
        h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
    return output, (h_n, c_n)
