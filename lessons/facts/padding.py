"""Padded and packed sequences: h_n at each sequence's real end only when packed."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn.utils.rnn import pad_packed_sequence

from ..layout import model_input
from .tools import (
    DTYPE,
    max_abs,
    reference,
    run_torch,
)


# ----------------------------------------------------------------------------------------------- padding
@dataclass(frozen=True)
class SeqPadding:
    seq: int
    length: int
    delta_padded: float  # max |h_n padded-not-packed − h_n packed| of this sequence
    delta_packed_alone: float  # max |h_n packed − this sequence run alone, unpadded|


@dataclass(frozen=True)
class PaddingFact:
    lengths: list[int]
    T: int
    batch_sizes: list[int]  # PackedSequence.batch_sizes: how many sequences are still running at each step
    per_seq: tuple[SeqPadding, ...]
    delta_padded: float  # worst over the sequences: padding without packing changes h_n
    delta_packed: float  # worst over the sequences: packed = each sequence alone
    delta_last_step: float  # max |h_n[top forward] − (padded-back) output at each sequence's own last step|


def padding(cfg, state_dict, x_bm: Tensor, lengths, seed: int = 0) -> PaddingFact:
    """x_bm (B, T, I) with real ``lengths``: packed vs padded-not-packed vs each sequence alone."""
    ref = reference(cfg, state_dict, seed)
    lens = [int(n) for n in lengths]
    x = x_bm.to(DTYPE).clone()
    for k, n in enumerate(lens):
        x[k, n:] = 0.0  # padding value
    packed = model_input(cfg, x, lens)
    _, (h_pad, _) = run_torch(ref, cfg, x)
    with torch.no_grad():
        out_pack, (h_pack, _) = ref(packed)
    alone = [run_torch(ref, cfg, x[k: k + 1, :n])[1][0][:, 0] for k, n in enumerate(lens)]
    per_seq = tuple(SeqPadding(k, n, max_abs(h_pad[:, k], h_pack[:, k]), max_abs(h_pack[:, k], alone[k]))
                    for k, n in enumerate(lens))
    unpacked, _ = pad_packed_sequence(out_pack, batch_first=True)  # (B, T_max, D·H_out)
    at_end = torch.stack([unpacked[b, n - 1, : cfg.h_out] for b, n in enumerate(lens)])
    top = (cfg.num_layers - 1) * cfg.num_directions
    return PaddingFact(lengths=lens, T=int(x.shape[1]), batch_sizes=packed.batch_sizes.tolist(),
                       per_seq=per_seq, delta_padded=max(s.delta_padded for s in per_seq),
                       delta_packed=max(s.delta_packed_alone for s in per_seq),
                       delta_last_step=max_abs(at_end, h_pack[top]))
