"""Conversion to and from ``torch.nn.LSTM`` — the only engine module that touches torch's LSTM (as reference)."""

from __future__ import annotations

import warnings

from torch import nn

from .config import LSTMConfig


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


def from_torch(module: nn.LSTM):
    from .lstm import LSTM

    cfg = LSTMConfig(module.input_size, module.hidden_size, module.num_layers, module.bias, module.batch_first,
                     module.dropout, module.bidirectional, module.proj_size)
    weight = module.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = LSTM(**cfg.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(module, ours)


def to_torch(model) -> nn.LSTM:
    weight = model.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = nn.LSTM(**model.config.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(model, reference)
