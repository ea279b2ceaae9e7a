"""Our from-scratch GRU against torch.nn.GRU: same weights from the same seed, forward and every gradient over
generated configurations (batched, unbatched, packed, h0, layers, bidirectional, batch_first), errors, state_dict."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pack_sequence, pad_sequence

from lstm_core import GRU, gru_trace

TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


@st.composite
def gru_cases(draw, dtype=torch.float64):
    kw = dict(input_size=draw(st.integers(1, 12)), hidden_size=draw(st.integers(1, 12)),
              num_layers=draw(st.integers(1, 3)), bias=draw(st.booleans()), batch_first=draw(st.booleans()),
              bidirectional=draw(st.booleans()))
    form = draw(st.sampled_from(["batched", "unbatched", "packed"]))
    batch, steps, seed = draw(st.integers(1, 4)), draw(st.integers(1, 7)), draw(st.integers(0, 2**16))
    gen = torch.Generator().manual_seed(seed)
    rand = lambda *shape: torch.randn(*shape, generator=gen, dtype=dtype)  # noqa: E731
    ld = kw["num_layers"] * (2 if kw["bidirectional"] else 1)
    if form == "unbatched":
        x, hx_shape = rand(steps, kw["input_size"]), (ld, kw["hidden_size"])
    else:
        data = rand(batch, steps, kw["input_size"])
        if form == "packed":
            lengths = draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
            x = pack_padded_sequence(data, lengths, batch_first=True, enforce_sorted=False)
        else:
            x = data if kw["batch_first"] else data.transpose(0, 1).contiguous()
        hx_shape = (ld, batch, kw["hidden_size"])
    hx = rand(*hx_shape) if draw(st.booleans()) else None
    return kw, seed, x, hx


def _pair(seed, kw, dtype):
    torch.manual_seed(seed)
    ours = GRU(**kw, dtype=dtype)
    torch.manual_seed(seed)
    ref = torch.nn.GRU(**kw, dtype=dtype)
    return ours, ref


def _run(model, x, hx, seed):
    data = x.data if isinstance(x, PackedSequence) else x
    x_leaf = data.detach().clone().requires_grad_(True)
    x_in = PackedSequence(x_leaf, x.batch_sizes, x.sorted_indices, x.unsorted_indices) if isinstance(
        x, PackedSequence) else x_leaf
    h_leaf = None if hx is None else hx.detach().clone().requires_grad_(True)
    out, h_n = model(x_in, h_leaf)
    out = out.data if isinstance(out, PackedSequence) else out
    probe = lambda t, k: torch.randn(t.shape, generator=torch.Generator().manual_seed(seed + k),  # noqa: E731
                                     dtype=t.dtype)
    ((out * probe(out, 1)).sum() + (h_n * probe(h_n, 2)).sum()).backward()
    grads = {"input": x_leaf.grad} | ({"h0": h_leaf.grad} if h_leaf is not None else {})
    grads |= {f"param {n}": p.grad for n, p in model.named_parameters()}
    return {"output": out, "h_n": h_n}, grads


def _check(case, dtype):
    kw, seed, x, hx = case
    ours, ref = _pair(seed, kw, dtype)
    for (n, p), (m, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        assert n == m and torch.equal(p, q), n  # same names, order and initial draws
    values, grads = _run(ours, x, hx, seed)
    ref_values, ref_grads = _run(ref, x, hx, seed)
    tol = TOLERANCE[dtype]
    for name in values:
        assert values[name].shape == ref_values[name].shape, name
        assert (values[name] - ref_values[name]).abs().max().item() <= tol, (name, kw)
    assert grads.keys() == ref_grads.keys()
    for name in grads:
        assert grads[name] is not None and ref_grads[name] is not None, name
        assert (grads[name] - ref_grads[name]).abs().max().item() <= tol, (name, kw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gru_cases(torch.float64))
def test_gru_parity_float64_forward_and_gradients(case):
    _check(case, torch.float64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gru_cases(torch.float32))
def test_gru_parity_float32_forward_and_gradients(case):
    _check(case, torch.float32)


def test_initialisation_is_uniform_within_one_over_sqrt_hidden():
    torch.manual_seed(0)
    model = GRU(5, 16, num_layers=2, bidirectional=True)
    names = [n for n, _ in model.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert names[4] == "weight_ih_l0_reverse" and model.weight_ih_l1.shape == (48, 32)
    assert all(p.abs().max() <= 0.25 for p in model.parameters())
    assert max(p.abs().max() for p in model.parameters()) > 0.24  # uses the whole range


def test_state_dict_both_ways():
    torch.manual_seed(1)
    ref = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    ours = GRU(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(6, 2, 3)
    assert torch.allclose(ours(x)[0], ref(x)[0], atol=1e-6)
    back = torch.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    back.load_state_dict(ours.state_dict())
    assert torch.allclose(back(x)[1], ours(x)[1], atol=1e-6)
    assert torch.allclose(GRU.from_torch(ref)(x)[1], ref(x)[1], atol=1e-6)
    assert torch.allclose(ours.to_torch()(x)[1], ref(x)[1], atol=1e-6)


def test_dropout_between_layers_in_training_only():
    torch.manual_seed(2)
    model = GRU(3, 8, num_layers=2, dropout=0.5, dtype=torch.float64)
    ref = model.to_torch().eval()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    model.eval()
    assert (model(x)[0] - ref(x)[0]).abs().max() < 1e-10  # eval: no dropout
    model.train()
    out_a, out_b = model(x)[0], model(x)[0]
    assert (out_a - out_b).abs().max() > 1e-3  # training: random masks between the layers
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = GRU(3, 8, dropout=0.5, dtype=torch.float64).train()
    assert torch.equal(single(x)[0], single(x)[0])  # one layer: nothing between layers to drop


def test_packed_each_sequence_ends_at_its_own_length():
    torch.manual_seed(3)
    model = GRU(3, 5, num_layers=2, bidirectional=True, dtype=torch.float64)
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (2, 6, 4)]
    _, h_n = model(pack_sequence(seqs, enforce_sorted=False))
    for b, seq in enumerate(seqs):
        assert torch.allclose(h_n[:, b], model(seq)[1], atol=1e-12)
    _, h_padded = model(pad_sequence(seqs))
    assert (h_padded[:, 0] - h_n[:, 0]).abs().max() > 1e-3  # padding run as real steps changes h_n


def test_trace_matches_forward_and_the_equations():
    torch.manual_seed(4)
    model = GRU(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    seqs = [torch.randn(n, 3, dtype=torch.float64) for n in (3, 5)]
    packed = pack_sequence(seqs, enforce_sorted=False)
    tr = gru_trace(model, packed)
    out, h_n = model(packed)
    assert torch.equal(tr.output.data, out.data) and torch.equal(tr.h_n, h_n)
    lt = tr[0, 0]
    assert torch.isnan(lt.r[3:, 0]).all() and not torch.isnan(lt.r[:, 1]).any()
    # independent recomputation of step t=1 of sequence 1 (layer 0, forward)
    W, U, b, c = model.weight_ih_l0, model.weight_hh_l0, model.bias_ih_l0, model.bias_hh_l0
    x1, h0 = seqs[1][1], lt.h[0, 1]
    H = 4
    r = torch.sigmoid(W[:H] @ x1 + b[:H] + U[:H] @ h0 + c[:H])
    z = torch.sigmoid(W[H:2 * H] @ x1 + b[H:2 * H] + U[H:2 * H] @ h0 + c[H:2 * H])
    n = torch.tanh(W[2 * H:] @ x1 + b[2 * H:] + r * (U[2 * H:] @ h0 + c[2 * H:]))
    assert torch.allclose(lt.r[1, 1], r, atol=1e-12) and torch.allclose(lt.z[1, 1], z, atol=1e-12)
    assert torch.allclose(lt.n[1, 1], n, atol=1e-12)
    assert torch.allclose(lt.h[1, 1], (1 - z) * n + z * h0, atol=1e-12)
    assert torch.equal(lt.h_prev[1, 1], h0)


BAD_CONSTRUCTOR = [
    dict(input_size=3, hidden_size=4, dropout=-0.1), dict(input_size=3, hidden_size=4, dropout=1.5),
    dict(input_size=3, hidden_size=4, dropout=True), dict(input_size=3, hidden_size=0),
    dict(input_size=3, hidden_size=2.5), dict(input_size=0, hidden_size=4), dict(input_size=1.5, hidden_size=4),
    dict(input_size=3, hidden_size=4, num_layers=0), dict(input_size=3, hidden_size=4, bias=1),
    dict(input_size=3, hidden_size=4, batch_first=None), dict(input_size=3, hidden_size=4, proj_size=2),
]


def _raised(factory):
    try:
        factory()
    except Exception as exc:  # we compare whatever torch raises
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("kwargs", BAD_CONSTRUCTOR, ids=lambda k: ",".join(f"{a}={b!r}" for a, b in k.items()))
def test_constructor_errors_match_torch(kwargs):
    expected = _raised(lambda: torch.nn.GRU(**kwargs))
    assert expected is not None
    assert _raised(lambda: GRU(**kwargs)) == expected


def test_dropout_with_one_layer_warns_like_torch():
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        GRU(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.GRU(3, 4, dropout=0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


BAD_INPUTS = [
    ("1-D input", {}, torch.randn(5), None),
    ("4-D input", {}, torch.randn(2, 3, 4, 3), None),
    ("wrong feature size", {}, torch.randn(5, 2, 7), None),
    ("wrong feature size unbatched", {}, torch.randn(5, 7), None),
    ("h0 for another batch", {}, torch.randn(5, 2, 3), torch.zeros(1, 3, 4)),
    ("h0 2-D for batched", {}, torch.randn(5, 2, 3), torch.zeros(1, 4)),
    ("h0 3-D for unbatched", {}, torch.randn(5, 3), torch.zeros(1, 1, 4)),
    ("h0 layers", {"num_layers": 2}, torch.randn(5, 2, 3), torch.zeros(1, 2, 4)),
    ("h0 bidirectional", {"bidirectional": True}, torch.randn(5, 2, 3), torch.zeros(1, 2, 4)),
    ("batch_first h0 batch", {"batch_first": True}, torch.randn(2, 5, 3), torch.zeros(1, 5, 4)),
    ("dtype mismatch", {}, torch.randn(5, 2, 3, dtype=torch.float64), None),
    ("packed wrong width", {}, pack_sequence([torch.randn(3, 2)]), None),
]


@pytest.mark.parametrize("name,kwargs,x,hx", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_input_errors_match_torch(name, kwargs, x, hx):
    torch.manual_seed(0)
    ref = torch.nn.GRU(3, 4, **kwargs)
    ours = GRU.from_torch(ref)
    expected = _raised(lambda: ref(x, hx))
    assert expected is not None, name
    assert _raised(lambda: ours(x, hx)) == expected
