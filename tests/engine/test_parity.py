"""Parity: our engine against torch.nn.LSTM with the same weights, forward and gradients, all configurations."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from torch.nn.utils.rnn import PackedSequence

from lstm_core import LSTM

from .strategies import cases

TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


def _data(t):
    return t.data if isinstance(t, PackedSequence) else t


def _run(model, x, hx, probe):
    """Forward + backward of a loss touching output, h_n and c_n; returns values and every gradient."""
    x_leaf = _data(x).detach().clone().requires_grad_(True)
    x_in = PackedSequence(x_leaf, x.batch_sizes, x.sorted_indices, x.unsorted_indices) if isinstance(
        x, PackedSequence) else x_leaf
    hx_leaf = None if hx is None else tuple(h.detach().clone().requires_grad_(True) for h in hx)
    out, (h_n, c_n) = model(x_in, hx_leaf)
    out = _data(out)
    loss = (out * probe[0](out)).sum() + (h_n * probe[1](h_n)).sum() + (c_n * probe[2](c_n)).sum()
    loss.backward()
    grads = {"input": x_leaf.grad}
    if hx_leaf is not None:
        grads |= {"h0": hx_leaf[0].grad, "c0": hx_leaf[1].grad}
    grads |= {f"param {n}": p.grad for n, p in model.named_parameters()}
    return {"output": out, "h_n": h_n, "c_n": c_n}, grads


def _probe(seed):
    """Fixed pseudo-random loss weights so every element of every result matters for the gradient."""
    def make(k):
        return lambda t: torch.randn(t.shape, generator=torch.Generator().manual_seed(seed + k), dtype=t.dtype)
    return make(1), make(2), make(3)


def _check(case, dtype):
    """Values and every gradient (input, h0, c0, each parameter) equal torch's on the same weights."""
    cfg, seed, x, hx, form = case
    ours = cfg.build(seed, dtype=dtype)
    ref = ours.to_torch()
    values, grads = _run(ours, x, hx, _probe(seed))
    ref_values, ref_grads = _run(ref, x, hx, _probe(seed))
    tol = TOLERANCE[dtype]
    for name in values:
        assert values[name].shape == ref_values[name].shape, name
        assert (values[name] - ref_values[name]).abs().max().item() <= tol, (name, cfg, form)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        assert grads[name] is not None and ref_grads[name] is not None, name
        assert (grads[name] - ref_grads[name]).abs().max().item() <= tol, (name, cfg, form)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(torch.float64))
def test_parity_float64_forward_and_gradients(case):
    _check(case, torch.float64)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(torch.float32))
def test_parity_float32_forward_and_gradients(case):
    _check(case, torch.float32)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_each_sequence_ends_at_its_own_length(bidirectional):
    """h_n of a short sequence in a packed batch equals running that sequence alone (torch semantics)."""
    torch.manual_seed(3)
    model = LSTM(3, 5, num_layers=2, bidirectional=bidirectional, dtype=torch.float64)
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (2, 6, 4)]
    packed = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    _, (h_n, c_n) = model(packed)
    for b, seq in enumerate(seqs):
        _, (h_alone, c_alone) = model(seq)  # unbatched, real length only
        assert torch.allclose(h_n[:, b], h_alone, atol=1e-12)
        assert torch.allclose(c_n[:, b], c_alone, atol=1e-12)


def test_padding_without_packing_changes_h_n():
    """The pitfall the app shows: zero padding run as real steps gives another h_n than packing."""
    torch.manual_seed(4)
    model = LSTM(3, 5, bidirectional=True, dtype=torch.float64)
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (2, 5)]
    padded = torch.nn.utils.rnn.pad_sequence(seqs)  # (T, B, I)
    packed = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
    _, (h_padded, _) = model(padded)
    _, (h_packed, _) = model(packed)
    assert (h_padded[:, 0] - h_packed[:, 0]).abs().max() > 1e-3  # the short sequence differs
    assert torch.allclose(h_padded[:, 1], h_packed[:, 1])  # the full-length one does not
