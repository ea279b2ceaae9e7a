"""`LSTMConfig`: the constructor arguments of an LSTM, validated exactly as `torch.nn.LSTM` validates them."""

from __future__ import annotations

import numbers
import warnings
from dataclasses import asdict, dataclass

import torch


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
        from .lstm import LSTM

        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return LSTM(**self.kwargs(), dtype=dtype)
