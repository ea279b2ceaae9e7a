"""Proof page: the table shows the |Δ| and torch magnitudes computed here independently with torch.nn.LSTM;
the badge turns red when a perturbed engine is injected; "check many" and case links work; dropout demo."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch

from lessons import facts, proof
from lstm_core.lstm import LSTM, LSTMConfig
from tests.perturbed import OutputNudged

CONFIG = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "proj_size": 2,
          "batch_first": True, "seed": 3}


def _table(at):
    df = at.main.dataframe[0].value
    return {row["tensor"]: row for _, row in df.iterrows()}


def _arr(value):
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.array(value)


def _chart(at):
    return json.loads(at.main.get("plotly_chart")[0].proto.spec)


def _badges(at):
    return [m.value for m in at.main.markdown if "-badge[" in m.value]


def _independent(dtype):
    """torch.nn.LSTM and our engine on the app's default input (seeded randn), the documented states and loss."""
    cfg = LSTMConfig(3, 4, 2, True, True, 0.0, True, 2)
    torch.manual_seed(3)
    ref = torch.nn.LSTM(**cfg.kwargs()).to(dtype)
    ours = LSTM(**cfg.kwargs(), dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(3)).to(dtype)  # app default input
    gen = torch.Generator().manual_seed(3)  # the page's non-zero h0, c0 (seeded with the app seed)
    h0 = (0.5 * torch.randn(4, 2, 2, generator=gen, dtype=torch.float64)).to(dtype)
    c0 = (0.5 * torch.randn(4, 2, 4, generator=gen, dtype=torch.float64)).to(dtype)
    results = {}
    for name, model in (("torch", ref), ("ours", ours)):
        xl, hl, cl = (t.clone().requires_grad_(True) for t in (x, h0, c0))
        out, (h_n, c_n) = model(xl, (hl, cl))
        lw = torch.Generator().manual_seed(4)
        loss = sum((t * torch.randn(t.shape, generator=lw, dtype=torch.float64).to(dtype)).sum()
                   for t in (out, h_n, c_n))
        loss.backward()
        results[name] = {"output": out.detach(), "h_n": h_n.detach(), "c_n": c_n.detach(), "input": xl.grad,
                         "h0": hl.grad, "c0": cl.grad,
                         **{k: p.grad for k, p in model.named_parameters()}}
    return results


def test_table_equals_independent_torch(run_app, assert_app_ok):
    at = run_app(page="proof", query=CONFIG)
    assert_app_ok(at)
    table = _table(at)
    res = _independent(torch.float64)
    assert set(table) == set(res["torch"])
    for name, ref in res["torch"].items():
        row = table[name]
        assert row["max |torch|"] == f"{ref.abs().max().item():.4g}", name
        assert row["shape"] == str(tuple(ref.shape))
        diff = (ref - res["ours"][name]).abs().max().item()
        shown = float(row["max |Δ|"])
        assert shown <= 1e-10 * max(1, ref.abs().max().item()) and abs(shown - diff) <= 1e-14, (name, shown, diff)
        assert row["result"] == "✅ pass"
    assert _badges(at) and ":green-badge[" in _badges(at)[0] and "float64" in _badges(at)[0]
    bars = _chart(at)["data"][0]
    assert list(bars["x"]) == list(res["torch"])
    for name, height in zip(bars["x"], _arr(bars["y"]), strict=True):  # bar = the table's |Δ| (0 drawn at 1e-18)
        assert f"{height:.2e}" == table[name]["max |Δ|"] or (height == 1e-18 and table[name]["max |Δ|"] == "0")


def test_float32_toggle(run_app, assert_app_ok):
    at = run_app(page="proof", query=CONFIG)
    at.radio(key="proof_dtype").set_value("float32").run()
    assert_app_ok(at)
    table = _table(at)
    res = _independent(torch.float32)
    for name in ("output", "c_n", "weight_ih_l1_reverse"):
        ref = res["torch"][name]
        assert table[name]["max |torch|"] == f"{ref.abs().max().item():.4g}"
        assert float(table[name]["allowed"]) == float(f"{1e-5 * max(1, ref.abs().max().item()):.2e}")
    assert ":green-badge[" in _badges(at)[0] and "float32" in _badges(at)[0]


def test_badge_turns_red_with_perturbed_engine(run_app, assert_app_ok, monkeypatch):
    monkeypatch.setattr(proof, "ENGINE", OutputNudged)
    at = run_app(page="proof", query=CONFIG)
    assert_app_ok(at)
    badge = _badges(at)[0]
    assert ":red-badge[" in badge and "1 tensors differ" in badge
    table = _table(at)
    assert table["output"]["result"] == "❌ fail" and float(table["output"]["max |Δ|"]) == 1e-3
    assert all(row["result"] == "✅ pass" for name, row in table.items() if name != "output")
    colors = _chart(at)["data"][0]["marker"]["color"]
    assert colors[0] == "#c62828" and set(colors[1:]) == {"#2e7d32"}


def test_check_many_and_reproducing_link(run_app, assert_app_ok, monkeypatch):
    at = run_app(page="proof", query=CONFIG)
    at.number_input(key="proof_n").set_value(6).run()
    at.button(key="proof_many").click().run()
    assert_app_ok(at)
    metrics = [m.value for m in at.main.metric]
    assert metrics[:2] == ["6", "6"] and float(metrics[2]) < 1e-10
    assert at.main.success and "All 6 configurations agree" in at.main.success[0].value

    monkeypatch.setattr(proof, "ENGINE", OutputNudged)
    at.button(key="proof_many").click().run()
    assert_app_ok(at)
    assert [m.value for m in at.main.metric][:2] == ["6", "0"]
    assert "6 of 6 configurations disagree" in at.main.error[0].value
    failures = [m.value for m in at.main.markdown if m.value.startswith("❌")]
    assert len(failures) == 6
    cases = [c.encode() for c in proof.random_cases(6, 0)]
    for case, line in zip(cases, failures, strict=True):
        assert f"(?page=proof&case={case}&lang=en)" in line and "`output`" in line

    # the link reproduces the failing case: the page shows that case and its red badge
    at = run_app(page="proof", query={"case": cases[2]})
    assert_app_ok(at)
    assert cases[2] in at.main.info[0].value
    assert ":red-badge[" in _badges(at)[0]
    assert float(_table(at)["output"]["max |Δ|"]) == 1e-3
    monkeypatch.setattr(proof, "ENGINE", None)
    at = run_app(page="proof", query={"case": cases[2]})
    assert ":green-badge[" in _badges(at)[0]
    report = proof.Case.decode(cases[2]).run()
    assert _table(at)["c_n"]["max |torch|"] == f"{report.rows[2].max_abs_ref:.4g}"


def test_bad_case_link_is_explained(run_app, assert_app_ok):
    at = run_app(page="proof", query={"case": "i3_h4_p9"})
    assert_app_ok(at)
    assert "cannot be read" in at.main.error[0].value


@pytest.mark.parametrize("lang,words", [("en", "cannot be read"), ("zh", "无法解析")])
def test_a_very_long_case_link_is_quoted_short(run_app, assert_app_ok, lang, words):
    """A 5,000-character ?case= used to come back whole, twice (~15,000 characters of error on the page)."""
    at = run_app(page="proof", query={"case": "i3_" + "a" * 5000}, lang=lang)
    assert_app_ok(at)
    message = at.main.error[0].value
    assert words in message and len(message) < 400, len(message)
    assert not at.main.dataframe  # nothing ran


def test_dropout_demo_and_chinese(run_app, assert_app_ok, app_text):
    at = run_app(page="proof", query={"input_size": 2, "hidden_size": 3}, lang="zh")
    assert_app_ok(at)
    text = app_text(at)
    assert "与 torch.nn.LSTM 一致" in text and "训练模式与评估模式" in text
    metrics = [m.value for m in at.main.metric]
    x = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(0))  # the sidebar's random input, seed 0
    demo = facts.dropout(LSTMConfig(2, 3), LSTMConfig(2, 3).build(seed=0).state_dict(), x, engine=LSTM)
    assert demo.adjusted and at.main.info  # one layer: the demo explains it uses two layers, dropout 0.5
    assert metrics == [f"{demo.engine_train_diff:.2e}", "0",
                       f"{demo.engine_eval_vs_torch:.2e}" if demo.engine_eval_vs_torch else "0"]
    assert demo.engine_train_diff > 0.01


def test_large_configuration_waits_for_a_click(run_app, assert_app_ok, monkeypatch):
    from ui import proof_view

    monkeypatch.setattr(proof_view, "AUTO_STEPS", 20)  # instead of 400, so the test stays fast
    query = {"input_size": 1, "hidden_size": 2, "num_layers": 2, "bidirectional": True, "batch_size": 1,
             "seq_len": 6}  # 6 steps x 2 layers x 2 directions = 24 sequential steps
    at = run_app(page="proof", query=query)
    assert_app_ok(at)
    assert not at.main.dataframe and "24 sequential cell steps" in at.main.info[0].value
    at.button(key="proof_big_run").click().run()
    assert_app_ok(at)
    assert ":green-badge[" in _badges(at)[0]
    assert _table(at)["output"]["shape"] == "(6, 1, 4)"
    at.radio(key="proof_dtype").set_value("float32").run()  # another precision: asks again
    assert not at.main.dataframe


def test_ragged_input_from_the_input_panel_is_compared_packed(run_app, assert_app_ok):
    from lessons.sources import InputBatch

    data = torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(1))
    data[1, 2:] = 0
    data[2, 1:] = 0
    batch = InputBatch(data=data, lengths=[4, 2, 1])
    at = run_app(page="proof", query={"input_size": 2, "hidden_size": 3, "bidirectional": True},
                 session={"input_batch": batch})
    assert_app_ok(at)
    table = _table(at)
    assert table["output"]["shape"] == "(7, 6)"  # PackedSequence.data: 4 + 2 + 1 real steps, 2 directions
    assert table["input"]["shape"] == "(3, 4, 2)" and all(r["result"] == "✅ pass" for r in table.values())
    torch.manual_seed(0)
    ref = torch.nn.LSTM(2, 3, bidirectional=True).double()
    gen = torch.Generator().manual_seed(0)
    h0 = 0.5 * torch.randn(2, 3, 3, generator=gen, dtype=torch.float64)
    c0 = 0.5 * torch.randn(2, 3, 3, generator=gen, dtype=torch.float64)
    packed = torch.nn.utils.rnn.pack_padded_sequence(data.double().transpose(0, 1), [4, 2, 1], enforce_sorted=False)
    with torch.no_grad():
        out, (h_n, c_n) = ref(packed, (h0, c0))
    assert table["output"]["max |torch|"] == f"{out.data.abs().max().item():.4g}"
    assert table["h_n"]["max |torch|"] == f"{h_n.abs().max().item():.4g}"


def test_case_link_above_the_limits_is_refused(run_app, assert_app_ok):  # issue 13
    at = run_app(page="proof", query={"case": "i3_h4_n1_b1_bf0_do0_bi0_p0_B1_T1000_Fb_s0"})
    assert_app_ok(at)
    assert "seq_len = 1000, the limit is 200" in at.main.error[0].value
    assert not at.main.dataframe  # nothing ran
    at = run_app(page="proof", query={"case": "i64_h64_n4_b1_bf0_do0_bi1_p0_B16_T200_Fb_s0"}, lang="zh")
    assert_app_ok(at)
    assert "记录的数值个数" in at.main.error[0].value and "上限为 6000000" in at.main.error[0].value
