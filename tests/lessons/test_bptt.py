"""The hand-written backward pass of `lessons.bptt` equals autograd, δ by δ, on the same model.

References, float64: autograd through the engine's own forward loop (every layer and direction), and,
independent of our engine's forward code:

* an unrolled step-by-step LSTM written here with one tensor per gate (``retain_grad`` on every a_t, i_t,
  f_t, g_t, o_t, c_t, h_t), on top of torch.nn.LSTM for the layers below the top one;
* torch.nn.LSTMCell stepped by hand (its h_t is the tensor the next step consumes, so ∂L/∂h_t, ∂L/∂h_0 and
  ∂L/∂c_0 come straight from autograd; its returned c_t does not feed its own h_t, so δc is checked on the
  unrolled reference only);
* torch.nn.RNN fed one step per call for the plain RNN's δh chain.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons.bptt import LSTM_QUANTITIES, hand_backward, lstm_backward, plug_in, rnn_backward, unit_table
from lessons.gradients import lstm_gradflow, matched_rnn, rnn_gradflow, seeded_input, with_forget_bias
from lstm_core.cell import param_name
from lstm_core.lstm import LSTMConfig
from lstm_core.rnn import RNN
from lstm_core.trace import Clamp


def clamp_masks(clamps, layer: int, direction: int, T: int, hidden: int) -> dict:
    """gate -> (T, H) bool: where a what-if clamp forces that gate to a constant (its δa is 0 there)."""
    masks: dict = {}
    for cl in clamps:
        if cl.layer != layer or cl.direction != direction:
            continue
        mask = masks.setdefault(cl.gate, torch.zeros(T, hidden, dtype=torch.bool))
        steps = range(T) if cl.steps is None else [s for s in cl.steps if 0 <= s < T]
        units = range(hidden) if cl.units is None else cl.units
        for s in steps:
            for u in units:
                mask[s, u] = True
    return masks


TOL = 1e-10  # every comparison, relative to the reference's largest magnitude (at least 1)
D = torch.float64


def _gate(w: torch.Tensor, k: int, H: int) -> torch.Tensor:
    return w[k * H : (k + 1) * H]


def lower_layers_output(model, x, hx=None):
    """The input of the top layer, computed by torch.nn.LSTM from the weights (and initial states) of the
    layers below."""
    cfg = model.config
    if cfg.num_layers == 1:
        return x
    ref = torch.nn.LSTM(cfg.input_size, cfg.hidden_size, num_layers=cfg.num_layers - 1, bias=cfg.bias,
                        bidirectional=cfg.bidirectional, proj_size=cfg.proj_size, dtype=D)
    sd = model.state_dict()
    ref.load_state_dict({name: sd[name].to(D) for name in ref.state_dict()})
    below = cfg.num_directions * (cfg.num_layers - 1)
    state = None if hx is None else (hx[0][:below].to(D), hx[1][:below].to(D))
    with torch.no_grad():
        return ref(x, state)[0]


def unrolled_reference(model, x, hx=None, truncate=None, clamps=()):
    """Autograd gradients of L = Σ h_{T-1} (top layer, forward direction) w.r.t. every per-step quantity."""
    cfg = model.config
    H, top, B, T = cfg.hidden_size, cfg.num_layers - 1, x.size(1), x.size(0)
    p = {k: v.to(D) for k, v in model.state_dict().items()}
    w_ih, w_hh = p[param_name("weight_ih", top)], p[param_name("weight_hh", top)]
    w_hr = p.get(param_name("weight_hr", top))
    bias = (p[param_name("bias_ih", top)] + p[param_name("bias_hh", top)]) if cfg.bias else torch.zeros(4 * H, dtype=D)
    inp = lower_layers_output(model, x.to(D), hx).clone().requires_grad_(True)  # every a_t joins the graph
    idx = top * cfg.num_directions
    h0 = torch.zeros(B, cfg.h_out, dtype=D) if hx is None else hx[0][idx].to(D).clone()
    c0 = torch.zeros(B, H, dtype=D) if hx is None else hx[1][idx].to(D).clone()
    h0.requires_grad_(True)
    c0.requires_grad_(True)
    masks = clamp_masks(clamps, top, 0, T, H)
    values = {cl.gate: cl.value for cl in clamps if cl.layer == top and cl.direction == 0}
    keep = {name: [] for name in ("a", "i", "f", "g", "o", "c", "h", "h_full")}
    h, c = h0, c0
    for t in range(T):
        if truncate and t > 0 and t % truncate == 0:
            h, c = h.detach(), c.detach()
        acts = []
        for k, name in enumerate("ifgo"):
            a = inp[t] @ _gate(w_ih, k, H).T + h @ _gate(w_hh, k, H).T + _gate(bias, k, H)
            a.retain_grad()
            keep["a"].append(a)
            v = torch.tanh(a) if name == "g" else torch.sigmoid(a)
            if name in masks:
                v = torch.where(masks[name][t], torch.tensor(values[name], dtype=D), v)
            v.retain_grad()
            keep[name].append(v)
            acts.append(v)
        i, f, g, o = acts
        c = f * c + i * g
        h_full = o * torch.tanh(c)
        h = h_full if w_hr is None else h_full @ w_hr.T
        for name, v in (("c", c), ("h_full", h_full), ("h", h)):
            v.retain_grad()
            keep[name].append(v)
    h.sum().backward()

    def _grad(v):  # no gradient reached v (cut by truncation): zero
        return (v.grad if v.grad is not None else torch.zeros_like(v)).detach().numpy()

    def grads(name):
        return np.stack([_grad(v) for v in keep[name]])

    a = grads("a").reshape(T, 4, B, H).transpose(0, 2, 1, 3).reshape(T, B, 4 * H)
    out = {"dh": grads("h"), "dh_full": grads("h_full"), "dc": grads("c"), "do": grads("o"), "df": grads("f"),
           "di": grads("i"), "dg": grads("g"), "da": a, "dh0": _grad(h0), "dc0": _grad(c0)}
    out["carry"] = out["dc"] * np.stack([v.detach().numpy() for v in keep["f"]])
    return out


def lstmcell_reference(model, x, hx=None):
    """∂L/∂h_t, ∂L/∂h_{-1}, ∂L/∂c_{-1} from torch.nn.LSTMCell stepped by hand (top layer, forward)."""
    cfg = model.config
    top, B = cfg.num_layers - 1, x.size(1)
    cell = torch.nn.LSTMCell(cfg.layer_input_size(top), cfg.hidden_size, bias=cfg.bias, dtype=D)
    sd = model.state_dict()
    cell.load_state_dict({name: sd[param_name(name, top)].to(D) for name in cell.state_dict()})
    inp = lower_layers_output(model, x.to(D), hx)
    idx = top * cfg.num_directions
    h = (torch.zeros(B, cfg.hidden_size, dtype=D) if hx is None else hx[0][idx].to(D).clone()).requires_grad_(True)
    c = (torch.zeros(B, cfg.hidden_size, dtype=D) if hx is None else hx[1][idx].to(D).clone()).requires_grad_(True)
    h0, c0, hs = h, c, []
    for t in range(x.size(0)):
        h, c = cell(inp[t], (h, c))
        h.retain_grad()
        hs.append(h)
    h.sum().backward()
    return np.stack([v.grad.numpy() for v in hs]), h0.grad.numpy(), c0.grad.numpy()


def assert_close(ours, ref, what):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, what
    err = float(np.abs(ours - ref).max()) if ours.size else 0.0
    assert err <= TOL * max(1.0, float(np.abs(ref).max())), (what, err)


CONFIGS = [
    # (config kwargs, T, forget bias shift, seed)
    (dict(input_size=4, hidden_size=6), 60, 3.0, 0),  # the page's default
    (dict(input_size=4, hidden_size=6), 60, 0.0, 0),  # the random case
    (dict(input_size=3, hidden_size=5), 25, 1.0, 7),
    (dict(input_size=2, hidden_size=1), 12, 5.0, 3),
    (dict(input_size=5, hidden_size=9, bias=False), 30, 0.0, 2),
    (dict(input_size=3, hidden_size=4, num_layers=2), 20, 2.0, 1),
    (dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), 15, 0.5, 4),
    (dict(input_size=3, hidden_size=5, proj_size=2), 18, 1.5, 5),
    (dict(input_size=3, hidden_size=4, batch_first=True), 10, 1.0, 6),
]
IDS = ["default+3", "random", "h5-T25", "h1-T12", "nobias", "2layers", "bidir", "proj", "batch_first"]


def _model(kw, shift, seed):
    model = LSTMConfig(**kw).build(seed=seed)
    return with_forget_bias(model, shift) if shift else model


@pytest.mark.parametrize("kw,T,shift,seed", CONFIGS, ids=IDS)
def test_every_delta_equals_autograd(kw, T, shift, seed):
    model = _model(kw, shift, seed)
    x = seeded_input(T, model.config.input_size, seed, batch=2)
    bw = lstm_backward(model, x)
    ref = unrolled_reference(model, x)
    for name in ("dh", "dh_full", "dc", "do", "df", "di", "dg", "da", "carry", "dh0", "dc0"):
        assert_close(getattr(bw, name), ref[name], name)
    # and every number of the page's table and plugged-in line
    for t in (T - 1, T // 2, 0):
        table = unit_table(bw, t, b=1)
        assert list(table) == list(LSTM_QUANTITIES)
        dh = ref["dh_full"] if bw.dh.shape[-1] != bw.hidden_size else ref["dh"]
        want = {"dh": dh, "do": ref["do"], "dc": ref["dc"], "df": ref["df"], "di": ref["di"], "dg": ref["dg"],
                "carry": ref["carry"]}
        for name, values in table.items():
            assert_close(values, want[name][t, 1], f"table {name} t={t}")
        line = plug_in(bw, t, 0, b=1)
        assert_close(line["dc"], ref["dc"][t, 1, 0], "plug_in dc")
        assert_close(line["carry"], ref["carry"][t, 1, 0], "plug_in carry")
        if t >= 1:  # δc_{t-1} = δc_t ⊙ f_t + δh̃_{t-1} ⊙ o_{t-1} ⊙ (1 − tanh² c_{t-1}), as autograd has it
            assert_close(line["carry"] + line["prev_local"], ref["dc"][t - 1, 1, 0], "cell line")
            assert_close(line["prev_dc"], ref["dc"][t - 1, 1, 0], "prev dc")


@pytest.mark.parametrize("kw,T,shift,seed", [c for c in CONFIGS if not c[0].get("proj_size")],
                         ids=[i for i, c in zip(IDS, CONFIGS, strict=True) if not c[0].get("proj_size")])
def test_dh_and_initial_state_gradients_equal_torch_lstmcell(kw, T, shift, seed):
    model = _model(kw, shift, seed)
    cfg = model.config
    x = seeded_input(T, cfg.input_size, seed + 1, batch=3)
    g = torch.Generator().manual_seed(seed)
    ld = cfg.num_layers * cfg.num_directions
    hx = (torch.randn(ld, 3, cfg.h_out, generator=g), torch.randn(ld, 3, cfg.hidden_size, generator=g))
    bw = lstm_backward(model, x, hx)
    dh, dh0, dc0 = lstmcell_reference(model, x, hx)
    assert_close(bw.dh, dh, "dh")
    assert_close(bw.dh0, dh0, "dh0")
    assert_close(bw.dc0, dc0, "dc0")


@pytest.mark.parametrize("k", [1, 4, 7])
def test_truncated_backward_equals_autograd_with_detach(k):
    model = _model(dict(input_size=3, hidden_size=5), 2.0, 0)
    x = seeded_input(20, 3, 0)
    bw = lstm_backward(model, x, truncate=k)
    ref = unrolled_reference(model, x, truncate=k)
    for name in ("dh", "dc", "do", "df", "di", "dg", "da", "dh0", "dc0"):
        assert_close(getattr(bw, name), ref[name], name)
    cut = ((20 - 1) // k) * k
    assert np.all(bw.dc[:cut] == 0) and np.all(bw.dc[cut:] != 0)
    assert bw.cut_before(cut) == (cut > 0)


def test_clamped_gates_have_no_pre_activation_gradient():
    """The page's what-if "f = 1 everywhere", plus a partial clamp: δa is 0 exactly where a gate is forced."""
    model = _model(dict(input_size=3, hidden_size=4), 0.0, 2)
    clamps = [Clamp("f", 1.0), Clamp("i", 0.0, units=[1], steps=[3, 4])]
    x = seeded_input(16, 3, 2)
    bw = lstm_backward(model, x, clamps=clamps)
    ref = unrolled_reference(model, x, clamps=clamps)
    for name in ("dh", "dc", "do", "df", "di", "dg", "da", "carry"):
        assert_close(getattr(bw, name), ref[name], name)
    H = 4
    assert np.all(bw.da[..., H : 2 * H] == 0) and np.all(bw.f == 1.0)
    assert np.all(bw.da[[3, 4], :, 1] == 0) and np.all(bw.da[5, :, 1] != 0)
    assert np.all(bw.carry == bw.dc)  # f = 1: the cell path hands δc back unchanged
    assert not np.allclose(lstm_backward(model, x).dc, bw.dc)


def test_norms_equal_the_curves_of_the_page():
    """The stepped lesson and the curves above it (autograd through the engine) tell the same story."""
    cfg = LSTMConfig(4, 6)
    model, x = with_forget_bias(cfg.build(seed=0), 3.0), seeded_input(60, 4, 0)
    bw, flow = lstm_backward(model, x), lstm_gradflow(model, x)
    np.testing.assert_allclose(np.linalg.norm(bw.dh, axis=-1), flow.dL_dh, rtol=1e-10, atol=0)
    np.testing.assert_allclose(np.linalg.norm(bw.dc, axis=-1), flow.dL_dc, rtol=1e-10, atol=0)
    np.testing.assert_allclose(bw.f, flow.forget, rtol=0, atol=0)
    rnn = matched_rnn(cfg, 0)
    np.testing.assert_allclose(np.linalg.norm(rnn_backward(rnn, x).dh, axis=-1), rnn_gradflow(rnn, x).dL_dh,
                               rtol=1e-10, atol=0)


def torch_rnn_reference(rnn: RNN, x, h0=None, truncate=None):
    """∂L/∂h_t of the top layer from torch.nn.RNN fed one step per call (its h_n is what the next call uses)."""
    ref = rnn.to_torch().to(D)
    T, B = x.shape[:2]
    h = torch.zeros(rnn.num_layers, B, rnn.hidden_size, dtype=D) if h0 is None else h0.to(D).clone()
    h.requires_grad_(True)
    first, hs = h, []
    for t in range(T):
        if truncate and t > 0 and t % truncate == 0:
            h = h.detach()
        _, h = ref(x[t : t + 1].to(D), h)
        h.retain_grad()
        hs.append(h)
    h[-1].sum().backward()
    grads = [(v.grad if v.grad is not None else torch.zeros_like(v))[-1].numpy() for v in hs]
    return np.stack(grads), (first.grad if first.grad is not None else torch.zeros_like(first))[-1].numpy()


@pytest.mark.parametrize("n_in,H,L,T,seed,truncate", [(4, 6, 1, 60, 0, None), (3, 5, 1, 25, 7, None),
                                                   (2, 3, 2, 30, 1, None), (4, 6, 1, 40, 2, 9)])
def test_rnn_delta_chain_equals_torch_rnn(n_in, H, L, T, seed, truncate):
    rnn = matched_rnn(LSTMConfig(n_in, H, num_layers=L), seed)  # the page's RNN
    x = seeded_input(T, n_in, seed, batch=2)
    h0 = torch.randn(L, 2, H, generator=torch.Generator().manual_seed(seed))
    bw = rnn_backward(rnn, x, h0, truncate=truncate)
    dh, dh0 = torch_rnn_reference(rnn, x, h0, truncate)
    assert_close(bw.dh, dh, "rnn dh")
    if L == 1:
        assert_close(bw.dh0, dh0, "rnn dh0")
    # the chain itself: δh_{t-1} = W_hhᵀ (δh_t ⊙ (1 − h_t²))
    w = rnn.layer_params(L - 1)[1].detach().double().numpy()
    for t in range(1, T):
        if not (truncate and t % truncate == 0):
            assert_close(bw.dh[t - 1], (bw.dh[t] * (1 - bw.h[t] ** 2)) @ w, "chain")


def test_bad_arguments_are_clear_errors():
    model = LSTMConfig(2, 3).build(seed=0)
    x = seeded_input(5, 2, 0)
    bw = lstm_backward(model, x)
    with pytest.raises(ValueError, match="step"):
        unit_table(bw, 5)
    with pytest.raises(ValueError, match="unit"):
        plug_in(bw, 0, 3)
    with pytest.raises(ValueError, match="positive"):
        lstm_backward(model, x, truncate=0)
    with pytest.raises(ValueError, match="batched"):
        lstm_backward(model, x[:, 0])


@pytest.mark.parametrize("kw", [dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2),
                                dict(input_size=3, hidden_size=5, num_layers=3, batch_first=True)],
                         ids=["2layers-bidir-proj", "3layers-batch_first"])
def test_hand_backward_equals_autograd_through_the_engine_every_layer(kw):
    """The hand-written pass, layer by layer and direction by direction, against autograd on the engine's own
    forward loop: ∂L/∂x, ∂L/∂h_0, ∂L/∂c_0 of every layer-direction, and the weight gradients Σ_t δa_tᵀ x_t,
    Σ_t δa_tᵀ h_{t-1} built from the hand-written δa."""
    cfg = LSTMConfig(**kw)
    model = cfg.build(seed=3, dtype=D)
    x = seeded_input(8, cfg.input_size, 3, batch=2, dtype=D)  # time-major
    gen = torch.Generator().manual_seed(3)
    ld = cfg.num_layers * cfg.num_directions
    h0 = torch.randn(ld, 2, cfg.h_out, generator=gen, dtype=D, requires_grad=True)
    c0 = torch.randn(ld, 2, cfg.hidden_size, generator=gen, dtype=D, requires_grad=True)
    run = hand_backward(model, x, (h0, c0))
    xg = x.clone().requires_grad_(True)
    out, _ = model(xg.transpose(0, 1) if cfg.batch_first else xg, (h0, c0))
    out = out.transpose(0, 1) if cfg.batch_first else out  # (T, B, D·H_out)
    out[-1, :, : cfg.h_out].sum().backward()  # L = Σ h_{T-1}, top layer, forward direction
    assert_close(run.dx.numpy(), xg.grad.numpy(), "dx")
    assert len(run.grads) == ld
    for (layer, direction), g in run.grads.items():
        k = layer * cfg.num_directions + direction
        lt = run.trace[layer, direction]
        assert_close(g.dh0.numpy(), h0.grad[k].numpy(), f"dh0 {layer},{direction}")
        assert_close(g.dc0.numpy(), c0.grad[k].numpy(), f"dc0 {layer},{direction}")
        for kind, seen in (("weight_ih", lt.x), ("weight_hh", lt.h_prev)):
            weight = getattr(model, param_name(kind, layer, direction))
            assert_close(torch.einsum("tbk,tbj->kj", g.da, seen).numpy(), weight.grad.numpy(), kind)
    reached = {key for key, g in run.grads.items() if float(g.da.abs().max()) > 0}
    top = cfg.num_layers - 1  # the loss reads the top layer's forward direction only: its reverse gets nothing
    assert reached == set(run.grads) - {(top, 1)} and float(xg.grad.abs().max()) > 0


def test_the_lesson_is_the_hand_written_pass_not_autograd():
    """The page's numbers come from `layer_backward` (plain tensor arithmetic, no autograd graph)."""
    model = _model(dict(input_size=3, hidden_size=4, num_layers=2), 1.0, 0)
    x = seeded_input(9, 3, 0)
    run = hand_backward(model, x)
    assert all(not t.requires_grad for g in run.grads.values() for t in g)
    assert all(p.grad is None for p in model.parameters())
    bw = lstm_backward(model, x)
    assert np.array_equal(bw.dc, run.grads[1, 0].dc.numpy()) and np.array_equal(bw.da, run.grads[1, 0].da.numpy())
