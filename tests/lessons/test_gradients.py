"""Gradient-flow curves computed through our engines equal an independent computation: torch.nn.LSTM /
torch.nn.RNN (torch's own kernels) run one step per call with the same weights, differentiated by autograd.
Truncated BPTT zeroes exactly the steps before the last chunk and leaves the rest unchanged."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.gradients import (
    chunks,
    forget_product,
    lstm_gradflow,
    matched_rnn,
    rnn_gradflow,
    seeded_input,
    truncation_start,
    with_forget_bias,
)
from lstm_core.lstm import LSTMConfig, param_name
from lstm_core.trace import Clamp

TOL = 1e-9  # relative to the largest value of the curve (float64 both sides)


def _close(ours, ref, tol=TOL):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    scale = max(np.abs(ref).max(), 1e-300)
    assert np.abs(ours - ref).max() <= tol * scale, (ours, ref)
    # tiny values too: compare logs where both are clearly non-zero
    mask = (ref > 1e-280) & (ours > 1e-280)
    assert np.all(np.abs(np.log(ours[mask]) - np.log(ref[mask])) < 1e-6)
    assert np.array_equal(ours == 0, ref == 0)


def torch_lstm_reference(model, x, truncate=None, layer=None):
    """‖∂L/∂h_t‖, ‖∂L/∂c_t‖, ‖∂L/∂x_t‖ from torch's own LSTM kernel: one single-layer torch.nn.LSTM per layer,
    fed one step per call, so every h_t and c_t is a tensor autograd can see. The fused kernel hides the
    same-step path c_t -> h_t = o_t ⊙ tanh(c_t) (its c_n only feeds the next step), so that term of the
    total ∂L/∂c_t is added by hand: δc_t += (W_hr^T δh_t) ⊙ o_t ⊙ (1 - tanh² c_t), o_t from the weights."""
    cfg = model.config
    sd = {k: v.double() for k, v in model.state_dict().items()}
    top = cfg.num_layers - 1
    layer = top if layer is None else layer
    H = cfg.hidden_size
    cells = []
    for k in range(cfg.num_layers):
        m = torch.nn.LSTM(cfg.layer_input_size(k), H, proj_size=cfg.proj_size, bias=cfg.bias, dtype=torch.float64)
        m.load_state_dict({name: sd[param_name(name.split("_l0")[0], k)] for name in m.state_dict()})
        cells.append(m)
    T, B = x.shape[:2]
    xg = x.double().clone().requires_grad_(True)
    h = [torch.zeros(1, B, cfg.h_out, dtype=torch.float64) for _ in cells]
    c = [torch.zeros(1, B, H, dtype=torch.float64) for _ in cells]
    hs, cs, inputs, h_prev = ([[] for _ in cells] for _ in range(4))
    for t in range(T):
        inp = xg[t : t + 1]
        for k, m in enumerate(cells):
            if truncate and t > 0 and t % truncate == 0:
                h[k], c[k] = h[k].detach(), c[k].detach()
            inputs[k].append(inp.detach())
            h_prev[k].append(h[k].detach())
            _, (h[k], c[k]) = m(inp, (h[k], c[k]))
            hs[k].append(h[k])
            cs[k].append(c[k])
            inp = h[k]
    loss = hs[top][-1].sum()
    g = torch.autograd.grad(loss, hs[layer] + cs[layer] + [xg], allow_unused=True, materialize_grads=True)
    dh, dc_next = torch.stack(g[:T])[:, 0], torch.stack(g[T : 2 * T])[:, 0]  # (T, B, .)
    w_io, w_ho = sd[param_name("weight_ih", layer)][3 * H :], sd[param_name("weight_hh", layer)][3 * H :]
    pre_o = torch.cat(inputs[layer])[:, :] @ w_io.T + torch.cat(h_prev[layer]) @ w_ho.T
    if cfg.bias:
        pre_o = pre_o + sd[param_name("bias_ih", layer)][3 * H :] + sd[param_name("bias_hh", layer)][3 * H :]
    o = torch.sigmoid(pre_o)
    c_all = torch.cat([ci.detach() for ci in cs[layer]])
    dh_full = dh @ sd[param_name("weight_hr", layer)] if cfg.proj_size else dh
    dc = dc_next + dh_full * o * (1 - torch.tanh(c_all) ** 2)
    return dh.norm(dim=-1).numpy(), dc.norm(dim=-1).numpy(), g[-1].norm(dim=-1).numpy()


def torch_rnn_reference(model, x, truncate=None):
    ref = model.to_torch().double()
    T, B = x.shape[:2]
    xg = x.double().clone().requires_grad_(True)
    h = torch.zeros(model.num_layers, B, model.hidden_size, dtype=torch.float64)
    hs = []
    for t in range(T):
        if truncate and t > 0 and t % truncate == 0:
            h = h.detach()
        _, h = ref(xg[t : t + 1], h)
        hs.append(h)
    g = torch.autograd.grad(hs[-1][-1].sum(), hs + [xg], allow_unused=True, materialize_grads=True)
    return torch.stack(g[:T])[:, -1].norm(dim=-1).numpy(), g[-1].norm(dim=-1).numpy()


@settings(max_examples=12, deadline=None)
@given(
    n_in=st.integers(1, 5), H=st.integers(1, 7), L=st.integers(1, 3), T=st.integers(1, 25), B=st.integers(1, 3),
    proj=st.integers(0, 3), truncate=st.sampled_from([None, 1, 3, 7]), shift=st.sampled_from([0.0, 2.0]),
    seed=st.integers(0, 1000),
)
def test_lstm_curves_equal_torch_nn_lstm(n_in, H, L, T, B, proj, truncate, shift, seed):
    proj = proj if proj < H else 0
    cfg = LSTMConfig(n_in, H, num_layers=L, proj_size=proj)
    model = with_forget_bias(cfg.build(seed=seed), shift)
    x = seeded_input(T, n_in, seed, batch=B)
    ours = lstm_gradflow(model, x, truncate=truncate)
    dh, dc, dx = torch_lstm_reference(model, x, truncate=truncate)
    _close(ours.dL_dh, dh)
    _close(ours.dL_dc, dc)
    _close(ours.dL_dx, dx)
    assert ours.dL_dh.shape == (T, B)


def test_lower_layer_curves_equal_torch():
    cfg = LSTMConfig(3, 5, num_layers=3)
    model = cfg.build(seed=4)
    x = seeded_input(12, 3, 4, batch=2)
    for layer in range(3):
        ours = lstm_gradflow(model, x, layer=layer)
        dh, dc, _ = torch_lstm_reference(model, x, layer=layer)
        _close(ours.dL_dh, dh)
        _close(ours.dL_dc, dc)


def test_forget_gates_and_their_product_come_from_the_trace():
    from lstm_core.trace import trace

    cfg = LSTMConfig(3, 4)
    model = cfg.build(seed=1).double()
    x = seeded_input(9, 3, 1, dtype=torch.float64)
    flow = lstm_gradflow(model, x)
    f = trace(model, x)[0, 0].f.numpy()
    assert np.allclose(flow.forget, f, atol=1e-14, rtol=0)
    for t in range(9):  # P_t = f_{t+1} * ... * f_{T-1}
        expected = np.prod(f[t + 1 :], axis=0) if t < 8 else np.ones_like(f[0])
        assert np.allclose(flow.forget_product[t], expected, rtol=1e-12, atol=0)


def test_forget_product_of_constant_gates():
    f = np.full((5, 1, 2), 0.5)
    p = forget_product(f)
    assert np.allclose(p[:, 0, 0], [0.0625, 0.125, 0.25, 0.5, 1.0])


@settings(max_examples=10, deadline=None)
@given(n_in=st.integers(1, 5), H=st.integers(1, 8), L=st.integers(1, 3), T=st.integers(1, 30),
       B=st.integers(1, 3), truncate=st.sampled_from([None, 1, 4, 9]), seed=st.integers(0, 1000))
def test_rnn_curves_equal_torch_nn_rnn(n_in, H, L, T, B, truncate, seed):
    cfg = LSTMConfig(n_in, H, num_layers=L)
    rnn = matched_rnn(cfg, seed)
    x = seeded_input(T, n_in, seed, batch=B)
    ours = rnn_gradflow(rnn, x, truncate=truncate)
    dh, dx = torch_rnn_reference(rnn, x, truncate=truncate)
    _close(ours.dL_dh, dh)
    _close(ours.dL_dx, dx)
    assert ours.dL_dc is None and ours.forget_product is None


def test_matched_rnn_is_nn_rnn_from_the_same_seed_and_leaves_global_rng_alone():
    cfg = LSTMConfig(3, 6, num_layers=2)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    rnn = matched_rnn(cfg, seed=7)
    after = torch.rand(1)
    assert torch.equal(before, after)
    torch.manual_seed(7)
    ref = torch.nn.RNN(3, 6, num_layers=2)
    assert all(torch.equal(rnn.state_dict()[k], v) for k, v in ref.state_dict().items())


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
@pytest.mark.parametrize("T,k", [(20, 6), (20, 5), (7, 1), (12, 30)])
def test_truncation_zeroes_exactly_before_the_last_chunk(kind, T, k):
    cfg = LSTMConfig(2, 5, num_layers=2)
    x = seeded_input(T, 2, 3, batch=2)
    if kind == "lstm":
        model = with_forget_bias(cfg.build(seed=3), 1.0)
        full, cut = lstm_gradflow(model, x), lstm_gradflow(model, x, truncate=k)
    else:
        model = matched_rnn(cfg, 3)
        full, cut = rnn_gradflow(model, x), rnn_gradflow(model, x, truncate=k)
    s = truncation_start(T, k)
    assert cut.cut == s == max(a for a, _ in chunks(T, k))
    np.testing.assert_allclose(cut.loss, full.loss, rtol=0, atol=1e-12)  # forward untouched (to rounding)
    for name in ("dL_dh", "dL_dx") + (("dL_dc",) if kind == "lstm" else ()):
        a, b = getattr(cut, name), getattr(full, name)
        assert np.all(a[:s] == 0), name  # nothing crosses the cut
        assert np.all(b[:s] > 0), name  # ... although the full gradient is there
        assert np.allclose(a[s:], b[s:], rtol=1e-12, atol=0), name  # inside the last chunk: unchanged


def test_larger_forget_bias_carries_more_gradient_back():
    cfg = LSTMConfig(4, 8)
    model = cfg.build(seed=0)
    x = seeded_input(80, 4, 0)
    plain = lstm_gradflow(model, x)
    shifted = lstm_gradflow(with_forget_bias(model, 3.0), x)
    assert shifted.dL_dc[0, 0] > 1e6 * plain.dL_dc[0, 0]
    assert shifted.forget.mean() > plain.forget.mean() + 0.3


def test_with_forget_bias_touches_only_the_f_slice_of_bias_hh():
    cfg = LSTMConfig(3, 4, num_layers=2, bidirectional=True)
    model = cfg.build(seed=2)
    shifted = with_forget_bias(model, 1.5)
    for name, p in model.state_dict().items():
        q = shifted.state_dict()[name]
        if name.startswith("bias_hh"):
            assert torch.allclose(q[4:8] - p[4:8], torch.full((4,), 1.5))
            assert torch.equal(torch.cat([q[:4], q[8:]]), torch.cat([p[:4], p[8:]]))
        else:
            assert torch.equal(p, q), name
    with pytest.raises(ValueError):
        with_forget_bias(LSTMConfig(3, 4, bias=False).build(seed=0), 1.0)


def test_batch_first_model_gives_the_same_curves():
    a = LSTMConfig(3, 4).build(seed=5)
    b = LSTMConfig(3, 4, batch_first=True).build(seed=5)
    x = seeded_input(10, 3, 5, batch=2)
    fa, fb = lstm_gradflow(a, x), lstm_gradflow(b, x)
    assert np.array_equal(fa.dL_dh, fb.dL_dh) and np.array_equal(fa.dL_dx, fb.dL_dx)


def test_bidirectional_measures_the_forward_direction():
    """L = Σ of the forward half of output at the last step; ∂L/∂x checked against torch on the whole
    sequence, ∂L/∂h_t against a unidirectional nn.LSTM holding the forward weights."""
    cfg = LSTMConfig(3, 4, bidirectional=True)
    model = cfg.build(seed=6)
    x = seeded_input(11, 3, 6, batch=2)
    flow = lstm_gradflow(model, x)
    ref = model.to_torch().double()
    xg = x.double().clone().requires_grad_(True)
    out, _ = ref(xg)
    (gx,) = torch.autograd.grad(out[-1, :, :4].sum(), [xg])
    _close(flow.dL_dx, gx.norm(dim=-1).numpy())
    uni = LSTMConfig(3, 4).build(seed=0)
    uni.load_state_dict({k: v for k, v in model.state_dict().items() if not k.endswith("_reverse")})
    dh, dc, dx = torch_lstm_reference(uni, x)
    _close(flow.dL_dh, dh)
    _close(flow.dL_dc, dc)
    with pytest.raises(ValueError):
        lstm_gradflow(model, x, truncate=3)


def test_clamps_reach_the_gradient_run_including_truncated_chunks():
    cfg = LSTMConfig(2, 3)
    model = cfg.build(seed=8)
    x = seeded_input(15, 2, 8)
    clamps = [Clamp("f", 1.0, units=[1], steps=[4, 5, 11, 12])]
    for k in (None, 5):
        flow = lstm_gradflow(model, x, truncate=k, clamps=clamps)
        assert np.all(flow.forget[[4, 5, 11, 12], 0, 1] == 1.0)
        assert np.all(flow.forget[[3, 6, 10, 13], 0, 1] != 1.0)
    # with f = 1 on every step of a unit, ∏f is exactly 1 for that unit
    flow = lstm_gradflow(model, x, clamps=[Clamp("f", 1.0, units=[0])])
    assert np.all(flow.forget_product[:, 0, 0] == 1.0)


def test_bad_arguments_are_refused():
    model = LSTMConfig(2, 3, num_layers=2).build(seed=0)
    x = seeded_input(5, 2, 0)
    with pytest.raises(ValueError):
        lstm_gradflow(model, x, layer=2)
    with pytest.raises(ValueError):
        lstm_gradflow(model, x[:, 0])  # 2-D
    with pytest.raises(ValueError):
        lstm_gradflow(model, x, truncate=0)
    with pytest.raises(ValueError):
        rnn_gradflow(matched_rnn(model.config, 0), x, layer=-1)


def test_initial_state_is_used():
    cfg = LSTMConfig(3, 4, num_layers=2)
    model = cfg.build(seed=9)
    x = seeded_input(8, 3, 9, batch=2)
    g = torch.Generator().manual_seed(0)
    h0 = torch.randn(2, 2, 4, generator=g)
    c0 = torch.randn(2, 2, 4, generator=g)
    flow = lstm_gradflow(model, x, (h0, c0))
    ref = model.to_torch().double()
    xg = x.double().requires_grad_(True)
    out, _ = ref(xg, (h0.double(), c0.double()))
    (gx,) = torch.autograd.grad(out[-1].sum(), [xg])
    assert np.allclose(flow.loss, out[-1].sum(-1).detach().numpy(), rtol=1e-12, atol=0)
    _close(flow.dL_dx, gx.norm(dim=-1).numpy())
    rnn = matched_rnn(cfg, 9)
    rflow = rnn_gradflow(rnn, x, h0)
    rout, _ = rnn.to_torch().double()(x.double(), h0.double())
    assert np.allclose(rflow.loss, rout[-1].sum(-1).detach().numpy(), rtol=1e-12, atol=0)
    assert not np.allclose(rflow.loss, rnn_gradflow(rnn, x).loss)
