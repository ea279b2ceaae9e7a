"""Our from-scratch vanilla RNN against torch.nn.RNN: same weights from the same seed, same forward,
same gradients, same validation errors."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_core.rnn import RNN, rnn_cell_step


def _pair(seed, *args, dtype=torch.float64, **kw):
    torch.manual_seed(seed)
    ours = RNN(*args, dtype=dtype, **kw)
    torch.manual_seed(seed)
    ref = torch.nn.RNN(*args, dtype=dtype, **kw)
    return ours, ref


def test_same_seed_gives_same_weights_names_and_order():
    ours, ref = _pair(3, 5, 7, num_layers=2)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for (n, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        assert p.shape == q.shape, n
        assert torch.equal(p, q), n
    bound = 1 / 7 ** 0.5
    assert all(p.abs().max() <= bound for p in ours.parameters())


def test_no_bias_has_no_bias_parameters():
    ours, ref = _pair(0, 3, 4, bias=False)
    assert set(ours.state_dict()) == set(ref.state_dict()) == {"weight_ih_l0", "weight_hh_l0"}


@settings(max_examples=25, deadline=None)
@given(
    n_in=st.integers(1, 6), H=st.integers(1, 8), L=st.integers(1, 3),
    T=st.integers(1, 9), B=st.integers(1, 3),
    bias=st.booleans(), batch_first=st.booleans(), with_hx=st.booleans(), unbatched=st.booleans(),
    nonlin=st.sampled_from(["tanh", "relu"]), seed=st.integers(0, 10_000),
)
def test_forward_and_gradients_match_torch(
    n_in, H, L, T, B, bias, batch_first, with_hx, unbatched, nonlin, seed
):
    ours, ref = _pair(seed, n_in, H, num_layers=L, nonlinearity=nonlin, bias=bias, batch_first=batch_first)
    g = torch.Generator().manual_seed(seed + 1)
    if unbatched:
        x = torch.randn(T, n_in, generator=g, dtype=torch.float64)
        hx = torch.randn(L, H, generator=g, dtype=torch.float64) if with_hx else None
    else:
        shape = (B, T, n_in) if batch_first else (T, B, n_in)
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        hx = torch.randn(L, B, H, generator=g, dtype=torch.float64) if with_hx else None

    def run(model):
        xi = x.clone().requires_grad_(True)
        hi = hx.clone().requires_grad_(True) if hx is not None else None
        out, h_n = model(xi, hi)
        w_out = torch.linspace(-1, 1, out.numel(), dtype=torch.float64).reshape(out.shape)
        w_hn = torch.linspace(1, -2, h_n.numel(), dtype=torch.float64).reshape(h_n.shape)
        loss = (out * w_out).sum() + (h_n * w_hn).sum()
        params = list(model.parameters())
        grads = torch.autograd.grad(loss, [xi] + ([hi] if hi is not None else []) + params)
        return out, h_n, grads

    o1, h1, g1 = run(ours)
    o2, h2, g2 = run(ref)
    assert o1.shape == o2.shape and h1.shape == h2.shape
    assert (o1 - o2).abs().max() <= 1e-10
    assert (h1 - h2).abs().max() <= 1e-10
    for a, b in zip(g1, g2, strict=True):
        assert a.shape == b.shape
        assert (a - b).abs().max() <= 1e-10


def test_float32_parity():
    ours, ref = _pair(11, 4, 16, num_layers=2, dtype=torch.float32)
    x = torch.randn(30, 2, 4)
    o1, h1 = ours(x)
    o2, h2 = ref(x)
    assert (o1 - o2).abs().max() <= 1e-5 and (h1 - h2).abs().max() <= 1e-5


def test_cell_step_is_the_equation():
    torch.manual_seed(0)
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 4, dtype=torch.float64)
    cell = torch.nn.RNNCell(3, 4, dtype=torch.float64)
    step = rnn_cell_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    assert torch.allclose(step.h, cell(x, h), atol=1e-12, rtol=0)
    assert torch.allclose(step.h, torch.tanh(step.pre), atol=0, rtol=0)


def test_unroll_keeps_live_per_step_states_and_truncation_keeps_values():
    model, _ = _pair(2, 3, 5)
    x = torch.randn(10, 1, 3, dtype=torch.float64)
    h0 = torch.zeros(1, 1, 5, dtype=torch.float64)
    full = model.unroll(x, h0)
    cut = model.unroll(x, h0, truncate=4)
    assert torch.equal(full.output, cut.output)  # truncation never changes forward values
    for h in full.h[0]:
        h.retain_grad()
    full.h[0][-1].sum().backward()
    assert all(h.grad is not None for h in full.h[0])
    assert full.h[0][0].grad.abs().sum() > 0  # the gradient really reaches step 0 through the chain
    with pytest.raises(ValueError):
        model.unroll(x, h0, truncate=0)


def test_state_dict_round_trip_and_converters():
    torch.manual_seed(5)
    ref = torch.nn.RNN(3, 4, num_layers=2, batch_first=True)
    ours = RNN.from_torch(ref)
    back = ours.to_torch()
    x = torch.randn(2, 6, 3)
    assert torch.allclose(ours(x)[0], ref(x)[0], atol=1e-6)
    assert all(torch.equal(back.state_dict()[k], ref.state_dict()[k]) for k in ref.state_dict())


@pytest.mark.parametrize("kwargs", [
    dict(input_size=3, hidden_size=0),
    dict(input_size=0, hidden_size=3),
    dict(input_size=3, hidden_size=3, num_layers=0),
    dict(input_size=3, hidden_size=3, nonlinearity="sigmoid"),
    dict(input_size=3, hidden_size=3, bias=1),
    dict(input_size=3.0, hidden_size=3),
])
def test_constructor_errors_match_torch(kwargs):
    with pytest.raises(Exception) as ref_err:
        torch.nn.RNN(**kwargs)
    with pytest.raises(type(ref_err.value)) as our_err:
        RNN(**kwargs)
    assert str(our_err.value) == str(ref_err.value)


@pytest.mark.parametrize("make", [
    lambda: (torch.randn(4), None),  # 1-D input
    lambda: (torch.randn(5, 2, 9), None),  # wrong feature size
    lambda: (torch.randn(5, 2, 3), torch.randn(1, 3, 4)),  # wrong batch in hx
    lambda: (torch.randn(5, 2, 3), torch.randn(2, 4)),  # 2-D hx with 3-D input
    lambda: (torch.randn(5, 3), torch.randn(1, 1, 4)),  # 3-D hx with 2-D input
])
def test_input_errors_match_torch(make):
    torch.manual_seed(0)
    x, hx = make()
    ours, ref = _pair(0, 3, 4, dtype=torch.float32)
    with pytest.raises(Exception) as ref_err:
        ref(x, hx)
    with pytest.raises(type(ref_err.value)) as our_err:
        ours(x, hx)
    assert str(our_err.value) == str(ref_err.value)
