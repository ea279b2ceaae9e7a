"""Gradient-flow page through app.py: the plotted curves are exactly what lessons.gradients computes."""

import json

import numpy as np
import pytest

from lessons.gradients import lstm_gradflow, matched_rnn, rnn_gradflow, seeded_input, with_forget_bias
from lstm_core import LSTMConfig, limits
from tests.helpers import traces_by_meta
from ui.figures.gradients import log_values

figures = traces_by_meta  # meta -> trace, over every plotly chart of the page


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def expected(cfg: LSTMConfig, seed: int, T: int, shift: float = 0.0, k=None, layer=None):
    model = with_forget_bias(cfg.build(seed=seed), shift)
    x = seeded_input(T, cfg.input_size, seed)
    rnn = matched_rnn(cfg, seed)
    return lstm_gradflow(model, x, truncate=k, layer=layer), rnn_gradflow(rnn, x, truncate=k, layer=layer)


def assert_curve(trace, values):
    want = log_values(values)
    got = trace["y"]
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-12 * abs(b))


def test_default_curves_equal_gradflow(run_app, assert_app_ok):
    at = run_app(page="gradients")
    assert_app_ok(at)
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60)
    tr = figures(at)
    assert_curve(tr["lstm_dh"], lstm.dL_dh[:, 0])
    assert_curve(tr["lstm_dc"], lstm.dL_dc[:, 0])
    assert_curve(tr["rnn_dh"], rnn.dL_dh[:, 0])
    assert_curve(tr["lstm_dx"], lstm.dL_dx[:, 0])
    assert_curve(tr["rnn_dx"], rnn.dL_dx[:, 0])
    assert_curve(tr["forget_product_mean"], lstm.forget_product[:, 0].mean(-1))
    for j in range(6):
        assert_curve(tr[f"forget_product_u{j}"], lstm.forget_product[:, 0, j])
    # log-scale y on the gradient charts, and the RNN vanishes faster than the LSTM at init
    assert all(c["layout"]["yaxis"]["type"] == "log" for c in charts(at))
    assert rnn.dL_dh[0, 0] / rnn.dL_dh[-1, 0] < lstm.dL_dh[0, 0] / lstm.dL_dh[-1, 0]
    assert at.slider(key="grad_seq_len").max == limits.MAX_SEQ_LEN


def test_sidebar_model_length_and_forget_bias_drive_the_curves(run_app, assert_app_ok):
    at = run_app(page="gradients", query={"input_size": 3, "hidden_size": 5, "seed": 7})
    at.slider(key="grad_seq_len").set_value(120)
    at.slider(key="grad_forget_shift").set_value(2.5).run()
    assert_app_ok(at)
    lstm, rnn = expected(LSTMConfig(3, 5), seed=7, T=120, shift=2.5)
    tr = figures(at)
    assert len(tr["lstm_dh"]["y"]) == 120
    assert_curve(tr["lstm_dh"], lstm.dL_dh[:, 0])
    assert_curve(tr["lstm_dc"], lstm.dL_dc[:, 0])
    assert_curve(tr["rnn_dh"], rnn.dL_dh[:, 0])
    plain, _ = expected(LSTMConfig(3, 5), seed=7, T=120)
    assert lstm.dL_dc[0, 0] > 1e3 * plain.dL_dc[0, 0]  # the bias really reached the plotted model


def test_truncation_plots_zero_before_the_last_chunk(run_app, assert_app_ok):
    at = run_app(page="gradients")
    at.toggle(key="grad_truncate").set_value(True).run()
    at.slider(key="grad_k").set_value(7).run()
    assert_app_ok(at)
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60, k=7)
    cut = (59 // 7) * 7
    tr = figures(at)
    for meta, flow, key in (("lstm_dh_cut", lstm, "dL_dh"), ("rnn_dh_cut", rnn, "dL_dh"),
                            ("lstm_dx_cut", lstm, "dL_dx"), ("rnn_dx_cut", rnn, "dL_dx")):
        assert_curve(tr[meta], getattr(flow, key)[:, 0])
        assert all(v is None for v in tr[meta]["y"][:cut])  # exactly zero: a gap on the log axis
        assert all(v is not None for v in tr[meta]["y"][cut:])
    assert f"t = {cut}" in "".join(m.value for m in at.markdown)


def test_stacked_bidirectional_model_and_layer_choice(run_app, assert_app_ok):
    at = run_app(page="gradients", query={"num_layers": 2, "bidirectional": True, "hidden_size": 4})
    assert_app_ok(at)
    assert at.toggle(key="grad_truncate").disabled
    assert len(at.info) >= 1
    at.selectbox(key="grad_layer").set_value(0).run()
    assert_app_ok(at)
    cfg = LSTMConfig(4, 4, num_layers=2, bidirectional=True)
    lstm, rnn = expected(cfg, seed=0, T=60, layer=0)
    tr = figures(at)
    assert_curve(tr["lstm_dh"], lstm.dL_dh[:, 0])
    assert_curve(tr["rnn_dh"], rnn.dL_dh[:, 0])


@pytest.mark.parametrize("lang,word", [("en", "Gradient flow"), ("zh", "梯度流")])
def test_both_languages(run_app, assert_app_ok, app_text, lang, word):
    at = run_app(page="gradients", lang=lang)
    assert_app_ok(at)
    text = app_text(at)
    assert word in text
    if lang == "zh":
        assert "恒定误差传送带" in text
    trace_names = {tr["name"] for c in charts(at) for tr in c["data"]}
    assert ("RNN ‖∂L/∂hₜ‖" in trace_names) and any(("均值" in n) == (lang == "zh") for n in trace_names)


def test_no_bias_model_disables_the_forget_bias_slider(run_app, assert_app_ok):
    at = run_app(page="gradients", query={"bias": False})
    assert_app_ok(at)
    assert at.slider(key="grad_forget_shift").disabled
    lstm, _ = expected(LSTMConfig(4, 6, bias=False), seed=0, T=60)
    assert_curve(figures(at)["lstm_dh"], lstm.dL_dh[:, 0])
    assert np.isfinite(lstm.dL_dh).all()


def test_a_trained_model_from_the_sidebar_switch_is_the_one_plotted(run_app, assert_app_ok, app_text):
    """The Learn page's model (ui.model_source) replaces the random one: curves follow its weights."""
    from ui.model_source import Stored, weights_digest

    cfg = LSTMConfig(1, 8)
    trained = with_forget_bias(cfg.build(seed=3), 3.0)  # stands in for a model whose f learned to stay open
    sd = {k: v.detach().clone() for k, v in trained.state_dict().items()}
    item = Stored(cfg, sd, "memory", weights_digest(sd))
    session = {"_model_store": {"trained": item}, "model_source": "trained", "input_size": 1, "hidden_size": 8}
    at = run_app(page="gradients", session=session)
    assert_app_ok(at)
    lstm = lstm_gradflow(trained, seeded_input(60, 1, 0))
    assert_curve(figures(at)["lstm_dc"], lstm.dL_dc[:, 0])
    assert "untrained" in app_text(at)
    rnn = rnn_gradflow(matched_rnn(cfg, 0), seeded_input(60, 1, 0))
    assert_curve(figures(at)["rnn_dh"], rnn.dL_dh[:, 0])


def test_clamping_f_open_everywhere_keeps_the_cell_gradient_alive(run_app, assert_app_ok):
    from lstm_core import Clamp

    at = run_app(page="gradients", query={"num_layers": 2})
    at.toggle(key="grad_f_open").set_value(True).run()
    assert_app_ok(at)
    cfg = LSTMConfig(4, 6, num_layers=2)
    clamps = [Clamp("f", 1.0, layer=0), Clamp("f", 1.0, layer=1)]
    lstm = lstm_gradflow(cfg.build(seed=0), seeded_input(60, 4, 0), clamps=clamps)
    tr = figures(at)
    assert_curve(tr["lstm_dc"], lstm.dL_dc[:, 0])
    assert tr["forget_product_mean"]["y"] == [1.0] * 60
    plain, _ = expected(cfg, seed=0, T=60)
    assert lstm.dL_dc[0, 0] > 1e6 * plain.dL_dc[0, 0]


def test_curves_csv_holds_the_plotted_numbers():
    import io

    import pandas as pd

    from ui.gradients_view import curves_csv

    cfg = LSTMConfig(2, 3)
    model, x = cfg.build(seed=1), seeded_input(20, 2, 1)
    rnn = matched_rnn(cfg, 1)
    flows = {"lstm": lstm_gradflow(model, x), "rnn": rnn_gradflow(rnn, x),
             "lstm_cut": lstm_gradflow(model, x, truncate=6), "rnn_cut": rnn_gradflow(rnn, x, truncate=6)}
    df = pd.read_csv(io.StringIO(curves_csv(flows)))
    assert list(df["t"]) == list(range(20))
    assert np.array_equal(df["lstm_dL_dc"].to_numpy(), flows["lstm"].dL_dc[:, 0])
    assert np.array_equal(df["rnn_dL_dh"].to_numpy(), flows["rnn"].dL_dh[:, 0])
    assert np.all(df["lstm_dL_dh_truncated"].to_numpy()[:18] == 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_why_the_untrained_lstm_forgets_too(run_app, assert_app_ok, lang):
    from ui.i18n import LOCALES_DIR

    expected = json.loads((LOCALES_DIR / lang / "gradients.json").read_text(encoding="utf-8"))
    at = run_app(page="gradients", lang=lang)
    assert_app_ok(at)
    assert expected["gradients.untrained_forgets"] in [i.value for i in at.info]
