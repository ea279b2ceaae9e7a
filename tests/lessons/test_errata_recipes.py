"""The tutorials' recipes (`lessons.errata_shapes`, `lessons.errata_training`): each runs the tutorial's code
and each number the page states is recomputed here with torch directly, independently of the lesson's own
computation."""

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from lessons import errata
from lessons import errata_shapes as SH
from lessons import errata_training as TR
from lessons.tutorials import ALSO, NUMBERS, QUOTES


def test_bidir_shapes_are_time_major_and_the_loop_runs_10_times():
    e = SH.seed000_bidir_shapes()
    out, (h, c) = nn.LSTM(100, 16, bidirectional=True)(torch.rand(10, 24, 100))
    assert e.claimed["output"] == (24, 10, 32) and e.claimed["h"] == (2, 10, 16)
    assert e.actual["output"] == tuple(out.shape) == (10, 24, 32)
    assert e.actual["h"] == tuple(h.shape) == (2, 24, 16) == e.actual["c"]
    assert e.actual["steps"] == 10 and e.actual["delta_loop"] < 1e-6


def test_shared_weight_view_raises_and_reshape_alone_mixes_variables():
    e = SH.seed004_shared_weight()
    torch.manual_seed(5)
    model = SH.SharedWeightLSTM(3, 4, 5, 2).eval()
    x = torch.randn(2, 10, 3, 4)
    with pytest.raises(RuntimeError) as info:
        model(x)
    assert e.error == f"RuntimeError: {info.value}" and "view size is not compatible" in e.error
    # independent: the right answer is each variable's series alone through the same LSTM, then fused
    with torch.no_grad():
        alone = torch.stack([torch.stack([model.lstm(x[b:b + 1, :, v])[0][0] for v in range(3)], 1)
                             for b in range(2)])
        want = model.fusion(alone.reshape(2, 10, -1))
        assert (model(x, "permute")[0] - want).abs().max() < 1e-5
        assert (model(x, "reshape")[0] - want).abs().max() > 1e-2  # reshape alone is wrong
    assert e.actual["delta_alone"] < 1e-5 and e.actual["delta_reshape"] > 1e-2


def test_torchtext_batch_is_time_major_and_the_loss_raises():
    e = SH.seed004_torchtext()
    torch.manual_seed(1)
    model = SH.LSTMSentiment(50, 8, 6, 1, 2, True, 0.5, 1).eval()
    text = torch.randint(2, 50, (7, 4))  # [sent len, batch size]
    with pytest.raises(ValueError) as info:
        nn.BCEWithLogitsLoss()(model(text).squeeze(1), torch.ones(4))
    assert e.error == f"ValueError: {info.value}"
    assert "Target size (torch.Size([4])) must be the same as input size (torch.Size([7]))" in e.error
    assert e.actual["right_predictions"] == (4,) and e.actual["predictions"] == (7,)
    assert "torchtext" in e.actual["legacy"]


def test_residual_leaves_dx0_unchanged_and_the_length_check_is_always_true():
    e = TR.seed004_variants()
    a = e.actual
    assert a["delta_residual"] == 0 and a["dx0_plain"] == pytest.approx(a["dx0_residual"], rel=1e-12)
    assert all(a["length_checks"].values())
    assert "must match the size of tensor b (10)" in a["width_error"]
    # independent: a loss on the last step; the residual adds W x_{T-1} there only, so ∂L/∂x_0 is the LSTM's
    torch.manual_seed(2)
    m = TR.ResidualLSTM(3, 5, 1).double()
    x = torch.randn(1, 12, 3, dtype=torch.float64, requires_grad=True)
    (g_res,) = torch.autograd.grad(m(x)[0][:, -1].sum(), x)
    (g_plain,) = torch.autograd.grad(m.lstm(x)[0][:, -1].sum(), x)
    assert torch.equal(g_res[:, :-1], g_plain[:, :-1]) and not torch.equal(g_res[:, -1], g_plain[:, -1])
    # layer norm keeps the decay through time within the same order of magnitude
    assert 0.1 < a["decay_norm"] / a["decay_plain"] < 10


def test_two_lstm_recipe_differs_from_bidirectional_unless_flipped():
    e = SH.seed001_two_lstm()
    torch.manual_seed(3)
    bi = nn.LSTM(2, 3, batch_first=True, bidirectional=True)
    f, b = nn.LSTM(2, 3, batch_first=True), nn.LSTM(2, 3, batch_first=True)
    f.load_state_dict({k: v for k, v in bi.state_dict().items() if "reverse" not in k})
    b.load_state_dict({k.replace("_reverse", ""): v for k, v in bi.state_dict().items() if "reverse" in k})
    x = torch.randn(2, 6, 2)
    with torch.no_grad():
        ob = b(x.flip(1))[0]
        assert (torch.cat([f(x)[0], ob.flip(1)], 2) - bi(x)[0]).abs().max() < 1e-6
        assert (torch.cat([f(x)[0], ob], 2) - bi(x)[0]).abs().max() > 1e-2
    assert e.actual["delta_fixed"] < 1e-12 and e.actual["delta_recipe"] > 0.05 and e.actual["delta_forward"] < 1e-12


def test_forget_gate_multiplies_the_same_layers_previous_step():
    e = TR.seed002_previous_layer()
    assert e.actual["delta_same_layer"] < 1e-12 and e.actual["delta_previous_layer"] > 0.05
    # independent, one layer: c_t = f c_{t-1} + i g from torch's LSTMCell
    torch.manual_seed(4)
    cell = nn.LSTMCell(3, 4)
    x, h, c = torch.randn(1, 3), torch.randn(1, 4), torch.randn(1, 4)
    with torch.no_grad():
        _, c1 = cell(x, (h, c))
        i, f, g, _ = (x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh).chunk(4, 1)
        assert (c1 - (torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g))).abs().max() < 1e-6


def test_an_lstms_gradient_can_explode_and_clipping_bounds_it():
    e = TR.exploding()
    a = e.actual
    assert a["ratio"] > 20 and a["norm_strong"] > 20
    assert a["after_clip"] == pytest.approx(a["max_norm"], rel=1e-6)
    # independent: the same strong LSTM's gradient grows with the sequence length
    norms = []
    for T in (5, 20):
        torch.manual_seed(0)
        lstm = nn.LSTM(4, 8).double()
        with torch.no_grad():
            lstm.weight_hh_l0.mul_(4)
            lstm.bias_ih_l0.zero_()
            lstm.bias_hh_l0.zero_()
            lstm.bias_hh_l0[8:16] += 3
        out, _ = lstm(0.01 * torch.randn(T, 1, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
        out[-1].sum().backward()
        norms.append(float(nn.utils.clip_grad_norm_(lstm.parameters(), 1e9)))
    assert norms[1] > 10 * norms[0]


def test_bidirectional_does_not_just_double_the_parameters():
    e = SH.seed002_param_count()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert e.actual["uni"] == count(nn.LSTM(10, 20, 2)) == 5920
    assert e.actual["bi"] == count(nn.LSTM(10, 20, 2, bidirectional=True)) == 15040
    assert e.claimed["bi"] == 11840 and e.actual["weight_ih_l1"] == (80, 40)
    assert e.actual["ratio"] == pytest.approx(15040 / 5920)


def test_hierarchical_reads_the_last_segment_after_its_zeros():
    e = SH.seed004_hierarchical()
    assert e.actual["real"] == 15 and e.actual["padding"] == 10 and e.actual["delta"] > 1e-3
    torch.manual_seed(6)
    m = SH.HierarchicalLSTM(3, 4, 1, 4).eval()
    x = torch.randn(1, 10, 3)  # segments of 4: the last holds 2 real steps and 2 zeros
    with torch.no_grad():
        reps = m(x)[2]
        assert (reps[0, -1] - m.lower_lstm(x[:, 8:])[0][0, -1]).abs().max() > 1e-4
        assert (reps[0, 0] - m.lower_lstm(x[:, :4])[0][0, -1]).abs().max() < 1e-6


def test_training_without_a_readout_has_a_floor():
    e = TR.seed001_training(epochs=20)
    a = e.actual
    assert 25 < a["out_of_reach"] < 40 and a["h_max"] < 1
    assert a["loss"] >= a["floor"] > 0.1
    # independent: for N(0, 1) targets the share beyond ±1 is erfc(1/√2) ≈ 31.7 %, and no |h| < 1 gets closer
    y = torch.randn(100_000, generator=torch.Generator().manual_seed(0))
    assert float((y.abs() > 1).float().mean()) == pytest.approx(0.317, abs=0.01)
    h = torch.tanh(torch.randn(100_000)) * 0.999
    assert float(((h - y) ** 2).mean()) > float(((y.abs() - 1).clamp(min=0) ** 2).mean())


def test_every_erratum_has_its_texts_and_quote():
    import json

    LOCALES_DIR = Path(__file__).resolve().parents[2] / "assets" / "locales"
    for lang in ("en", "zh"):
        cat = json.loads((LOCALES_DIR / lang / "errata.json").read_text(encoding="utf-8"))
        for key in errata.KEYS:
            assert {f"errata.{key}.{part}" for part in ("title", "claim", "verdict")} <= set(cat)
    assert set(errata.KEYS) <= set(QUOTES)


SEEDS = Path("/work/shared/seeds")


def test_quotes_are_verbatim():
    """Every quoted passage occurs in its tutorial (whitespace aside: the published pages flattened code onto
    one line). The tutorials are read from the shared seeds folder where it exists."""
    assert {q.tutorial for q in QUOTES.values()} <= set(NUMBERS)
    if not SEEDS.is_dir():
        return
    texts = {p.name[:3]: re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in SEEDS.glob("00*.txt")}
    passages = [(q.tutorial, part) for q in QUOTES.values() for part in q.text.split("\n…\n")]
    passages += [pair for pairs in ALSO.values() for pair in pairs]
    missing = [(n, p[:40]) for n, p in passages if re.sub(r"\s+", "", p) not in texts[n]]
    assert not missing


def test_truncated_bptt_in_one_forward_pass_saves_no_memory():
    e = TR.seed004_tbptt()
    a = e.actual
    assert a["grad_before_cut"] == 0  # the gradient is cut ...
    assert a["bytes_tutorial"] >= a["bytes_full"]  # ... but every chunk's graph is kept
    assert a["bytes_chunk"] < 0.4 * a["bytes_full"]  # one chunk of a real loop keeps about a quarter
    # independent: one backward of the tutorial's output runs through BOTH chunks' graphs (so both were kept):
    # its weight gradient is chunk 1's plus chunk 2's, each computed alone
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 4, batch_first=True)
    x = torch.randn(1, 8, 3)
    zero = torch.zeros(1, 1, 4)
    out1, (h, c) = lstm(x[:, :4], (zero, zero))
    out2, _ = lstm(x[:, 4:], (h.detach(), c.detach()))
    torch.cat([out1, out2], 1).sum().backward()
    total = lstm.weight_ih_l0.grad.clone()
    parts = []
    for chunk, state in ((x[:, :4], (zero, zero)), (x[:, 4:], (h.detach(), c.detach()))):
        lstm.zero_grad()
        lstm(chunk, state)[0].sum().backward()
        parts.append(lstm.weight_ih_l0.grad.clone())
    assert torch.allclose(total, parts[0] + parts[1], atol=1e-6) and parts[0].abs().max() > 1e-3
