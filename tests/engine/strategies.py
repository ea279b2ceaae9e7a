"""Hypothesis strategies over the whole nn.LSTM configuration space (shared by engine tests)."""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_core import LSTMConfig


@st.composite
def configs(draw, max_size: int = 16, max_layers: int = 4) -> LSTMConfig:
    hidden = draw(st.integers(1, max_size))
    return LSTMConfig(
        input_size=draw(st.integers(1, max_size)),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, max_layers)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        dropout=0.0,
        bidirectional=draw(st.booleans()),
        proj_size=draw(st.integers(0, hidden - 1)),
    )


@st.composite
def cases(draw, dtype=torch.float64):
    """(config, seed, input, hx or None, form) with input in the form the config expects."""
    cfg = draw(configs())
    form = draw(st.sampled_from(["batched", "unbatched", "packed"]))
    batch, steps = draw(st.integers(1, 4)), draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=dtype)  # noqa: E731
    ld = cfg.num_layers * cfg.num_directions
    if form == "unbatched":
        x = rand(steps, cfg.input_size)
        hx_shape = ((ld, cfg.h_out), (ld, cfg.hidden_size))
    else:
        data = rand(batch, steps, cfg.input_size)
        if form == "packed":
            lengths = draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
            x = pack_padded_sequence(data, lengths, batch_first=True, enforce_sorted=False)
        else:
            x = data if cfg.batch_first else data.transpose(0, 1).contiguous()
        hx_shape = ((ld, batch, cfg.h_out), (ld, batch, cfg.hidden_size))
    hx = (rand(*hx_shape[0]), rand(*hx_shape[1])) if draw(st.booleans()) else None
    return cfg, seed, x, hx, form
