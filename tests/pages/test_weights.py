"""Weights page: every parameter listed; each gate block's heatmap holds exactly torch's slice of the stacked
matrix (weights from torch.manual_seed + nn.LSTM, computed here independently), hover names the slice."""

from __future__ import annotations

import base64
import json

import numpy as np
import torch

from ui.palette import GATE_COLORS

CONFIG = {"input_size": 3, "hidden_size": 5, "num_layers": 2, "bidirectional": True, "proj_size": 2, "seed": 7}


def _torch_params(**kw):
    torch.manual_seed(kw.pop("seed"))
    return {k: v.detach().numpy() for k, v in torch.nn.LSTM(**kw).state_dict().items()}


def _arr(value) -> np.ndarray:
    """A Plotly JSON array: a plain list, or a typed array {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return flat.reshape(shape) if shape else flat
    return np.array(value)


def _figs(at):
    return [json.loads(c.proto.spec) for c in at.main.get("plotly_chart")]


def test_table_lists_every_parameter(run_app, assert_app_ok):
    at = run_app(page="weights", query=CONFIG)
    assert_app_ok(at)
    sd = _torch_params(**CONFIG)
    df = at.main.table[0].value
    assert list(df["parameter"]) == list(sd)
    assert list(df["shape"]) == [str(tuple(v.shape)) for v in sd.values()]
    assert list(df["numbers"]) == [v.size for v in sd.values()]
    total = sum(v.size for v in sd.values())
    assert any(f"Total: {total} learnable numbers" in c.value for c in at.main.caption)


def test_gate_blocks_equal_torch_slices(run_app, assert_app_ok):
    at = run_app(page="weights", query=CONFIG)
    at.selectbox(key="weights_layer").set_value(1).run()
    at.radio(key="weights_direction").set_value(1).run()
    assert_app_ok(at)
    sd = _torch_params(**CONFIG)
    H = 5
    # layer 1 reads both directions of layer 0, each projected to P=2: 4 columns, not input_size
    assert "**4 columns** = 2·P = 2·2" in at.main.info[0].value
    figs = _figs(at)
    assert len(figs) == 4 + 4 + 1 + 1  # four gate blocks of weight_ih, four of weight_hh, the biases, weight_hr
    ih, hh, (bias, hr) = figs[:4], figs[4:8], figs[8:]
    for blocks, name, kind in ((ih, "weight_ih_l1_reverse", "i"), (hh, "weight_hh_l1_reverse", "h")):
        for k, (gate, fig) in enumerate(zip("ifgo", blocks, strict=True)):
            (trace,) = fig["data"]
            want = sd[name][k * H:(k + 1) * H]
            np.testing.assert_allclose(_arr(trace["z"]), want, rtol=1e-6, atol=0)
            assert list(_arr(trace["y"])) == list(range(k * H, (k + 1) * H))  # global row index in the hover
            assert f"W_{kind}{gate}</b> · {name}[{k * H}:{(k + 1) * H}, :]" in trace["hovertemplate"]
            assert fig["layout"]["title"]["text"] == f"<b>W_{kind}{gate}</b>  [{k * H}:{(k + 1) * H}, :]"
            assert trace["colorscale"][-1][1] == GATE_COLORS[gate]
    assert ih[2]["data"][0]["name"] == "weight_ih_l1_reverse[10:15, :]"
    assert _arr(ih[0]["data"][0]["z"]).shape == (5, 4) and _arr(hh[0]["data"][0]["z"]).shape == (5, 2)
    b_ih, b_hh = sd["bias_ih_l1_reverse"], sd["bias_hh_l1_reverse"]
    np.testing.assert_allclose(_arr(bias["data"][0]["y"]), b_ih, rtol=1e-6)
    np.testing.assert_allclose(_arr(bias["data"][1]["y"]), b_hh, rtol=1e-6)
    np.testing.assert_allclose(_arr(bias["data"][2]["y"]), b_ih + b_hh, rtol=1e-5)
    assert bias["data"][2]["customdata"][7][1] == "bias_ih_l1_reverse[5:10] + bias_hh_l1_reverse[5:10]"
    assert bias["data"][0]["marker"]["color"][5] == GATE_COLORS["f"]
    np.testing.assert_allclose(_arr(hr["data"][0]["z"]), sd["weight_hr_l1_reverse"], rtol=1e-6)


def test_no_bias_no_projection_first_layer(run_app, assert_app_ok, app_text):
    at = run_app(page="weights", query={"input_size": 4, "hidden_size": 3, "bias": False, "seed": 1}, lang="zh")
    assert_app_ok(at)
    figs = _figs(at)
    assert len(figs) == 8  # weight_ih and weight_hh only (four blocks each): no bias vectors, no weight_hr
    sd = _torch_params(input_size=4, hidden_size=3, bias=False, seed=1)
    np.testing.assert_allclose(_arr(figs[3]["data"][0]["z"]), sd["weight_ih_l0"][9:12], rtol=1e-6)
    text = app_text(at)
    assert "没有偏置向量" in text and "**4 列** = input_size" in text


def test_every_gate_heatmap_has_a_colour_bar_with_the_value_range(run_app, assert_app_ok):
    """A colour key under each block: the gate's own colour scale, ticks at −max|W|, 0, +max|W| of the whole
    stacked matrix (torch's numbers, so the four blocks compare), as wide as the block's plot."""
    at = run_app(page="weights", query=CONFIG)
    assert_app_ok(at)
    sd = _torch_params(**CONFIG)
    figs = _figs(at)
    for blocks, name in ((figs[:4], "weight_ih_l0"), (figs[4:8], "weight_hh_l0")):
        zmax = float(np.abs(sd[name]).max())
        for gate, fig in zip("ifgo", blocks, strict=True):
            (trace,) = fig["data"]
            assert trace["showscale"] is True
            bar = trace["colorbar"]
            assert bar["orientation"] == "h" and bar["len"] == 1.0 and bar["lenmode"] == "fraction"
            np.testing.assert_allclose(bar["tickvals"], [-zmax, 0.0, zmax], rtol=1e-6)
            assert bar["ticktext"] == [f"−{zmax:.2g}", "0", f"{zmax:.2g}"]
            assert (trace["zmin"], trace["zmax"]) == (bar["tickvals"][0], bar["tickvals"][2])
            assert trace["colorscale"][-1][1] == GATE_COLORS[gate]


def test_axes_keep_at_most_eight_tick_labels_and_every_block_names_its_axes(run_app, assert_app_ok):
    """A wide model (hidden_size 20, input_size 13): ticks thin out to at most eight per axis, still integer
    indices from 0; each block (stacked alone on a phone) carries both axis titles."""
    at = run_app(page="weights", query={"input_size": 13, "hidden_size": 20, "seed": 0})
    assert_app_ok(at)
    for fig in _figs(at)[:8]:
        x, y = fig["layout"]["xaxis"], fig["layout"]["yaxis"]
        cols, rows = len(_arr(fig["data"][0]["x"])), len(_arr(fig["data"][0]["y"]))
        assert x["tick0"] == 0 and y["tick0"] == 0 and x["dtick"] >= 1 and y["dtick"] >= 1
        assert len(range(0, cols, x["dtick"])) <= 8 and len(range(0, rows, y["dtick"])) <= 8
        assert x["title"]["text"] and y["title"]["text"] == "row (gate unit)"
