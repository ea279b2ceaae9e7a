"""The proof page's harness (lessons.proof): it passes on our engine, fails on a perturbed one, and its
cases round-trip through their URL string."""

from __future__ import annotations

import random

import pytest
import torch

from lessons import proof
from lstm_core.lstm import LSTM, LSTMConfig
from tests.perturbed import OutputNudged


class ForgetBiasOff(LSTM):
    """An engine that (wrongly) adds 1e-4 to the forget-gate bias: forward and gradients drift."""

    def load_state_dict(self, state_dict, strict=True):
        sd = dict(state_dict)
        h = self.hidden_size
        for k in sd:
            if k.startswith("bias_ih"):
                sd[k] = sd[k].clone()
                sd[k][h:2 * h] += 1e-4
        return super().load_state_dict(sd, strict)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_random_cases_pass_in_both_dtypes(dtype):
    cases = proof.random_cases(16, seed=5)
    forms = {c.form for c in cases}
    assert forms == {"batched", "unbatched", "packed"}
    assert any(c.config.proj_size for c in cases) and any(c.config.bidirectional for c in cases)
    assert any(c.config.batch_first for c in cases) and any(not c.config.bias for c in cases)
    for case in cases:
        report = case.run(dtype)
        assert report.passed, (case.encode(), report.failures)
        assert report.worst.max_abs_diff <= proof.TOLERANCES[dtype] * max(1, report.worst.max_abs_ref)


def test_rows_cover_forward_and_every_gradient():
    case = proof.Case(LSTMConfig(3, 4, 2, True, True, 0.0, True, 2), 2, 4, "packed", (4, 2), seed=3)
    report = case.run(torch.float64)
    names = [r.name for r in report.rows]
    params = list(LSTM(**case.config.kwargs()).state_dict())
    assert names == ["output", "h_n", "c_n", "input", "h0", "c0", *params]
    shapes = {r.name: r.shape for r in report.rows}
    assert shapes["output"] == (6, 4)  # packed data: 4 + 2 real steps, 2 directions x proj 2
    assert shapes["h_n"] == (4, 2, 2) and shapes["c_n"] == (4, 2, 4)
    assert shapes["weight_hr_l1_reverse"] == (2, 4)
    # gradients are real (non-zero) numbers, so a zero-gradient engine would be caught
    assert all(r.max_abs_ref > 0 for r in report.rows)


def test_compare_values_equal_independent_torch():
    """The |Δ| the report gives is the one computed here directly with torch.nn.LSTM."""
    cfg = LSTMConfig(2, 3, 1, True, False, 0.0, False, 0)
    model = cfg.build(seed=4, dtype=torch.float64)
    x = torch.randn(2, 5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    report = proof.compare(cfg, model.state_dict(), x, dtype=torch.float64, seed=9)
    ref = model.to_torch().double()
    h0, c0 = proof.random_state(cfg, 2, False, 9)
    with torch.no_grad():
        want, (hn, cn) = ref(x.transpose(0, 1), (h0, c0))
        got, (hn2, cn2) = model(x.transpose(0, 1), (h0, c0))
    rows = {r.name: r for r in report.rows}
    assert rows["output"].max_abs_diff == pytest.approx((want - got).abs().max().item(), abs=1e-15)
    assert rows["output"].max_abs_ref == pytest.approx(want.abs().max().item())
    assert rows["c_n"].max_abs_ref == pytest.approx(cn.abs().max().item())


@pytest.mark.parametrize("engine, bad", [(OutputNudged, {"output"}), (ForgetBiasOff, None)])
def test_perturbed_engine_fails(engine, bad):
    case = proof.Case(LSTMConfig(3, 4, 2, True, False, 0.0, True, 0), 2, 4, "batched", None, 1)
    report = case.run(torch.float32, engine=engine)
    assert not report.passed
    failed = {r.name for r in report.failures}
    if bad is not None:
        assert failed == bad
        assert report.worst.max_abs_diff == pytest.approx(1e-3, rel=1e-2)
    else:
        assert {"output", "h_n", "c_n", "input"} <= failed


def test_module_level_engine_injection(monkeypatch):
    case = proof.Case(LSTMConfig(2, 3), 1, 3, "batched", None, 0)
    assert case.run().passed
    monkeypatch.setattr(proof, "ENGINE", OutputNudged)
    assert not case.run().passed


def test_case_encode_roundtrip_and_errors():
    rng = random.Random(0)
    for _ in range(200):
        case = proof.random_case(rng)
        text = case.encode()
        assert "/" not in text and " " not in text and "&" not in text
        assert proof.Case.decode(text) == case
    case = proof.Case(LSTMConfig(3, 4, 2, False, True, 0.25, True, 2), 2, 5, "packed", (5, 3), 17)
    assert case.encode() == "i3_h4_n2_b0_bf1_do0.25_bi1_p2_B2_T5_Fp_L5-3_s17"
    for bad in ["", "i3", "i3_h4_n2_b0_bf1_do0.25_bi1_p4_B2_T5_Fb_s1",  # proj_size >= hidden_size
                "i3_h4_n2_b0_bf1_do0.25_bi1_p2_B2_T5_Fp_s1",  # packed without lengths
                "i3_h4_n2_b0_bf1_do0.25_bi1_p2_B2_T5_Fu_s1",  # unbatched with B=2
                "i3_h4_n2_b0_bf1_do0.25_bi1_p2_B2_T5_Fp_L9-3_s1", "x1_i3"]:
        with pytest.raises(ValueError):
            proof.Case.decode(bad)


def test_summary_tracks_worst_and_failures():
    summary = proof.Summary()
    cases = proof.random_cases(4, seed=2)
    for case in cases[:3]:
        summary.add(case, case.run(torch.float32))
    assert summary.count == 3 and summary.passed and summary.worst_case in {c.encode() for c in cases}
    summary.add(cases[3], cases[3].run(torch.float32, engine=OutputNudged))
    assert not summary.passed and summary.failures[0][0] == cases[3].encode()
    assert summary.worst_case == cases[3].encode() and summary.worst_diff == pytest.approx(1e-3, rel=1e-2)


def test_nan_in_both_counts_as_equal_nan_in_one_fails():
    a = torch.tensor([1.0, float("nan"), 3.0])
    assert proof._max_abs_diff(a, a.clone()) == 0.0
    assert proof._max_abs(a) == 3.0
    b = torch.tensor([1.0, 2.0, 3.0])
    row = proof.Row("forward", "output", (3,), proof._max_abs_diff(a, b), 3.0, 1e-5)
    assert not row.passed


def test_decoded_case_obeys_the_sidebar_limits():  # issue 13: a link ran T1000 for 41.5 s
    from lstm_core.limits import MAX_HIDDEN_SIZE, MAX_SEQ_LEN, LimitError

    ok = proof.Case(LSTMConfig(3, 4), 2, MAX_SEQ_LEN).encode()
    assert proof.Case.decode(ok).seq_len == MAX_SEQ_LEN
    for text, limit in ((ok.replace(f"T{MAX_SEQ_LEN}", "T1000"), "seq_len"),
                        ("i512_h512_n1_b1_bf0_do0_bi0_p0_B1_T5_Fb_s0", "input_size"),
                        (f"i3_h{MAX_HIDDEN_SIZE + 1}_n1_b1_bf0_do0_bi0_p0_B1_T5_Fb_s0", "hidden_size"),
                        ("i3_h4_n1_b1_bf0_do0_bi0_p0_B17_T5_Fb_s0", "batch_size"),
                        ("i3_h4_n5_b1_bf0_do0_bi0_p0_B1_T5_Fb_s0", "num_layers"),
                        ("i64_h64_n4_b1_bf0_do0_bi1_p0_B16_T200_Fb_s0", "traced values")):
        with pytest.raises(LimitError) as err:
            proof.Case.decode(text)
        assert err.value.limit == limit
