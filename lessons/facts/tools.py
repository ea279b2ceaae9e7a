"""The tools the facts share: torch's reference LSTM on the learner's weights, inputs grown to what a
fact needs, captured errors, max |Δ|."""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lstm_core.lstm import param_name

from ..layout import batch_major

DTYPE = torch.float64
MAX_DEMO_BATCH = 4
MAX_DEMO_STEPS = 24


# ------------------------------------------------------------------------------------------------ tools
def max_abs(a: Tensor, b: Tensor) -> float:
    """max |a - b| as a Python float (0.0 for empty tensors)."""
    d = (a.detach().to(DTYPE) - b.detach().to(DTYPE)).abs()
    return float(d.max()) if d.numel() else 0.0


def shape(t: Tensor) -> tuple[int, ...]:
    """A tensor's (or a PackedSequence's data) shape as a tuple of ints."""
    return tuple(int(s) for s in (t.data if isinstance(t, PackedSequence) else t).shape)


def quiet_lstm(cfg, dtype=DTYPE) -> nn.LSTM:
    """``torch.nn.LSTM(**cfg.kwargs())`` in ``dtype`` without its one-layer-dropout warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nn.LSTM(**cfg.kwargs()).to(dtype)


def reference(cfg, state_dict=None, seed: int = 0) -> nn.LSTM:
    """``torch.nn.LSTM(**cfg.kwargs())`` in float64, eval mode, with ``state_dict`` when its shapes fit,
    else with the weights ``torch.manual_seed(seed)`` gives (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = quiet_lstm(cfg)
    if state_dict is not None:
        own = m.state_dict()
        if set(own) == set(state_dict) and all(own[k].shape == state_dict[k].shape for k in own):
            m.load_state_dict({k: v.detach().to(DTYPE) for k, v in state_dict.items()})
    return m.eval()


def changed(cfg, changes: dict):
    """``cfg`` with the configuration fields of ``changes`` applied (batch_size/seq_len are the input's)."""
    fields = {k: v for k, v in changes.items() if k not in ("batch_size", "seq_len")}
    return replace(cfg, **fields) if fields else cfg


def grow(x: Tensor, b_min: int = 1, t_min: int = 1, seed: int = 0) -> tuple[Tensor, dict]:
    """x (B, T, I) batch-major, enlarged with seeded random rows/steps to at least (b_min, t_min); returns
    (x, changes) with the batch_size/seq_len it had to change."""
    changes: dict = {}
    b, t, i = x.shape
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 7)
        if t < t_min:
            x = torch.cat([x, torch.randn(b, t_min - t, i, dtype=x.dtype)], dim=1)
            changes["seq_len"] = t_min
        if b < b_min:
            x = torch.cat([x, torch.randn(b_min - b, x.shape[1], i, dtype=x.dtype)], dim=0)
            changes["batch_size"] = b_min
    return x, changes


def error_of(fn) -> str | None:
    """Run fn; return the message of the exception it raises (None if it ran)."""
    try:
        with torch.no_grad():
            fn()
    except Exception as e:
        return str(e)
    return None


def layer_finals(ref: nn.LSTM, x_tm: Tensor) -> dict[tuple[int, int], Tensor]:
    """Final hidden state of every (layer, direction), found by running each layer ALONE as a one-layer LSTM
    with that layer's weights on the previous layer's output (eval mode). x_tm is time-major (T, B, I)."""
    finals = {}
    inp = x_tm
    d = 2 if ref.bidirectional else 1
    sd = ref.state_dict()
    kinds = [name.split("_l0")[0] for name in sd if name.endswith("_l0")]  # weight_ih, weight_hh, ...
    for layer in range(ref.num_layers):
        sub = nn.LSTM(inp.shape[-1], ref.hidden_size, 1, bias=ref.bias, bidirectional=ref.bidirectional,
                      proj_size=ref.proj_size).to(DTYPE).eval()
        sub.load_state_dict({param_name(kind, 0, direction): sd[param_name(kind, layer, direction)]
                             for kind in kinds for direction in range(d)})
        with torch.no_grad():
            inp, (h, _) = sub(inp)
        for direction in range(d):
            finals[(layer, direction)] = h[direction]
    return finals


def demo_input(x_bm: Tensor, lengths=None) -> tuple[Tensor, list[int] | None, dict]:
    """The input the demos run on: the first MAX_DEMO_BATCH sequences and MAX_DEMO_STEPS steps of x_bm
    (every demo runs several forward passes; the confusions do not depend on the size). Returns
    (x, lengths, trimmed); trimmed holds the batch_size/seq_len used when the input was cut, else {}."""
    b, t = int(x_bm.shape[0]), int(x_bm.shape[1])
    nb, nt = min(b, MAX_DEMO_BATCH), min(t, MAX_DEMO_STEPS)
    trimmed = {"batch_size": nb, "seq_len": nt} if (nb, nt) != (b, t) else {}
    x = x_bm.detach()[:nb, :nt]
    if lengths is not None:
        lengths = [min(int(n), nt) for n in list(lengths)[:nb]]
    return x, lengths, trimmed


def packed_lengths(batch_size: int, seq_len: int, lengths=None) -> list[int]:
    """The lengths a packing demonstration uses: the input's own when they vary, else the example
    T, T-1, ... (at least 1): the first sequence full, each next one shorter."""
    if lengths is not None and len(set(int(v) for v in lengths)) > 1:
        return [int(v) for v in lengths]
    return [max(1, seq_len - k) for k in range(batch_size)]


def run_torch(ref: nn.LSTM, cfg, x_bm: Tensor, hx=None):
    with torch.no_grad():
        return ref(batch_major(x_bm.to(DTYPE), cfg.batch_first), hx)
