"""Gradient-flow page through app.py: the plotted curves are exactly what lessons.gradients computes."""

import json

import numpy as np
import pytest
import torch

from lessons.gradients import lstm_gradflow, matched_rnn, rnn_gradflow, seeded_input, with_forget_bias
from lstm_core import LSTMConfig, limits
from tests.helpers import traces_by_meta
from ui.figures.gradients import log_values

figures = traces_by_meta  # meta -> trace, over every plotly chart of the page
OPEN = 3.0  # the page opens with the random model's forget-gate bias raised by +3 (pages/gradients.py)


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
    assert at.slider(key="grad_forget_shift").value == OPEN
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60, shift=OPEN)
    tr = figures(at)
    assert_curve(tr["lstm_dh"], lstm.dL_dh[:, 0])
    assert_curve(tr["lstm_dc"], lstm.dL_dc[:, 0])
    assert_curve(tr["rnn_dh"], rnn.dL_dh[:, 0])
    assert_curve(tr["lstm_dx"], lstm.dL_dx[:, 0])
    assert_curve(tr["rnn_dx"], rnn.dL_dx[:, 0])
    assert_curve(tr["forget_product_mean"], lstm.forget_product[:, 0].mean(-1))
    for j in range(6):
        assert_curve(tr[f"forget_product_u{j}"], lstm.forget_product[:, 0, j])
    # log-scale y on the gradient charts; the claim can be seen where the page opens: the LSTM's step-0
    # gradient survives (4.1e-4 of the last step's) while the RNN's vanishes (5.7e-20)
    assert all(c["layout"]["yaxis"]["type"] == "log" for c in charts(at))
    lstm_ratio, rnn_ratio = lstm.dL_dh[0, 0] / lstm.dL_dh[-1, 0], rnn.dL_dh[0, 0] / rnn.dL_dh[-1, 0]
    assert lstm_ratio > 1e-5 and rnn_ratio < 1e-15
    assert [m.value for m in at.metric][:2] == [f"{lstm_ratio:.2e}", f"{rnn_ratio:.2e}"]
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
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60, shift=OPEN, k=7)
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
    lstm, rnn = expected(cfg, seed=0, T=60, shift=OPEN, layer=0)
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
    lstm = lstm_gradflow(with_forget_bias(cfg.build(seed=0), OPEN), seeded_input(60, 4, 0), clamps=clamps)
    tr = figures(at)
    assert_curve(tr["lstm_dc"], lstm.dL_dc[:, 0])
    assert tr["forget_product_mean"]["y"] == [1.0] * 60
    plain, _ = expected(cfg, seed=0, T=60, shift=0.0)  # the random model without the clamp
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


def catalog(lang: str) -> dict:
    from ui.i18n import LOCALES_DIR

    return json.loads((LOCALES_DIR / lang / "gradients.json").read_text(encoding="utf-8"))


def band(q: float) -> str:
    """Which comparison a ratio of ratios q = LSTM / RNN must be worded as (the bands the page promises)."""
    return "far_above" if q >= 100 else "above" if q >= 2 else "about_equal" if q > 0.5 else "below"


def callout(lang: str, key: str, lstm, rnn, shift: float, T: int = 60) -> str:
    """The callout as the page must word it for these curves (the numbers formatted as on the metrics, the
    comparison chosen by the two ratios)."""
    def value(flow) -> float:
        return flow.dL_dh[0, 0] / flow.dL_dh[-1, 0]

    q = value(lstm) / value(rnn)
    relation = catalog(lang)[f"gradients.rel.{band(q)}"].format(q=f"{q:.2g}")
    return catalog(lang)[key].format(shift=f"{shift:g}", f=f"{lstm.forget[:, 0].mean():.2f}", T=T,
                                     prod=f"{lstm.forget_product[0, 0].mean():.1e}", lstm=f"{value(lstm):.2e}",
                                     rnn=f"{value(rnn):.2e}", relation=relation)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_why_the_untrained_lstm_forgets_too(run_app, assert_app_ok, lang):
    """Opened at +3, the callout explains why this LSTM remembers and why an untrained one does not, with the
    plotted numbers; one click shows the random case, and the callout then explains that one."""
    at = run_app(page="gradients", lang=lang)
    assert_app_ok(at)
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60, shift=OPEN)
    infos = [i.value for i in at.info]
    assert callout(lang, "gradients.callout_shifted", lstm, rnn, OPEN) in infos
    assert "0.93" in callout(lang, "gradients.callout_shifted", lstm, rnn, OPEN)  # mean f at +3
    at.button(key="grad_show_random").click().run()
    assert_app_ok(at)
    lstm0, rnn0 = expected(LSTMConfig(4, 6), seed=0, T=60, shift=0.0)
    infos = [i.value for i in at.info]
    assert callout(lang, "gradients.callout_random", lstm0, rnn0, 0.0) in infos
    assert not any("+3" in i and "0.93" in i for i in infos)


def test_the_random_case_is_one_click_away_and_back(run_app, assert_app_ok):
    at = run_app(page="gradients")
    at.button(key="grad_show_random").click().run()
    assert_app_ok(at)
    assert at.slider(key="grad_forget_shift").value == 0.0
    lstm, rnn = expected(LSTMConfig(4, 6), seed=0, T=60, shift=0.0)
    tr = figures(at)
    assert_curve(tr["lstm_dh"], lstm.dL_dh[:, 0])
    assert_curve(tr["rnn_dh"], rnn.dL_dh[:, 0])
    assert lstm.dL_dh[0, 0] / lstm.dL_dh[-1, 0] < 1e-13  # the untrained LSTM forgets too (2.1e-15)
    at.button(key="grad_show_open").click().run()
    assert_app_ok(at)
    assert at.slider(key="grad_forget_shift").value == OPEN
    opened, _ = expected(LSTMConfig(4, 6), seed=0, T=60, shift=OPEN)
    assert_curve(figures(at)["lstm_dh"], opened.dL_dh[:, 0])


def _flanking_problems(text: str) -> list[str]:
    """CommonMark emphasis: an opening ``**`` must be left-flanking, a closing one right-flanking (a run next
    to punctuation only counts when the other side is whitespace or punctuation too)."""
    import re
    import unicodedata

    def space(c):
        return c is None or c.isspace()

    def punct(c):
        return c is not None and unicodedata.category(c)[0] in "PS"

    text = re.sub(r"`[^`]*`|\$[^$]*\$", "x", text)
    bad, opening = [], True
    for m in re.finditer(r"\*\*", text):
        before = text[m.start() - 1] if m.start() else None
        after = text[m.end()] if m.end() < len(text) else None
        left = not space(after) and (not punct(after) or space(before) or punct(before))
        right = not space(before) and (not punct(before) or space(after) or punct(after))
        if not (left if opening else right):
            bad.append(text[max(m.start() - 8, 0) : m.end() + 8])
        opening = not opening
    return bad


def test_flanking_check_catches_the_known_break():
    assert _flanking_problems("**为什么未训练的 LSTM 也会遗忘。**随机权重下")
    assert not _flanking_problems("**为什么未训练的 LSTM 也会遗忘**。随机权重下")
    assert not _flanking_problems("**Plain RNN.** $h_t$ and **普通 RNN。** $h_t$")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_bold_span_of_the_catalog_renders_bold(lang):
    problems = {key: bad for key, value in catalog(lang).items() if (bad := _flanking_problems(value))}
    assert not problems


# ---------------------------------------------------------------- backward through time, stepped

def _bptt(shift=OPEN, T=60, cfg=None, seed=0):
    from lessons.bptt import lstm_backward, rnn_backward

    cfg = cfg or LSTMConfig(4, 6)
    x = seeded_input(T, cfg.input_size, seed)
    return (lstm_backward(with_forget_bias(cfg.build(seed=seed), shift), x),
            rnn_backward(matched_rnn(cfg, seed), x))


def assert_step_shown(at, lstm_bw, rnn_bw, step: int, unit: int = 0):
    """The table, the metrics and the plugged-in cell line show lessons.bptt's numbers for this step."""
    from lessons.bptt import LSTM_QUANTITIES, plug_in, unit_table
    from ui.gradients_view import sci

    frame = at.dataframe[0].value
    table = unit_table(lstm_bw, step)
    for name, col in zip(LSTM_QUANTITIES, frame.columns, strict=False):
        np.testing.assert_array_equal(frame[col].to_numpy(), table[name])
    np.testing.assert_array_equal(frame[frame.columns[-1]].to_numpy(), rnn_bw.dh[step, 0])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LSTM ‖δc_t‖"] == f"{np.linalg.norm(lstm_bw.dc[step, 0]):.3e}"
    assert metrics["RNN ‖δh_t‖"] == f"{np.linalg.norm(rnn_bw.dh[step, 0]):.3e}"
    latex = "\n".join(x.value for x in at.latex)
    line = plug_in(lstm_bw, step, unit)
    assert f"= {sci(line['dc'])}" in latex
    if step >= 1:
        assert f"= {sci(line['prev_dc'])}$}}" in latex  # δc_{t-1}, the highlighted line
        assert f"{line['f']:.3f}" in latex
    assert f"**Step t = {step}**, {59 - step} steps back" in "".join(m.value for m in at.markdown)


def test_bptt_step_shows_the_hand_written_backward_and_moves_with_the_step(run_app, assert_app_ok):
    lstm_bw, rnn_bw = _bptt()
    at = run_app(page="gradients")
    assert_app_ok(at)
    assert at.select_slider(key="bptt_t_60").value == 59  # starts at the loss
    assert at.button(key="bptt_later").disabled
    assert_step_shown(at, lstm_bw, rnn_bw, 59)
    np.testing.assert_array_equal(at.dataframe[0].value.iloc[:, 0].to_numpy(), np.ones(6))  # δh_{T-1} = 1
    at.button(key="bptt_earlier").click().run()  # one step back
    assert_app_ok(at)
    assert at.select_slider(key="bptt_t_60").value == 58
    assert_step_shown(at, lstm_bw, rnn_bw, 58)
    at.select_slider(key="bptt_t_60").set_value(12).run()
    at.selectbox(key="bptt_unit").set_value(4).run()
    assert_app_ok(at)
    assert_step_shown(at, lstm_bw, rnn_bw, 12, unit=4)
    assert at.dataframe[0].value.iloc[:, 2].abs().max() < 1  # δc has shrunk since the loss
    at.select_slider(key="bptt_t_60").set_value(0).run()
    assert_app_ok(at)
    assert at.button(key="bptt_earlier").disabled
    assert_step_shown(at, lstm_bw, rnn_bw, 0, unit=4)
    # the random case: the same walk, on the unshifted model
    at.button(key="grad_show_random").click().run()
    assert_app_ok(at)
    lstm0, rnn0 = _bptt(shift=0.0)
    assert_step_shown(at, lstm0, rnn0, 0, unit=4)
    assert np.linalg.norm(lstm0.dc[0, 0]) < 1e-6 * np.linalg.norm(lstm_bw.dc[0, 0])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bptt_section_in_both_languages(run_app, assert_app_ok, app_text, lang):
    at = run_app(page="gradients", lang=lang, query={"num_layers": 2, "proj_size": 2, "hidden_size": 5})
    assert_app_ok(at)
    text = app_text(at)
    assert catalog(lang)["gradients.bptt.title"] in text
    lstm_bw, rnn_bw = _bptt(cfg=LSTMConfig(4, 5, num_layers=2, proj_size=2))
    frame = at.dataframe[0].value
    assert frame.shape == (5, 8)
    np.testing.assert_array_equal(frame.iloc[:, 0].to_numpy(), lstm_bw.dh_full[59, 0])  # W_hrᵀ δh_t with proj
    assert any(r"\colorbox" in x.value for x in at.latex)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_explanation_states_the_measured_spectrum_and_paths(run_app, assert_app_ok, lang):
    """The explanation's two measured sentences carry this configuration's numbers, recomputed here: the
    matched RNN's ‖W_hh‖₂ and spectral radius, and ‖∂L/∂x₀‖ through each path, worded by which is larger."""
    from lessons.facts import claims

    at = run_app(page="gradients", lang=lang)
    assert_app_ok(at)
    cfg = LSTMConfig(4, 6)
    w = matched_rnn(cfg, 0).state_dict()["weight_hh_l0"].double()
    norm, radius = torch.linalg.svdvals(w)[0].item(), np.abs(np.linalg.eigvals(w.numpy())).max()
    paths = claims.gradient_paths(cfg.build(0).state_dict(), seeded_input(60, 4, 0))
    text = "\n".join(m.value for m in at.markdown)
    assert f"{norm:.2f}" in text and f"{radius:.2f}" in text
    whh_key = "gradients.whh.grow" if norm > 1 else "gradients.whh.shrink"
    assert catalog(lang)[whh_key].format(norm=f"{norm:.2f}", radius=f"{radius:.2f}", H=6) in text
    assert paths.cell > paths.h  # random weights: the cell path carries what is left
    assert catalog(lang)["gradients.paths.cell"].format(T=60, full=f"{paths.full:.1e}", cell=f"{paths.cell:.1e}",
                                                       h=f"{paths.h:.1e}", seed=0) in text


def test_bptt_step_slider_runs_left_to_right_like_the_charts(run_app, assert_app_ok):
    """Time grows to the right on the charts and on the step slider: 0 … T-1, starting at the loss (right end);
    the earlier-step button sits left of the later-step one."""
    at = run_app(page="gradients")
    assert_app_ok(at)
    slider = at.select_slider(key="bptt_t_60")
    assert [int(o) for o in slider.options] == list(range(60)) and slider.value == 59
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["xaxis"].get("autorange") != "reversed"  # the chart above also runs left to right
    keys = [b.key for b in at.button if b.key in ("bptt_earlier", "bptt_later")]
    assert keys == ["bptt_earlier", "bptt_later"]
