"""Tensor layouts, written once: what ``batch_first`` does to an input or output, the input a model takes,
and the shapes of h0/c0. torch only.

``batch_first`` transposes the input and the output, never ``h_n``/``c_n``:

- batch-major ``(B, T, ·)``: how the app stores a batch (`lessons.sources.InputBatch`);
- the model's layout: ``(B, T, ·)`` when ``batch_first`` else ``(T, B, ·)``;
- time-major ``(T, B, ·)``: how the trace and the engine's loop read it.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence


def batch_major(x: Tensor, batch_first: bool) -> Tensor:
    """Batch-major ``(B, T, ·)`` <-> the layout of a model with this ``batch_first`` (the same swap both ways)."""
    return x if batch_first else x.transpose(0, 1)


def time_major(x: Tensor, batch_first: bool) -> Tensor:
    """The layout of a model with this ``batch_first`` <-> time-major ``(T, B, ·)`` (the same swap both ways)."""
    return x.transpose(0, 1) if batch_first else x


def model_input(config, x_bm: Tensor, lengths=None, unbatched: bool = False):
    """Turn a batch-major ``(B, T, I)`` tensor into what ``config`` expects (differentiably w.r.t. ``x_bm``).

    unbatched -> ``x_bm[0]`` of shape (T, I); lengths -> a PackedSequence (enforce_sorted=False);
    otherwise (T, B, I), or (B, T, I) when batch_first.
    """
    if unbatched:
        return x_bm[0]
    x = batch_major(x_bm, config.batch_first)
    if lengths is not None:
        return pack_padded_sequence(x, torch.as_tensor(list(lengths), dtype=torch.int64),
                                    batch_first=config.batch_first, enforce_sorted=False)
    return x


def state_shape(config, batch_size: int, unbatched: bool = False) -> tuple[tuple, tuple]:
    """Shapes of (h0, c0): (num_layers·D, B, H_out) and (num_layers·D, B, H); without the B axis when
    unbatched."""
    rows = config.num_layers * config.num_directions
    if unbatched:
        return (rows, config.h_out), (rows, config.hidden_size)
    return (rows, batch_size, config.h_out), (rows, batch_size, config.hidden_size)
