"""A vanilla (Elman) RNN written from elementary tensor ops, for comparison with the LSTM.

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)        (or relu instead of tanh)

Same constructor subset, parameter names (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}``), shapes, registration order and initialisation (uniform ±1/sqrt(hidden_size)) as
``torch.nn.RNN``, so ``torch.manual_seed(s); RNN(I, H)`` holds exactly the weights of
``torch.manual_seed(s); torch.nn.RNN(I, H)`` and ``load_state_dict`` works both ways.

Supported: ``num_layers``, ``nonlinearity`` ("tanh" / "relu"), ``bias``, ``batch_first``, batched 3-D and
unbatched 2-D input, optional ``h_0``. Not supported (not needed by the app): dropout, bidirectional,
PackedSequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .lstm import time_major, validate_rnn_args

__all__ = ["RNN", "RNNRun", "RNNStep", "rnn_cell_step"]


@dataclass(frozen=True)
class RNNStep:
    """One timestep of one layer: the pre-activation and the new hidden state."""

    pre: Tensor  # (B, H)  x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
    h: Tensor  # (B, H)  nonlinearity(pre)


def rnn_cell_step(
    x_t: Tensor,
    h_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: str = "tanh",
) -> RNNStep:
    """The only place the vanilla RNN equation is written."""
    pre = x_t @ weight_ih.T + h_prev @ weight_hh.T  # (B, H)
    if bias_ih is not None:
        pre = pre + bias_ih + bias_hh
    h = torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)
    return RNNStep(pre=pre, h=h)


@dataclass
class RNNRun:
    """Everything an unrolled run produced, kept as live autograd tensors.

    ``h[layer][t]`` is the very tensor the next step consumed (before any truncation detach), so
    ``retain_grad()`` on it yields the full ∂L/∂h_t. ``output`` is time-major ``(T, B, H)``.
    """

    output: Tensor  # (T, B, H) top layer, time-major
    h_n: Tensor  # (num_layers, B, H)
    h: list[list[Tensor]]  # [layer][t] -> (B, H)
    pre: list[list[Tensor]]  # [layer][t] -> (B, H)


class RNN(nn.Module):
    r"""Vanilla RNN, a from-scratch twin of ``torch.nn.RNN`` (single direction, no dropout).

    For each layer k and step t: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``,
    where layer k>0 reads the hidden states of layer k-1 as its input.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first)  # torch's RNNBase checks
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.nonlinearity = nonlinearity
        self.bias = bias
        self.batch_first = batch_first
        fk = {"device": device, "dtype": dtype}
        H = hidden_size
        # registration order is torch's: per layer w_ih, w_hh, b_ih, b_hh
        for k in range(num_layers):
            in_k = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.empty((H, in_k), **fk)))
            setattr(self, f"weight_hh_l{k}", nn.Parameter(torch.empty((H, H), **fk)))
            if bias:
                setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.empty(H, **fk)))
                setattr(self, f"bias_hh_l{k}", nn.Parameter(torch.empty(H, **fk)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():  # same order and same draws as torch.nn.RNN
            nn.init.uniform_(weight, -stdv, stdv)

    def layer_params(self, k: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        w_ih = getattr(self, f"weight_ih_l{k}")
        w_hh = getattr(self, f"weight_hh_l{k}")
        if self.bias:
            return w_ih, w_hh, getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")
        return w_ih, w_hh, None, None

    @classmethod
    def from_torch(cls, m: nn.RNN) -> RNN:
        if m.bidirectional or m.dropout:
            raise ValueError("only unidirectional RNNs without dropout are supported")
        ref = m.weight_ih_l0
        ours = cls(m.input_size, m.hidden_size, m.num_layers, m.nonlinearity, m.bias, m.batch_first,
                   device=ref.device, dtype=ref.dtype)
        ours.load_state_dict(m.state_dict())
        return ours

    def to_torch(self) -> nn.RNN:
        ref = self.weight_ih_l0
        m = nn.RNN(self.input_size, self.hidden_size, self.num_layers, self.nonlinearity, self.bias,
                   self.batch_first, device=ref.device, dtype=ref.dtype)
        m.load_state_dict(self.state_dict())
        return m

    # ------------------------------------------------------------------ running
    def _prepare(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor, bool]:
        """Validate like torch and return time-major x (T, B, I), h0 (num_layers, B, H), is_batched."""
        input, hx, is_batched = time_major(input, hx, self.batch_first,
                                           "RNN: Expected input to be 2D or 3D, got {}D tensor instead")
        if input.dtype != self.weight_ih_l0.dtype:
            wd = self.weight_ih_l0.dtype
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({wd}). "
                             f"Convert input: input.to({wd}), or convert model: model.to({input.dtype})")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")
        B = input.size(1)
        expected = (self.num_layers, B, self.hidden_size)
        if hx is None:
            hx = input.new_zeros(expected)
        elif tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.size())}")
        return input, hx, is_batched

    def unroll(self, x: Tensor, h0: Tensor, truncate: int | None = None) -> RNNRun:
        """Run time-major ``x`` (T, B, I) from ``h0`` (num_layers, B, H), keeping every step's graph.

        ``truncate=k`` is truncated BPTT as in the classic chunked loop: the sequence is cut into chunks
        of k steps (starting at t=0) and the recurrent state is detached where one chunk hands it to the
        next, so no gradient crosses a chunk boundary. The forward values are unchanged.
        """
        if truncate is not None and truncate < 1:
            raise ValueError("truncate must be a positive number of steps")
        T = x.size(0)
        hs: list[list[Tensor]] = []
        pres: list[list[Tensor]] = []
        layer_in = [x[t] for t in range(T)]
        h_last = []
        for k in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.layer_params(k)
            h = h0[k]
            hk, pk = [], []
            for t in range(T):
                if truncate is not None and t > 0 and t % truncate == 0:
                    h = h.detach()
                step = rnn_cell_step(layer_in[t], h, w_ih, w_hh, b_ih, b_hh, self.nonlinearity)
                h = step.h
                hk.append(step.h)
                pk.append(step.pre)
            hs.append(hk)
            pres.append(pk)
            h_last.append(h)
            layer_in = hk
        output = torch.stack(hs[-1], 0) if T > 0 else x.new_zeros((0, x.size(1), self.hidden_size))
        return RNNRun(output=output, h_n=torch.stack(h_last, 0), h=hs, pre=pres)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x, h0, is_batched = self._prepare(input, hx)
        run = self.unroll(x, h0)
        output, h_n = run.output, run.h_n
        if not is_batched:
            return output.squeeze(1), h_n.squeeze(1)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        return s
