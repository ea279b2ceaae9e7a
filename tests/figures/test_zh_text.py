"""No English in a Chinese figure: every hover text, trace name, title, axis title and annotation a figure module
writes is built from the labels it is given (here the zh catalog's, as the views pass them) or is a symbol.

Hover text cannot be seen in a screenshot, so it is read from the figure objects: each string of the figure's
dict that a reader sees (``hovertemplate``, ``hovertext``, ``name``, ``text``, titles, annotations) passes
the same English-word check as the zh catalogs (tests/test_zh_voice.py), after Plotly's ``%{...}`` fields and
HTML tags are removed."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest

from lstm_core import LSTMConfig, shapes
from tests.test_zh_voice import english_words
from ui.figures import gru, heads, learn, proof, start, weights, whatif
from ui.figures.shapes import tensor_blocks
from ui.i18n import translate

SEEN = {"hovertemplate", "hovertext", "name", "text", "title", "ticktext"}
# torch's own symbols for the axes of a shape (``(seq_len, batch, input_size)``), each followed in the hover by
# its translated meaning: "2 batch: 序列条数（批次）"
SYMBOLS = {"batch"}


def zh(*keys: str, prefix: str = "", **fmt) -> dict[str, str]:
    return {k: translate("zh", prefix + k, **fmt) for k in keys}


def seen_strings(node, key: str = "") -> list[str]:
    """Every string of a figure dict under a key a reader sees (titles are dicts with a ``text``)."""
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            if k in ("meta", "customdata", "x", "y", "z", "colorscale", "legendgroup", "uid"):
                continue
            if k == "annotations":
                out += [a.get("text", "") for a in v]
            else:
                out += seen_strings(v, k)
        return out
    if isinstance(node, (list, tuple)):
        return [s for item in node for s in seen_strings(item, key)]
    if isinstance(node, str) and key in SEEN:
        return [node]
    return []


def english_in(fig) -> set[str]:
    words = set()
    for text in seen_strings(fig.to_dict()):
        text = re.sub(r"%\{[^}]*\}|<[^>]*>", " ", text)  # Plotly's fields and HTML tags
        words |= english_words(text)
    return words - SYMBOLS


def _figures():
    rng = np.random.default_rng(0)
    H = 3
    yield "proof", proof.diff_figure(["output", "h_n"], [0.0, 1e-7], [1e-5, 1e-5], [True, True],
                                     translate("zh", "proof.col_diff"), translate("zh", "proof.col_bound"),
                                     translate("zh", "proof.axis_diff"))
    yield "weights.blocks", weights.gate_block_figure(rng.normal(size=(4 * H, 2)), "weight_ih_l0", H, "ih", 1,
                                                     translate("zh", "weights.axis_input"),
                                                     translate("zh", "weights.axis_row"))
    yield "weights.bias", weights.bias_figure(rng.normal(size=4 * H), rng.normal(size=4 * H), "bias_ih_l0",
                                              "bias_hh_l0", H, translate("zh", "weights.bias_sum"),
                                              translate("zh", "weights.axis_row"), translate("zh", "weights.gate"))
    yield "weights.proj", weights.projection_figure(rng.normal(size=(2, H)), "weight_hr_l0",
                                                    translate("zh", "weights.axis_hidden_full"),
                                                    translate("zh", "weights.axis_proj"))
    v = SimpleNamespace(rnn=np.geomspace(1e-9, 1, 6), lstm=np.geomspace(1e-4, 1, 6), lstm_bias=np.ones(6))
    yield "start.time", start.vanishing_figure(v, zh("rnn", "lstm", "lstm_bias", "x", "y", prefix="start.time."))
    training = SimpleNamespace(losses=[1.0, 0.5, 0.2], baseline=0.9)
    yield "start.training", start.loss_figure(training, zh("loss", "baseline", "x", "y", prefix="start.training."))
    keys = ("t", "unit", "feature", "unclamped", "clamped", "unit_title", "q_i", "q_f", "q_g", "q_o", "q_c", "q_h")
    labels = zh(*keys, prefix="whatif.fig.")
    yield "whatif.delta", whatif.delta_heatmap(rng.normal(size=(4, 3)), labels, translate("zh", "whatif.fig.delta_c"),
                                               "delta_c", [1, 2], [0])
    series = {q: rng.normal(size=4) for q in "fch"}
    yield "whatif.unit", whatif.unit_whatif_figure(series, series, labels, ["f"], [1, 2], 0)
    yield "heads.compare", heads.compare_figure(rng.normal(size=3), rng.normal(size=3),
                                                {"right": "h_n[-1]", "wrong": "output[:, -1]",
                                                 "unit": translate("zh", "heads.unit"),
                                                 "title": translate("zh", "heads.last.fig", b=0)}, "last")
    yield "heads.attention", heads.attention_figure([0.2, 0.8], [0.5, 0.5], ["我", "爱"],
                                                    zh("masked", "plain", "weight", prefix="heads.attn.")
                                                    | {"title": translate("zh", "heads.attn.fig", b=0)})
    yield "learn.curve", learn.training_curve([1.0, 0.5, 0.1], [(0, 0.1), (3, 0.9)],
                                              {"loss": translate("zh", "learn.loss.memory"),
                                               "quality": translate("zh", "learn.metric.accuracy"),
                                               "step": translate("zh", "learn.step")})
    yield "learn.unit", learn.unit_figure([0, 1], [0, 1], [0.5, 0.5], [0.9, 0.9],
                                          {"c_title": translate("zh", "learn.fig.c", unit=0),
                                           "f_title": translate("zh", "learn.fig.f", unit=0),
                                           "before": translate("zh", "learn.before"),
                                           "after": translate("zh", "learn.after"), "t": "t"})
    lstm_vals = {g: rng.normal(size=2) for g in ("i", "f", "g", "o", "c", "h")}
    gru_vals = {g: rng.normal(size=2) for g in ("r", "z", "n", "h")}
    yield "gru.gates", gru.gates_figure(lstm_vals, gru_vals, zh("lstm", "gru", "unit", prefix="gru.step.")
                                        | {"title": translate("zh", "gru.step.fig", t=0, b=0, layer=0, direction=0)})
    yield "gru.loss", gru.loss_figure([1.0, 0.5], [1.0, 0.4], {"title": translate("zh", "gru.race.fig", task="x"),
                                                                "step": translate("zh", "gru.race.step"),
                                                                "loss": translate("zh", "gru.race.loss")})
    roles = ("seq_len batch input_size packed_rows layers_x_directions h_out hidden_size proj_size "
             "directions_x_h_out gates_x_hidden layer_input").split()
    block = {f"role.{r}": translate("zh", f"shapes.role.{r}") for r in roles}
    block |= {k: translate("zh", f"shapes.fig.{k}") for k in ("forward", "backward", "more", "layer_dir")}
    rep = shapes(LSTMConfig(input_size=3, hidden_size=2, num_layers=2, bidirectional=True), batch_size=2,
                 seq_len=8)
    yield "shapes.blocks", tensor_blocks(rep, block)


FIGURES = list(_figures())


@pytest.mark.parametrize("name,fig", FIGURES, ids=[n for n, _ in FIGURES])
def test_no_english_in_a_chinese_figure(name, fig):
    assert not english_in(fig), f"{name}: English in the zh figure: {sorted(english_in(fig))}"


def test_the_check_sees_hover_text():
    """The bias hover used to say "gate f · …" whatever the language: the check must see such a word."""
    fig = weights.bias_figure(np.zeros(4), np.zeros(4), "bias_ih_l0", "bias_hh_l0", 1, "和", "行")
    assert english_in(fig) == {"gate"}
    hover = weights.bias_figure(np.zeros(4), np.zeros(4), "bias_ih_l0", "bias_hh_l0", 1, "和", "行",
                                translate("zh", "weights.gate")).data[0].hovertemplate
    assert hover.startswith("门 %{customdata[0]}")
    diff = proof.diff_figure(["h_n"], [0.0], [1e-5], [True], translate("zh", "proof.col_diff"), "界", "轴")
    assert diff.data[0].hovertemplate == "%{x}<br>最大 |Δ| = %{customdata}<extra></extra>"
