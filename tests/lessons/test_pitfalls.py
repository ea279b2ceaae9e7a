"""Every pitfall demonstration recomputed independently: with our engine (lstm_core.LSTM / trace) in float64,
or from the shape formulas and torch's message formats — never by calling the demo code again."""

from __future__ import annotations

import random
import warnings
from dataclasses import replace

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lessons import facts, pitfalls
from lstm_core import LSTMConfig, trace

TOL = 1e-9  # engine (float64) vs torch.nn.LSTM (float64): both exact up to rounding

CONFIGS = [
    # (config, batch, steps)
    (LSTMConfig(input_size=3, hidden_size=5), 2, 4),
    (LSTMConfig(input_size=4, hidden_size=6, num_layers=2, bidirectional=True, batch_first=True, proj_size=3,
                dropout=0.3), 3, 5),
    (LSTMConfig(input_size=2, hidden_size=4, num_layers=3, bias=False, batch_first=True), 1, 1),
]
IDS = ["default", "bi-2layer-bf-proj", "3layer-nobias-B1-T1"]


def engine(cfg, seed=0):
    """Our engine with the (float32) weights cfg.build(seed) gives — as the app's model — computing in float64."""
    return cfg.build(seed=seed, dtype=torch.float32).double().eval()


def data(b, t, i, seed=1):
    return torch.randn(b, t, i, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def fwd(model, x_bm):
    """Engine forward on batch-major x, in the model's layout; output returned batch-major."""
    bf = model.config.batch_first
    out, (h, c) = model(x_bm if bf else x_bm.transpose(0, 1))
    return (out if bf else out.transpose(0, 1)), h, c


@pytest.fixture(autouse=True)
def _no_grad():
    with torch.no_grad():
        yield


@pytest.fixture(params=list(range(len(CONFIGS))), ids=IDS)
def case(request):
    cfg, b, t = CONFIGS[request.param]
    model = engine(cfg)
    return cfg, model, data(b, t, cfg.input_size)


def test_batch_first_state(case):
    cfg, model, x = case
    demo = pitfalls.batch_first_state(cfg, model.state_dict(), x)
    b, t, _ = x.shape
    rows, w = cfg.num_layers * cfg.num_directions, cfg.h_out
    assert demo.changes == ({} if cfg.batch_first else {"batch_first": True})
    v = demo.values
    assert v["input_shape"] == (b, t, cfg.input_size)
    assert v["output_shape"] == (b, t, cfg.num_directions * w)
    assert v["h_n_shape"] == (rows, b, w) and v["c_n_shape"] == (rows, b, cfg.hidden_size)
    assert v["h_n_0_shape"] == (b, w) and v["h_n_t_shape"] == (b, rows, w)
    # our engine with batch_first=True: same weights, same shapes, top forward state == output[:, -1, :H_out]
    eng = engine(replace(cfg, batch_first=True))
    out, h, _ = fwd(eng, x)
    assert tuple(out.shape) == v["output_shape"] and tuple(h.shape) == v["h_n_shape"]
    assert (h[(cfg.num_layers - 1) * cfg.num_directions] - out[:, -1, :w]).abs().max() < TOL
    assert v["delta_last"] < TOL


def test_bidir_last_against_engine_trace(case):
    cfg, model, x = case
    demo = pitfalls.bidir_last(cfg, model.state_dict(), x)
    v = demo.values
    expected_changes = {} if cfg.bidirectional else {"bidirectional": True}
    if x.shape[1] < 2:
        expected_changes["seq_len"] = 2
    assert demo.changes == expected_changes
    c = replace(cfg, bidirectional=True)
    eng = engine(c)  # the current weights, or (new shapes) those torch.manual_seed(0) gives, as the demo says
    xg, _ = facts.grow(x, 1, 2, 0)  # the demo's documented growth of a 1-step input
    tr = trace(eng, xg if c.batch_first else xg.transpose(0, 1))
    top = tr[c.num_layers - 1, 1]  # backward direction, time-major, real time order
    t_last = xg.shape[1] - 1
    # backward final state lives at t = 0; at the last step it has made one step
    assert abs(v["delta_wrong"] - float((top.h[0] - top.h[t_last]).abs().max())) < 1e-9
    assert v["delta_wrong"] > 1e-4
    assert v["delta_right"] < TOL and v["delta_fwd"] < TOL
    assert v["right_values"] == pytest.approx([round(float(a), 4) for a in top.h[0, 0, :4]], abs=1e-4)
    hh = c.h_out
    if c.batch_first:
        assert v["wrong_expr"] == f"output[:, -1, {hh}:]" and v["right_expr"] == f"output[:, 0, {hh}:]"
    else:
        assert v["wrong_expr"] == f"output[-1, :, {hh}:]" and v["right_expr"] == f"output[0, :, {hh}:]"


def test_layer_major_rows_match_engine_trace(case):
    cfg, model, x = case
    demo = pitfalls.layer_major(cfg, model.state_dict(), x)
    c = replace(cfg, num_layers=max(2, cfg.num_layers), bidirectional=True)
    eng = engine(c)
    tr = trace(eng, x if c.batch_first else x.transpose(0, 1))
    t_last = x.shape[1] - 1
    v = demo.values
    d = c.num_directions
    assert v["L"] == c.num_layers and v["D"] == 2
    assert [(r["layer"], r["direction"]) for r in v["rows"]] == [divmod(r, d) for r in range(c.num_layers * d)]
    assert all(r["delta"] < TOL for r in v["rows"])
    finals = {(lay, dd): tr[lay, dd].h[t_last if dd == 0 else 0] for lay in range(c.num_layers) for dd in (0, 1)}
    for (lay, dd), f in finals.items():
        assert (tr.h_n[lay * d + dd] - f).abs().max() < TOL
    bad = tr.h_n.view(d, c.num_layers, *tr.h_n.shape[1:])
    worst = max(float((bad[dd, lay] - f).abs().max()) for (lay, dd), f in finals.items())
    assert abs(v["delta_bad"] - worst) < 1e-9 and worst > 1e-4
    assert v["delta_good"] < TOL
    assert v["h_n_0_shape"] == (x.shape[0], c.h_out)


def test_padding_against_engine(case):
    cfg, model, x = case
    demo = pitfalls.padding(cfg, model.state_dict(), x)
    v = demo.values
    x, changes = facts.grow(x, 2, 2, 0)  # the demo's documented growth to B, T >= 2
    lens = [max(1, x.shape[1] - k) for k in range(x.shape[0])]
    assert v["lengths"] == lens and demo.changes == changes
    xp = x.clone()
    for k, n in enumerate(lens):
        xp[k, n:] = 0
    _, h_pad, _ = fwd(model, xp)
    _, (h_pack, _) = model(pack_padded_sequence(xp, lens, batch_first=True, enforce_sorted=False))
    for s in v["per_seq"]:
        k = s["seq"]
        assert abs(s["delta_padded"] - float((h_pad[:, k] - h_pack[:, k]).abs().max())) < 1e-9
        assert s["delta_packed_alone"] < TOL
        if lens[k] == x.shape[1]:
            assert s["delta_padded"] < TOL  # the longest sequence has no padding
        else:
            assert s["delta_padded"] > 1e-6


def test_user_lengths_are_used():
    cfg = LSTMConfig(3, 4)
    x = data(3, 6, 3)
    demo = pitfalls.padding(cfg, engine(cfg).state_dict(), x, lengths=[6, 2, 4])
    assert demo.values["lengths"] == [6, 2, 4]
    assert [s["delta_padded"] > 1e-6 for s in demo.values["per_seq"]] == [False, True, True]


def test_dropout(case):
    cfg, model, x = case
    demo = pitfalls.dropout(cfg, model.state_dict(), x)
    v = demo.values
    p = cfg.dropout if cfg.dropout > 0 else 0.5
    assert v["p"] == p
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.LSTM(cfg.input_size, cfg.hidden_size, dropout=p)
    assert v["warning"] == str(caught[0].message)
    assert v["delta_one_train"] == 0 and v["delta_one_vs_nodrop"] < TOL
    assert v["delta_eval"] == 0 and v["delta_eval_vs_nodrop"] < TOL
    assert v["delta_train"] > 0 and v["delta_train_vs_eval"] > 0
    # the same facts with our engine
    deep = engine(replace(cfg, num_layers=max(2, cfg.num_layers), dropout=p)).train()
    o1, _, _ = fwd(deep, x)
    o2, _, _ = fwd(deep, x)
    assert (o1 - o2).abs().max() > 0
    deep.eval()
    assert torch.equal(fwd(deep, x)[0], fwd(deep, x)[0])
    one = engine(replace(cfg, num_layers=1, dropout=p)).train()
    assert torch.equal(fwd(one, x)[0], fwd(one, x)[0])


def test_hidden_batch_message(case):
    cfg, model, x = case
    demo = pitfalls.hidden_batch(cfg, model.state_dict(), x, engine_model=model)
    v = demo.values
    b, rows, w = x.shape[0], cfg.num_layers * cfg.num_directions, cfg.h_out
    assert v["message"] == f"Expected hidden[0] size ({rows}, {b}, {w}), got [{rows}, {b + 1}, {w}]"
    assert v["engine_message"] == v["message"] and v["engine_agrees"]
    if b != rows:
        assert v["bf_message"] == f"Expected hidden[0] size ({rows}, {b}, {w}), got [{b}, {rows}, {w}]"
    else:
        assert v["bf_message"] is None
    assert v["ok_output_shape"] == ((b, x.shape[1], cfg.num_directions * w) if cfg.batch_first
                                    else (x.shape[1], b, cfg.num_directions * w))


def test_batch_first_missing(case):
    cfg, model, x = case
    demo = pitfalls.batch_first_missing(cfg, model.state_dict(), x)
    v = demo.values
    x, changes = facts.grow(x, 2, 1, 0)
    assert demo.changes == {**({"batch_first": False} if cfg.batch_first else {}), **changes}
    c = replace(cfg, batch_first=False)
    eng = engine(c)
    assert v["ran"] and v["error"] is None
    wrong, _ = eng(x)  # batch-major data into a time-major model
    right, _ = eng(x.transpose(0, 1))
    x2 = x.clone()
    x2[0] += 1.0
    wrong2, _ = eng(x2)
    right2, _ = eng(x2.transpose(0, 1))
    assert v["seen_T"] == x.shape[0] and v["seen_B"] == x.shape[1]
    assert abs(v["delta_wrong_sample1"] - float((wrong[1] - wrong2[1]).abs().max())) < 1e-9
    assert v["delta_wrong_sample1"] > 1e-6
    assert v["delta_right_sample1"] < TOL and float((right[:, 1] - right2[:, 1]).abs().max()) == 0
    assert abs(v["delta_sample0"] - float((wrong[0] - right[:, 0]).abs().max())) < 1e-9


def test_two_bias(case):
    cfg, model, x = case
    demo = pitfalls.two_bias(cfg, model.state_dict(), x)
    v = demo.values
    c = replace(cfg, bias=True)
    h = c.hidden_size
    assert demo.changes == ({} if cfg.bias else {"bias": True})
    assert v["names"] == ["bias_ih_l0", "bias_hh_l0"] and v["bias_shape"] == (4 * h,)
    assert v["count_bias"] == 2 * 4 * h * c.num_layers * c.num_directions
    assert v["redundant"] == v["count_bias"] // 2
    assert v["total_params"] == sum(p.numel() for p in engine(c).parameters())
    assert v["delta_merged"] < TOL and v["delta_shifted"] < TOL
    # independently: our engine with b_ih + b_hh moved into b_ih gives the same output
    eng = engine(c)
    sd = eng.state_dict()
    merged = {k: (sd[k] + sd[k.replace("bias_ih", "bias_hh")]) if k.startswith("bias_ih")
              else torch.zeros_like(sd[k]) if k.startswith("bias_hh") else sd[k] for k in sd}
    eng2 = engine(c)
    eng2.load_state_dict(merged)
    assert (fwd(eng, x)[0] - fwd(eng2, x)[0]).abs().max() < TOL


def test_proj(case):
    cfg, model, x = case
    demo = pitfalls.proj(cfg, model.state_dict(), x)
    v = demo.values
    p = cfg.proj_size or cfg.hidden_size // 2
    assert demo.changes == ({} if cfg.proj_size else {"proj_size": p})
    b, rows, h = x.shape[0], cfg.num_layers * cfg.num_directions, cfg.hidden_size
    assert (v["P"], v["H"]) == (p, h)
    assert v["h_n_shape"] == (rows, b, p) and v["c_n_shape"] == (rows, b, h)
    assert v["output_shape"][-1] == cfg.num_directions * p
    assert v["weight_hr_shape"] == (p, h) and v["weight_hh_shape"] == (4 * h, p)
    assert v["message"] == f"Expected hidden[1] size ({rows}, {b}, {h}), got [{rows}, {b}, {p}]"
    eng = engine(replace(cfg, proj_size=p))
    out, hn, cn = fwd(eng, x)
    assert tuple(hn.shape) == v["h_n_shape"] and tuple(cn.shape) == v["c_n_shape"]


def test_unbatched(case):
    cfg, model, x = case
    demo = pitfalls.unbatched(cfg, model.state_dict(), x, engine_model=model)
    v = demo.values
    t, rows = x.shape[1], cfg.num_layers * cfg.num_directions
    assert v["input_shape"] == (t, cfg.input_size)
    assert v["output_shape"] == (t, cfg.num_directions * cfg.h_out)
    assert v["h_n_shape"] == (rows, cfg.h_out) and v["c_n_shape"] == (rows, cfg.hidden_size)
    assert v["delta_vs_batched"] < TOL
    assert v["message"] == "For unbatched 2-D input, hx and cx should also be 2-D but got (3-D, 3-D) tensors"
    assert v["engine_agrees"]
    out, (hn, _) = model(x[0])  # our engine on the 2-D input
    assert tuple(out.shape) == v["output_shape"] and tuple(hn.shape) == v["h_n_shape"]


def test_claims(case):
    cfg, model, x = case
    a = pitfalls.claim_batch_first_default(cfg, model.state_dict(), x).values
    assert a["torch_default"] is False and a["engine_default"] is False
    b = pitfalls.claim_hn_rows(cfg, model.state_dict(), x).values
    assert b["rows"][0]["layer"] == 0 and b["rows"][0]["direction"] == 0
    assert b["rows"][1]["layer"] == 0 and b["rows"][1]["direction"] == 1  # not "layer 1 forward"
    c = pitfalls.claim_bidir_last(cfg, model.state_dict(), x).values
    assert c["delta_one_token"] < TOL and c["delta_wrong"] > 1e-4 and c["delta_right"] < TOL
    assert c["T"] == max(2, x.shape[1])


def test_changes_are_minimal():
    cfg = LSTMConfig(2, 1)  # hidden_size 1 cannot project: the demo must raise it
    x = data(1, 1, 2)
    sd = engine(cfg).state_dict()
    assert pitfalls.proj(cfg, sd, x).changes == {"hidden_size": 2, "proj_size": 1}
    assert pitfalls.bidir_last(cfg, sd, x).changes == {"bidirectional": True, "seq_len": 2}
    assert pitfalls.layer_major(cfg, sd, x).changes == {"num_layers": 2, "bidirectional": True}
    pad = pitfalls.padding(cfg, sd, x)
    assert pad.changes == {"seq_len": 2, "batch_size": 2} and pad.values["lengths"] == [2, 1]
    assert pad.values["per_seq"][1]["delta_padded"] > 0 and pad.values["delta_packed"] < TOL
    assert pitfalls.dropout(cfg, sd, x).changes == {"num_layers": 2, "dropout": 0.5}
    assert pitfalls.batch_first_missing(cfg, sd, x).values["delta_wrong_sample1"] > 0


def test_weights_are_reused_when_shapes_allow():
    cfg = LSTMConfig(3, 4, num_layers=2)
    model = engine(cfg, seed=5)
    ref = facts.reference(replace(cfg, batch_first=True), model.state_dict())
    for name, p in model.state_dict().items():
        assert torch.equal(ref.state_dict()[name], p)
    other = facts.reference(replace(cfg, bidirectional=True), model.state_dict(), seed=5)
    assert other.weight_ih_l0_reverse.shape == (16, 3)


def test_demo_input_trims_and_reports():
    x = data(9, 50, 2)
    xt, lens, trimmed = facts.demo_input(x, [50, 30, 3, 2, 9, 9, 9, 9, 9])
    assert tuple(xt.shape) == (facts.MAX_DEMO_BATCH, facts.MAX_DEMO_STEPS, 2)
    assert lens == [24, 24, 3, 2] and trimmed == {"batch_size": 4, "seq_len": 24}
    assert facts.demo_input(data(2, 5, 2))[2] == {}


def test_compute_all_leaves_global_rng_alone():
    cfg = LSTMConfig(3, 4, num_layers=2, dropout=0.2)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    demos = pitfalls.compute_all(cfg, engine(cfg).state_dict(), data(2, 3, 3))
    assert torch.equal(torch.rand(3), expected)
    assert [d.key for d in demos] == list(pitfalls.PITFALLS + pitfalls.CLAIMS)


def test_random_configs_never_fail():
    rng = random.Random(0)
    for _ in range(4):
        h = rng.randint(1, 6)
        cfg = LSTMConfig(rng.randint(1, 4), h, rng.randint(1, 3), rng.random() < 0.8, rng.random() < 0.5,
                         0.0, rng.random() < 0.5, rng.randint(0, h - 1))
        model = engine(cfg)
        demos = pitfalls.compute_all(cfg, model.state_dict(), data(rng.randint(1, 3), rng.randint(1, 4),
                                                                  cfg.input_size), engine_model=model)
        assert len(demos) == 13
