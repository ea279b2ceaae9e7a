r"""`LSTM`: a from-scratch ``torch.nn.Module`` with exactly ``torch.nn.LSTM``'s interface.

For each element of the input sequence each layer computes (see `lstm_core.cell`)::

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                      h_t = o_t ⊙ tanh(c_t)   (h_t = W_hr h_t if proj_size > 0)

Layer k > 0 reads the (dropout-masked, in training) output of layer k-1. Parameter names, shapes,
registration order and initialisation (uniform ±1/√hidden_size) are torch's, so ``load_state_dict``
works in both directions. The computation uses matmul/addmm, sigmoid, tanh and elementwise ops only.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .config import LSTMConfig, validate_rnn_args
from .recurrence import finish, prepare, run_layers


class LSTM(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        factory = {"device": device, "dtype": dtype}
        cfg = self.config
        gate_size = 4 * hidden_size
        for layer in range(num_layers):
            for direction in range(cfg.num_directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = {
                    "weight_ih": (gate_size, cfg.layer_input_size(layer)),  # [W_ii|W_if|W_ig|W_io]
                    "weight_hh": (gate_size, cfg.h_out),
                }
                if bias:
                    shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}  # two, as cuDNN has
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    self.register_parameter(f"{name}_l{layer}{suffix}", nn.Parameter(torch.empty(shape, **factory)))
        self.reset_parameters()

    @property
    def config(self) -> LSTMConfig:
        return LSTMConfig(self.input_size, self.hidden_size, self.num_layers, self.bias, self.batch_first,
                          self.dropout, self.bidirectional, self.proj_size)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, input, hx=None):
        prep = prepare(self, input, hx)
        output, h_n, c_n = run_layers(self, prep)
        return finish(self, prep, output, h_n, c_n)

    @classmethod
    def from_torch(cls, module: nn.Module) -> LSTM:
        """Our LSTM with the configuration and (copied) weights of a ``torch.nn.LSTM``."""
        from .convert import from_torch

        return from_torch(module)

    def to_torch(self) -> nn.Module:
        """A ``torch.nn.LSTM`` with this configuration and (copied) weights — the reference we compare with."""
        from .convert import to_torch

        return to_torch(self)

    def extra_repr(self) -> str:
        cfg, default = self.config, LSTMConfig(self.input_size, self.hidden_size)
        extras = [f"{k}={v}" for k, v in cfg.kwargs().items()
                  if k not in ("input_size", "hidden_size") and v != getattr(default, k)]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *extras])
