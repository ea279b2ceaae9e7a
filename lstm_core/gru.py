r"""`GRU`: a from-scratch twin of ``torch.nn.GRU`` — the only place the GRU equations are written.

For each element of the input sequence each layer computes (`gru_cell_step`)::

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate (r acts on the hidden share only)
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}

Three gate blocks (r, z, n), stacked as in torch: ``weight_ih_l{k} = [W_ir|W_iz|W_in]`` (3H, in). No cell
state: the model returns ``(output, h_n)``. Parameter names, shapes, registration order, initialisation
(uniform ±1/√hidden_size) and validation errors are torch's, so ``load_state_dict`` works both ways.
Batched 3-D, unbatched 2-D and ``PackedSequence`` input; ``batch_first``; ``h_0``; layers; bidirectional;
dropout on every layer's output but the last, in training mode only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from .cell import param_name
from .lstm import time_major, validate_rnn_args
from .recurrence import real_steps

__all__ = ["GRU", "GRU_GATES", "GRULayerTrace", "GRUStep", "GRUTrace", "gru_cell_step", "gru_trace"]

GRU_GATES = ("r", "z", "n")


class GRUStep(NamedTuple):
    """One timestep of one layer and direction; every tensor (B, H)."""

    r: Tensor
    z: Tensor
    n: Tensor
    h: Tensor


def gru_cell_step(x_proj: Tensor, h_prev: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> GRUStep:
    """One GRU step. ``x_proj = W_ih x_t + b_ih`` (B, 3H) — b_hh stays apart: r multiplies W_hn h + b_hn."""
    h_proj = torch.mm(h_prev, weight_hh.t())  # (B, 3H) W_hh h
    if bias_hh is not None:
        h_proj = h_proj + bias_hh
    xr, xz, xn = x_proj.chunk(3, 1)
    hr, hz, hn = h_proj.chunk(3, 1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    h = (1 - z) * n + z * h_prev
    return GRUStep(r, z, n, h)


@dataclass
class GRULayerTrace:
    """One layer and direction over time, time-major (T, B, H) in real time order; NaN at padded steps."""

    layer: int
    direction: int
    r: Tensor
    z: Tensor
    n: Tensor
    h: Tensor
    h_prev: Tensor  # hidden state entering each step


@dataclass
class GRUTrace:
    kind: str  # "batched" | "unbatched" | "packed"
    output: object  # exactly what the forward pass returns (Tensor or PackedSequence)
    h_n: Tensor
    lengths: Tensor  # (B,) real length of each sequence
    layers: dict  # (layer, direction) -> GRULayerTrace

    def __getitem__(self, key) -> GRULayerTrace:
        return self.layers[key]


class GRU(nn.Module):
    r"""Applies a multi-layer gated recurrent unit (GRU) RNN to an input sequence, exactly as ``torch.nn.GRU``.

    Args: input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False. Inputs: ``input`` (L, N, H_in) / (N, L, H_in) with batch_first / (L, H_in) unbatched /
    PackedSequence; ``h_0`` (D·num_layers, N, H). Outputs: ``output`` (L, N, D·H), ``h_n`` (D·num_layers, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None, **kwargs):
        super().__init__()
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        factory = {"device": device, "dtype": dtype}
        gate_size = 3 * hidden_size
        for layer in range(num_layers):
            for direction in range(self.num_directions):
                width = input_size if layer == 0 else self.num_directions * hidden_size
                shapes = {"weight_ih": (gate_size, width), "weight_hh": (gate_size, hidden_size)}  # [W_r|W_z|W_n]
                if bias:
                    shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}
                for name, shape in shapes.items():
                    weight = nn.Parameter(torch.empty(shape, **factory))
                    self.register_parameter(param_name(name, layer, direction), weight)
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():  # same order, same draws as torch.nn.GRU
            nn.init.uniform_(weight, -bound, bound)

    def _params(self, layer: int, direction: int):
        get = lambda name: getattr(self, param_name(name, layer, direction), None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # ------------------------------------------------------------------ input handling (torch's checks)
    def _prepare(self, input, hx):
        """-> x (T, B, I) time-major padded, lengths (B,) or None, h0 (num_layers·D, B, H), kind."""
        if isinstance(input, PackedSequence):
            self._check_input(input.data, 2)
            x, lengths = pad_packed_sequence(input)  # caller's batch order
            kind = "packed"
        else:
            x, hx, batched = time_major(input, hx, self.batch_first,
                                        "GRU: Expected input to be 2D or 3D, got {}D instead")
            kind = "batched" if batched else "unbatched"
            self._check_input(x, 3)
            lengths = None
        expected = (self.num_layers * self.num_directions, x.size(1), self.hidden_size)
        if hx is None:
            hx = x.new_zeros(expected)
        elif hx.size() != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.size())}")
        return x, lengths, hx, kind

    def _check_input(self, data: Tensor, dims: int) -> None:
        weight = self.weight_ih_l0
        if data.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({data.dtype}) does not match weight dtype ({weight.dtype}). "
                             f"Convert input: input.to({weight.dtype}), or convert model: model.to({data.dtype})")
        if data.dim() != dims:
            raise RuntimeError(f"input must have {dims} dimensions, got {data.dim()}")
        if self.input_size != data.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.size(-1)}")

    # ------------------------------------------------------------------ the one loop
    def _run(self, x: Tensor, lengths: Tensor | None, h0: Tensor, record: dict | None = None):
        steps = x.size(0)
        valid = real_steps(lengths, steps)  # (T, B, 1): real steps of a packed batch, or None
        h_n, layer_input = [], x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                w_ih, w_hh, b_ih, b_hh = self._params(layer, direction)
                xp = torch.matmul(layer_input, w_ih.t())  # (T, B, 3H)
                if b_ih is not None:
                    xp = xp + b_ih
                h = h0[layer * self.num_directions + direction]
                hs: list = [None] * steps
                cells: list = [None] * steps
                for t in range(steps) if direction == 0 else range(steps - 1, -1, -1):
                    s = gru_cell_step(xp[t], h, w_hh, b_hh)
                    cells[t] = (s, h)
                    h = s.h if valid is None else torch.where(valid[t], s.h, h)  # padded steps keep the state
                    hs[t] = s.h
                if record is not None:
                    record[layer, direction] = cells
                outputs.append(torch.stack(hs) if steps else x.new_zeros(0, x.size(1), self.hidden_size))
                h_n.append(h)
            out = outputs[0] if len(outputs) == 1 else torch.cat(outputs, -1)  # (T, B, D·H)
            if valid is not None:
                out = out.masked_fill(~valid, 0.0)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                out = F.dropout(out, p=self.dropout, training=True)
            layer_input = out
        return layer_input, torch.stack(h_n)

    def _finish(self, input, kind: str, output: Tensor, h_n: Tensor):
        if kind == "packed":
            order = input.sorted_indices if input.sorted_indices is not None else torch.arange(output.size(1))
            rows = torch.arange(output.size(1))[None, :] < input.batch_sizes[:, None]  # (T, B) sorted order
            data = output[:, order][rows]  # (sum(lengths), D·H) in packed order
            return PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices), h_n
        if kind == "unbatched":
            return output.squeeze(1), h_n.squeeze(1)
        return (output.transpose(0, 1) if self.batch_first else output), h_n

    def forward(self, input, hx=None):
        x, lengths, h0, kind = self._prepare(input, hx)
        output, h_n = self._run(x, lengths, h0)
        return self._finish(input, kind, output, h_n)

    @classmethod
    def from_torch(cls, module: nn.GRU) -> GRU:
        w = module.weight_ih_l0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = cls(module.input_size, module.hidden_size, module.num_layers, module.bias, module.batch_first,
                       module.dropout, module.bidirectional, device=w.device, dtype=w.dtype)
        ours.load_state_dict(module.state_dict())
        return ours.train(module.training)

    def to_torch(self) -> nn.GRU:
        w = self.weight_ih_l0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = nn.GRU(self.input_size, self.hidden_size, self.num_layers, self.bias, self.batch_first,
                         self.dropout, self.bidirectional, device=w.device, dtype=w.dtype)
        ref.load_state_dict(self.state_dict())
        return ref.train(self.training)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s


def gru_trace(model: GRU, input, hx=None) -> GRUTrace:
    """Run ``model`` (the same loop as its forward pass) keeping r, z, n and h of every layer, direction, step."""
    x, lengths, h0, kind = model._prepare(input, hx)
    record: dict = {}
    with torch.no_grad():
        output, h_n = model._run(x, lengths, h0, record)
    steps, batch = x.size(0), x.size(1)
    lengths_ = lengths if lengths is not None else torch.full((batch,), steps, dtype=torch.int64)
    real = real_steps(lengths, steps)
    pad = torch.zeros(steps, batch, 1, dtype=torch.bool) if real is None else ~real  # (T, B, 1)
    layers = {}
    for key, cells in record.items():
        stack = {name: torch.stack([c[0][k] for c in cells]).masked_fill(pad, float("nan"))
                 for k, name in enumerate(("r", "z", "n", "h"))}
        h_prev = torch.stack([c[1] for c in cells]).masked_fill(pad, float("nan"))
        layers[key] = GRULayerTrace(key[0], key[1], h_prev=h_prev, **stack)
    out, h_n = model._finish(input, kind, output, h_n)
    return GRUTrace(kind, out, h_n, lengths_, layers)
