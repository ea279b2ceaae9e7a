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
import numbers
import warnings
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .recurrence import finish, prepare, run_layers


def validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first, dropout=0.0, bidirectional=False,
                      proj_size=0) -> None:
    """Raise (and warn) exactly what ``torch.nn.LSTM(...)`` (or ``nn.RNN``: torch's RNNBase) raises for these."""
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def param_name(kind: str, layer: int, direction: int = 0) -> str:
    """torch's parameter name: ``param_name("weight_ih", 1, 1) == "weight_ih_l1_reverse"`` (kind: weight_ih,
    weight_hh, bias_ih, bias_hh, weight_hr)."""
    return f"{kind}_l{layer}" + ("_reverse" if direction else "")


@dataclass(frozen=True)
class LSTMConfig:
    """The architecture of an LSTM: the arguments of ``torch.nn.LSTM`` (minus device/dtype)."""

    input_size: int = 4
    hidden_size: int = 6
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def h_out(self) -> int:
        """Width of h (and of each direction's half of output): proj_size when projecting, else hidden_size."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.num_directions * self.h_out

    def kwargs(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        validate_rnn_args(**self.kwargs())

    def build(self, seed: int | None = 0, dtype: torch.dtype | None = None):
        """Our LSTM with the weights ``torch.manual_seed(seed); torch.nn.LSTM(**kwargs)`` would have.

        The global RNG state is restored afterwards, so building a model never disturbs other randomness.
        """
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return LSTM(**self.kwargs(), dtype=dtype)


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
        return _from_torch(module)

    def to_torch(self) -> nn.Module:
        """A ``torch.nn.LSTM`` with this configuration and (copied) weights — the reference we compare with."""
        return _to_torch(self)

    def extra_repr(self) -> str:
        cfg, default = self.config, LSTMConfig(self.input_size, self.hidden_size)
        extras = [f"{k}={v}" for k, v in cfg.kwargs().items()
                  if k not in ("input_size", "hidden_size") and v != getattr(default, k)]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *extras])



def _copy(source: nn.Module, target: nn.Module) -> nn.Module:
    """Copy weights after checking that names and shapes match one for one."""
    src, dst = source.state_dict(), target.state_dict()
    if list(src) != list(dst):
        raise ValueError(f"parameter names differ: {list(src)} vs {list(dst)}")
    for name, value in src.items():
        if value.shape != dst[name].shape:
            raise ValueError(f"{name}: shape {tuple(value.shape)} vs {tuple(dst[name].shape)}")
    target.load_state_dict(src)
    return target.train(source.training)


def _from_torch(module: nn.Module) -> LSTM:
    cfg = LSTMConfig(module.input_size, module.hidden_size, module.num_layers, module.bias, module.batch_first,
                     module.dropout, module.bidirectional, module.proj_size)
    weight = module.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = LSTM(**cfg.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(module, ours)


def _to_torch(model: LSTM) -> nn.Module:
    weight = model.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = nn.LSTM(**model.config.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(model, reference)
