"""Stepper page through app.py: figures, diagram and equations equal the engine's trace; inputs; bad CSVs."""
from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import torch

from lessons import sources as src
from lessons import stepper as trace_export
from lstm_core import LSTMConfig, trace
from ui.figures.stepper import fmt

SMALL = {"hidden_size": 3, "seq_len": 4, "batch_size": 2, "input_size": 2}


def chart(at, view: str) -> dict:
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [f for f in figs if f["layout"].get("meta", {}).get("view") == view]
    assert len(found) == 1, [f["layout"].get("meta") for f in figs]
    return found[0]


def arr(value) -> np.ndarray:
    """A Plotly JSON array: plain lists (None = NaN) or Plotly's typed arrays {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = [int(n) for n in str(value.get("shape", out.size)).split(",")]
        return out.reshape(shape).astype(float)
    if value and isinstance(value[0], list):
        return np.array([[np.nan if v is None else v for v in row] for row in value], dtype=float)
    return np.array([np.nan if v is None else v for v in value], dtype=float)


def z_of(fig: dict, name: str) -> np.ndarray:
    trace_ = next(d for d in fig["data"] if d.get("type") == "heatmap" and d.get("name") == name)
    return arr(trace_["z"])


def expected_trace(cfg_kwargs: dict, batch, seed: int = 0):
    cfg = LSTMConfig(**cfg_kwargs)
    model = cfg.build(seed=seed, dtype=torch.float32).eval()
    return trace(model, batch.model_input(cfg)).numpy()


def random_trace(q: dict, seed: int = 0):
    batch = src.random_batch(q["batch_size"], q["seq_len"], q["input_size"], seed)
    kw = {k: v for k, v in q.items() if k not in ("batch_size", "seq_len")}
    return expected_trace(kw, batch, seed)


def cursor_x(fig: dict, name: str) -> float:
    cur = next(d for d in fig["data"] if d.get("name") == name)
    return cur["x"][0]


def heat_cursor(fig: dict) -> int:
    """The timestep the heatmaps' cursor (one trace in paper coordinates) points at."""
    from ui.figures.stepper import grid_cursor_t

    cur = next(d for d in fig["data"] if d.get("name") == "cursor_grid")
    t = grid_cursor_t(cur)
    assert abs(t - round(t)) < 1e-9
    return round(t)


def latex(at) -> str:
    return "\n".join(el.value for el in at.latex)


def test_heatmaps_equal_the_trace_for_every_gate(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL)
    assert_app_ok(at)
    tr = random_trace(SMALL)
    fig = chart(at, "heatmaps")
    for q in ("f", "i", "g", "o", "c", "h"):
        np.testing.assert_allclose(z_of(fig, q), getattr(tr[0, 0], q)[:, 0, :].T, rtol=1e-6, atol=1e-7)
    # sigmoid gates on a fixed 0..1 colour range
    f_map = next(d for d in fig["data"] if d.get("name") == "f")
    assert (f_map["zmin"], f_map["zmax"]) == (0, 1)


def test_layer_direction_and_batch_selectors_pick_the_matching_slice(run_app, assert_app_ok):
    q = {**SMALL, "num_layers": 2, "bidirectional": True}
    at = run_app(page="stepper", query=q)
    at.selectbox(key="layer").set_value(1).run()
    at.selectbox(key="direction").set_value(1).run()
    at.selectbox(key="batch_index").set_value(1).run()
    assert_app_ok(at)
    tr = random_trace({k: v for k, v in q.items()})
    fig = chart(at, "heatmaps")
    assert fig["layout"]["meta"] == {"view": "heatmaps", "layer": 1, "direction": 1, "b": 1, "t": 3}
    np.testing.assert_allclose(z_of(fig, "f"), tr[1, 1].f[:, 1, :].T, rtol=1e-6, atol=1e-7)
    # backward cursor starts at the end of the sequence
    assert heat_cursor(fig) == 3
    concat = chart(at, "concat")
    both = np.concatenate([tr[1, 0].h[:, 1, :], tr[1, 1].h[:, 1, :]], axis=1)
    np.testing.assert_allclose(z_of(concat, "output"), both.T, rtol=1e-6, atol=1e-7)
    # output[t] = [h→_t ; h←_t] at the backward cursor t = 3, and it is the engine's real `output`
    np.testing.assert_allclose(tr.output_padded[3, 1], both[3], rtol=1e-6, atol=1e-7)
    out_line = next(el.value for el in at.latex if r"\text{output}[3]" in el.value)
    assert f"{{{fmt(both[3, 0])}}},\\ {{{fmt(both[3, 1])}}}" in out_line
    assert f"\\big|\\;{{{fmt(both[3, 3])}}}" in out_line


def test_timestep_moves_the_cursor_and_the_equations_show_the_trace_values(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL)
    at.selectbox(key="unit").set_value(2).run()
    tr = random_trace(SMALL)[0, 0]
    torch.manual_seed(0)
    ref = torch.nn.LSTM(2, 3)  # the same weights as the app's model (cfg.build(seed=0))
    for t in (2, 3, 0):
        at.slider(key="timestep").set_value(t).run()
        assert_app_ok(at)
        fig = chart(at, "heatmaps")
        assert heat_cursor(fig) == t and fig["layout"]["meta"]["t"] == t
        grid = next(d for d in fig["data"] if d.get("name") == "cursor_grid")
        x0, y0, w, h, W = grid["meta"]["cells"][0]
        assert W == 3 and grid["y"][3] == pytest.approx(y0 + h * (1 - 2 / W))  # the box sits on unit 2's row
        lines = chart(at, "unit_lines")
        assert cursor_x(lines, "cursor") == t
        dots = next(d for d in lines["data"] if d.get("name") == "cursor")
        expected = [getattr(tr, q)[t, 0, 2] for q in ("f", "i", "o", "g", "c", "h")]
        np.testing.assert_allclose(arr(dots["y"])[2:], expected, rtol=1e-6, atol=1e-7)
        eqs = latex(at)
        for gate in ("i", "f", "g", "o"):
            assert f"({fmt(getattr(tr, 'pre_' + gate)[t, 0, 2])}) = {fmt(getattr(tr, gate)[t, 0, 2])}" in eqs
        assert f"= {fmt(tr.c[t, 0, 2])}" in eqs and f"= {fmt(tr.h[t, 0, 2])}" in eqs
        # the input's share of each gate, checked against torch.nn.LSTM's own weights
        x_t = torch.tensor(tr.x[t, 0])
        shares = re.findall(r"\\underbrace\{\(?(-?[0-9.]+)\)?\}_\{x_t\} \+ \\underbrace\{\(?(-?[0-9.]+)\)?\}", eqs)
        assert len(shares) == 4
        for n, gate in enumerate(("i", "f", "g", "o")):
            row = n * 3 + 2
            with torch.no_grad():
                xin = float(ref.weight_ih_l0[row] @ x_t + ref.bias_ih_l0[row] + ref.bias_hh_l0[row])
            rec = float(getattr(tr, "pre_" + gate)[t, 0, 2]) - xin
            assert abs(float(shares[n][0]) - xin) < 1.1e-3 and abs(float(shares[n][1]) - rec) < 1.1e-3
        svg = next(m.value for m in at.markdown if "lstm-cell-diagram" in m.value)
        assert f"f = {fmt(tr.f[t, 0, 2])}" in svg and f">{fmt(tr.c[t, 0, 2])}<" in svg
        assert f"{fmt(tr.f[t, 0, 2])}" in at.info[0].value  # the explanation uses the same numbers
    at.button(key="step_next").click().run()
    assert at.slider(key="timestep").value == 1
    at.button(key="step_prev").click().run()
    at.button(key="step_prev").click().run()
    assert at.slider(key="timestep").value == 3  # wraps around


def test_projection_step_is_shown(run_app, assert_app_ok):
    q = {**SMALL, "hidden_size": 4, "proj_size": 2}
    at = run_app(page="stepper", query=q)
    assert_app_ok(at)
    tr = random_trace(q)[0, 0]
    fig = chart(at, "projection")
    np.testing.assert_allclose(arr(fig["data"][0]["y"]), tr.h_full[0, 0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(arr(fig["data"][1]["y"]), tr.h[0, 0], rtol=1e-6, atol=1e-7)
    assert "W_{hr}" in latex(at) and fmt(tr.h[0, 0, 1]) in latex(at)
    assert z_of(chart(at, "heatmaps"), "h").shape == (2, 4)


def test_text_source_is_packed_and_padded_steps_are_nan_gaps(run_app, assert_app_ok, app_text):
    at = run_app(page="stepper", query={**SMALL, "input_source": "text"})
    assert_app_ok(at)
    batch = src.text_batch(src_default_text(), 2, 0)
    assert batch.lengths == [4, 5]
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    fig = chart(at, "heatmaps")
    z = z_of(fig, "f")
    assert np.isnan(z[:, 4]).all() and not np.isnan(z[:, :4]).any()  # "我爱中国" has 4 tokens of 5
    np.testing.assert_allclose(z[:, :4], tr[0, 0].f[:4, 0, :].T, rtol=1e-6, atol=1e-7)
    assert fig["layout"]["xaxis"]["ticktext"][:4] == ["0:我", "1:爱", "2:中", "3:国"]
    at.slider(key="timestep").set_value(4).run()
    assert_app_ok(at)
    assert "padding" in at.info[0].value
    at.selectbox(key="batch_index").set_value(1).run()
    assert chart(at, "heatmaps")["layout"]["xaxis"]["ticktext"][3] == "3:not"
    assert "PackedSequence" in app_text(at)
    # the choice is in the URL (small parameters of the chosen source only)
    assert at.query_params["input_source"] == "text" and at.query_params["input_text"] == src_default_text()
    assert "sine_freq" not in at.query_params


def src_default_text() -> str:
    from ui.inputs import DEFAULT_TEXT

    return DEFAULT_TEXT


def test_sine_and_csv_sources_feed_the_stepper(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "input_source": "sine", "sine_freq": "1, 2", "sine_noise": "0"})
    assert_app_ok(at)
    assert at.query_params["sine_freq"] == "1, 2" and "input_text" not in at.query_params
    batch = src.sine_batch(2, 4, 2, "1, 2", "0, 1.57", "0", 0)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    np.testing.assert_allclose(z_of(chart(at, "heatmaps"), "c"), tr[0, 0].c[:, 0, :].T, rtol=1e-5, atol=1e-6)

    text = "1,2\n3,4\n5,6\n\n7,8\n"
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": text})
    assert_app_ok(at)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, src.csv_batch(text, 2))
    z = z_of(chart(at, "heatmaps"), "i")
    np.testing.assert_allclose(z, tr[0, 0].i[:, 0, :].T, rtol=1e-6, atol=1e-7)
    at.selectbox(key="batch_index").set_value(1).run()
    assert np.isnan(z_of(chart(at, "heatmaps"), "i")[:, 1:]).all()


BAD_CSVS = [
    (" \n\n", "The input is empty"),
    ("1,2\n3,4,5\n", "Row 2 has 3 values; expected 2"),
    ("1,2\n3,x\n", "Row 2, column 2: 'x' is not a number"),
    ("1,nan\n", "NaN and Inf are not allowed"),
    ("1,inf\n", "NaN and Inf are not allowed"),
    ("\n".join(["1,2"] * 201), "at most 200 are allowed"),
    ("\n\n".join(["1,2"] * 17), "17 sequences given; at most 16"),
]


@pytest.mark.parametrize("bad,message", BAD_CSVS)
def test_bad_csv_shows_the_message_and_keeps_the_previous_sequence(run_app, assert_app_ok, bad, message):
    good = "1,2\n3,4\n"
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": good})
    before = chart(at, "heatmaps")
    at.text_area(key="csv_text").set_value(bad).run()
    assert_app_ok(at)
    errors = [e.value for e in at.error]
    assert any(message in e for e in errors), errors
    assert any("previous input sequence is still in use" in e for e in errors)
    assert chart(at, "heatmaps")["data"] == before["data"]  # the previous sequence stays
    assert tuple(at.session_state["input_batch"].data.shape) == (1, 2, 2)


def test_bad_csv_message_in_chinese(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL, lang="zh", session={"input_source": "csv", "csv_text": "1,2,3\n"})
    assert_app_ok(at)
    assert any("第 1 行有 3 个值；应为 2 个" in e.value for e in at.error)
    assert any("遗忘门" in i.value for i in at.info)


def test_trace_download_contents():
    cfg = LSTMConfig(input_size=2, hidden_size=3, bidirectional=True)
    batch = src.text_batch("我爱中国\n你好", 2, 0)
    tr = trace(cfg.build(seed=0), batch.model_input(cfg))
    arrays = tr.arrays()
    npz = np.load(io.BytesIO(trace_export.to_npz(arrays)))
    np.testing.assert_array_equal(npz["l0_d1_f"], arrays["l0_d1_f"])
    rows = trace_export.to_csv(arrays).splitlines()
    assert rows[0] == "array,i0,i1,i2,value"
    assert f"l0_d1_f,2,0,1,{float(arrays['l0_d1_f'][2, 0, 1])!r}" in rows
    assert "l0_d0_c,3,1,0,nan" in rows  # padding of the 2-token sentence
    assert len(rows) == 1 + sum(np.asarray(a).size for a in arrays.values())


def test_moving_the_cursor_equals_rebuilding_and_large_heatmaps_are_thinned_in_time():
    from ui.figures import stepper as fs

    rng = np.random.default_rng(0)
    series = {q: rng.random((7, 3)) for q in fs.QUANTITIES}
    order = list(range(6, -1, -1))  # a backward direction
    moved = fs.move_cursor(fs.heatmaps_figure(series, order, 1, unit=2), order, 4, unit=2)
    fresh = fs.heatmaps_figure(series, order, 4, unit=2)
    assert [(d.x, d.y) for d in moved.data if d.name.startswith("cursor")] == \
        [(d.x, d.y) for d in fresh.data if d.name.startswith("cursor")]
    assert moved.layout.sliders[0].active == fresh.layout.sliders[0].active == 4
    unit = {q: series[q][:, 1] for q in fs.LINE_ORDER}
    moved = fs.move_cursor(fs.unit_lines_figure(unit, order, 0), order, 5, dots=unit)
    fresh = fs.unit_lines_figure(unit, order, 5)
    assert moved.data[-1].y == fresh.data[-1].y and moved.data[-1].x == fresh.data[-1].x

    big = {q: rng.random((200, 64)) for q in fs.QUANTITIES}
    fig = fs.heatmaps_figure(big, list(range(200)), 0)
    stride = fs.time_stride(200, 64)
    assert stride == 3
    f_map = next(d for d in fig.data if d.name == "f")
    assert list(f_map.x) == list(range(0, 200, 3))
    np.testing.assert_allclose(f_map.z, big["f"][::3].T, rtol=1e-6)
    assert len(fig.frames) == fs.MAX_FRAME_TRACES and len(fig.frames[7].data) == 1  # one cursor trace, thinned


@pytest.mark.parametrize("session,message", [
    ({"input_source": "sine", "sine_freq": "1, two"}, "'1, two' is not a list of numbers"),
    ({"input_source": "sine", "sine_noise": "-0.5"}, "noise must not be negative"),
    ({"input_source": "text", "input_text": "  \n "}, "The text has no tokens"),
])
def test_bad_sine_or_text_input_gives_a_message(run_app, assert_app_ok, session, message):
    at = run_app(page="stepper", query=SMALL, session=session)
    assert_app_ok(at)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 2  # the stepper still runs on the previous (random) input


def test_new_input_in_the_same_session_redraws_the_figures(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": "1,2\n3,4\n"})
    at.slider(key="timestep").set_value(1).run()
    other = "0.5,-1\n2,0\n-3,1\n"
    at.text_area(key="csv_text").set_value(other).run()
    assert_app_ok(at)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, src.csv_batch(other, 2))
    fig = chart(at, "heatmaps")
    np.testing.assert_allclose(z_of(fig, "g"), tr[0, 0].g[:, 0, :].T, rtol=1e-6, atol=1e-7)
    assert heat_cursor(fig) == at.slider(key="timestep").value


@pytest.mark.parametrize("query", [
    {"seq_len": 1, "batch_size": 1, "input_size": 1, "hidden_size": 1},
    {"seq_len": 3, "batch_size": 2, "input_size": 3, "hidden_size": 4, "num_layers": 3, "bidirectional": True,
     "proj_size": 2, "batch_first": True, "bias": False},
])
def test_edge_configurations_render_the_trace(run_app, assert_app_ok, query):
    at = run_app(page="stepper", query=query)
    assert_app_ok(at)
    last, d = query.get("num_layers", 1) - 1, 1 if query.get("bidirectional") else 0
    at.selectbox(key="layer").set_value(last).run()
    at.selectbox(key="direction").set_value(d).run()
    assert_app_ok(at)
    tr = random_trace({"num_layers": 1, **query})
    fig = chart(at, "heatmaps")
    for q in ("i", "c", "h"):
        np.testing.assert_allclose(z_of(fig, q), getattr(tr[last, d], q)[:, 0, :].T, rtol=1e-5, atol=1e-6)
    assert heat_cursor(fig) == (query["seq_len"] - 1 if d else 0)


def test_random_input_with_lengths_is_packed_and_bad_lengths_are_explained(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "input_lengths": "4, 2"})
    assert_app_ok(at)
    at.selectbox(key="batch_index").set_value(1).run()
    z = z_of(chart(at, "heatmaps"), "o")
    batch = src.with_lengths(src.random_batch(2, 4, 2, 0), [4, 2])
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    assert np.isnan(z[:, 2:]).all()
    np.testing.assert_allclose(z[:, :2], tr[0, 0].o[:2, 1, :].T, rtol=1e-6, atol=1e-7)
    at = run_app(page="stepper", query={**SMALL, "input_lengths": "4, 2, 1"})
    assert_app_ok(at)
    assert any("3 lengths given for 2 sequences" in e.value for e in at.error)


def test_cursor_and_selectors_live_in_the_url(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "timestep": 3, "unit": 1, "batch_index": 1})
    assert_app_ok(at)
    assert at.slider(key="timestep").value == 3 and at.selectbox(key="unit").value == 1
    fig = chart(at, "heatmaps")
    assert heat_cursor(fig) == 3 and fig["layout"]["meta"]["b"] == 1
    at.slider(key="timestep").set_value(2).run()
    assert at.query_params["timestep"] == "2" and at.query_params["unit"] == "1"
    at = run_app(page="stepper", query={**SMALL, "timestep": 99})  # past this sequence's end: clamped
    assert_app_ok(at)
    assert at.slider(key="timestep").value == 3
