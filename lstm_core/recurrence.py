"""The layer × direction loop shared by `LSTM.forward` and `trace`; the time loop is `native.layer`.

Input handling mirrors ``torch.nn.LSTM.forward``: 3-D batched, 2-D unbatched, or a ``PackedSequence``;
everything is brought to time-major padded form ``(T, B, I)`` plus per-sequence lengths, run, and put back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from . import native
from .cell import GATES


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


@dataclass
class Recording:
    """Filled by `run_layers` when tracing: per (layer, direction), the compiled loop's run over time."""

    runs: dict = field(default_factory=dict)  # (layer, direction) -> native.LayerRun
    inputs: dict = field(default_factory=dict)  # layer -> (T, B, in) input actually fed to that layer
    gradients: bool = False  # keep each run's backward pass through time (`grads`) when autograd runs it
    grads: dict = field(default_factory=dict)  # (layer, direction) -> native.Backward, filled by backward()


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


def real_steps(lengths: Tensor | None, steps: int) -> Tensor | None:
    """(T, B, 1) bool: which (t, b) are real steps of a packed batch; None when every sequence has all T."""
    if lengths is None or int(lengths.min()) >= steps:
        return None
    return (torch.arange(steps)[:, None] < lengths[None, :]).unsqueeze(-1)


def layer_params(model, layer: int, direction: int, cfg=None) -> tuple:
    """(weight_ih, weight_hh, bias_ih, bias_hh, weight_hr) of one layer and direction; None where absent."""
    cfg = cfg or model.config
    names = model._all_weights[layer * cfg.num_directions + direction]  # torch's order, see LSTM.__init__
    params = model._parameters  # getattr for what lives elsewhere: weight_norm, parametrizations
    w_ih, w_hh, *rest = (params[name] if name in params else getattr(model, name) for name in names)
    b_ih, b_hh = rest[:2] if cfg.bias else (None, None)
    return w_ih, w_hh, b_ih, b_hh, rest[-1] if cfg.proj_size > 0 else None


def _clamp_arrays(clamps, layer, direction, steps, hidden, dtype) -> tuple[Tensor, Tensor] | tuple[None, None]:
    """The clamps that touch this layer and direction as (mask, values), each (T, 4, H), gate order i f g o."""
    mine = [cl for cl in clamps if cl.layer == layer and cl.direction == direction]
    if not mine:
        return None, None
    mask = torch.zeros(steps, len(GATES), hidden, dtype=torch.uint8)
    values = torch.zeros(steps, len(GATES), hidden, dtype=dtype)
    for cl in mine:
        if cl.gate not in GATES:
            raise ValueError(f"clamp gate must be one of {GATES}, got {cl.gate!r}")
        k = GATES.index(cl.gate)
        units = torch.arange(hidden) if cl.units is None else torch.as_tensor(list(cl.units), dtype=torch.long)
        times = torch.arange(steps) if cl.steps is None else torch.as_tensor(
            [t for t in cl.steps if 0 <= t < steps], dtype=torch.long)
        mask[times[:, None], k, units[None, :]] = 1
        values[times[:, None], k, units[None, :]] = float(cl.value)
    return mask, values


def _needs_grad(prep: Prepared, weights: list) -> bool:
    """Whether autograd must see the loop: grad mode is on and the input, a state or a weight requires grad."""
    if not torch.is_grad_enabled():
        return False
    tensors = [prep.x, prep.h0, prep.c0, *(t for w in weights for t in w)]
    return any(t is not None and t.requires_grad for t in tensors)


def run_layers(model, prep: Prepared, record: Recording | None = None, clamps=()) -> tuple[Tensor, Tensor, Tensor]:
    """Run every layer and direction over time. Returns output (T, B, D*H_out), h_n, c_n (num_layers·D, B, ·)."""
    cfg = prep.config
    x = prep.x
    steps = x.size(0)
    valid = real_steps(prep.lengths, steps)
    lengths = None if valid is None else prep.lengths.to(torch.int64).contiguous()  # only when some are shorter
    weights = [layer_params(model, layer, direction, cfg) for layer in range(cfg.num_layers)
               for direction in range(cfg.num_directions)]
    dropout = model.training and cfg.dropout > 0 and cfg.num_layers > 1
    if not dropout and not (record is not None and record.gradients) and not _needs_grad(prep, weights):
        clamp_arrays = {divmod(ld, cfg.num_directions): _clamp_arrays(clamps, *divmod(ld, cfg.num_directions), steps,
                                                                      cfg.hidden_size, x.dtype)
                        for ld in range(len(weights))} if clamps else {}
        done = native.stack(x, weights, cfg.num_layers, prep.h0, prep.c0, lengths, clamp_arrays)
        if record is not None:
            record.inputs |= dict(enumerate(done.inputs))
            record.runs |= {divmod(ld, cfg.num_directions): run for ld, run in enumerate(done.runs)}
        return done.output, done.h_n, done.c_n
    h_n, c_n = [], []
    if prep.h0 is None:  # zeros, shared by every layer-direction: the loop only reads them
        zeros = x.new_zeros(x.size(1), cfg.h_out), x.new_zeros(x.size(1), cfg.hidden_size)
        h0s, c0s = [zeros[0]] * len(weights), [zeros[1]] * len(weights)
    else:
        h0s, c0s = prep.h0.unbind(0), prep.c0.unbind(0)
    layer_input = x
    for layer in range(cfg.num_layers):
        if record is not None:
            record.inputs[layer] = layer_input
        outputs = []
        for direction in range(cfg.num_directions):
            idx = layer * cfg.num_directions + direction
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[idx]
            mask, values = _clamp_arrays(clamps, layer, direction, steps, cfg.hidden_size, x.dtype) if clamps \
                else (None, None)
            keep = None
            if record is not None and record.gradients:
                keep = lambda grads, key=(layer, direction): record.grads.__setitem__(key, grads)  # noqa: E731
            spec = native.Spec(reverse=direction == 1, lengths=lengths, clamp_mask=mask, clamp_value=values,
                               record=keep)
            run = native.layer(layer_input, w_ih, b_ih, b_hh, h0s[idx], c0s[idx], w_hh, w_hr, spec)
            if record is not None:
                record.runs[layer, direction] = run
            outputs.append(run.h if lengths is None else run.h.masked_fill(~valid, 0.0))  # (T, B, H_out)
            h_n.append(run.h_n)
            c_n.append(run.c_n)
        layer_output = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=-1)  # (T, B, D*H_out)
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
    if prep.config.batch_first:
        output = output.transpose(0, 1)
    if prep.kind == "unbatched":
        output = output.squeeze(0 if model.config.batch_first else 1)
        h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
    return output, (h_n, c_n)
