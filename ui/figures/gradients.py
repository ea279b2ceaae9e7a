"""Pure figure builders for the gradient-flow page (numpy / GradFlow in, go.Figure out).

No streamlit here. Translated text comes in through ``labels`` (a dict of already translated strings). Every
data trace carries ``meta`` (e.g. ``"lstm_dh"``) so tests can find it and compare its numbers with the
engine's output. Zero or non-finite values are plotted as gaps (``None``) on log axes.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from ui.palette import GATE_COLORS

LSTM_COLOR = GATE_COLORS["h"]  # the LSTM's curves are teal (h), the RNN's dark grey, on every chart
RNN_COLOR = "#444444"
CUT_FILL = "rgba(120,120,120,0.12)"
BELOW = dict(orientation="h", yanchor="top", y=-0.2, x=0)  # legend under the x axis, clear of the title


def log_values(values) -> list[float | None]:
    """Positive finite values as floats, everything else (0, NaN, inf) as None: a gap on a log axis."""
    return [float(v) if np.isfinite(v) and v > 0 else None for v in np.asarray(values, dtype=float)]


def _line(y, name, meta, color, dash="solid", width=2.0, opacity=1.0, showlegend=True) -> go.Scatter:
    y = log_values(y)
    return go.Scatter(x=list(range(len(y))), y=y, name=name, meta=meta, mode="lines",
                      line=dict(color=color, dash=dash, width=width), opacity=opacity, showlegend=showlegend,
                      hovertemplate="t=%{x}<br>%{y:.3e}<extra>" + name + "</extra>")


def _cut_shading(fig: go.Figure, cut: int, label: str) -> None:
    if cut > 0:
        fig.add_vrect(x0=-0.5, x1=cut - 0.5, fillcolor=CUT_FILL, line_width=0, layer="below",
                      annotation_text=label, annotation_position="top left")
        fig.add_vline(x=cut - 0.5, line=dict(color="#777777", dash="dot", width=1))


def gradient_figure(lstm, rnn, labels: Mapping[str, str], *, quantity: str = "h", b: int = 0,
                    lstm_cut=None, rnn_cut=None, show_forget: bool = True) -> go.Figure:
    """‖∂L/∂h_t‖ (quantity "h", with ‖∂L/∂c_t‖ and mean ∏f) or ‖∂L/∂x_t‖ (quantity "x") against t, log y.

    ``lstm``/``rnn`` are `GradFlow` results; ``lstm_cut``/``rnn_cut`` the same with truncated BPTT (dashed).
    """
    fig = go.Figure()
    key = "dL_dh" if quantity == "h" else "dL_dx"
    fig.add_trace(_line(getattr(lstm, key)[:, b], labels[f"lstm_d{quantity}"], f"lstm_d{quantity}", LSTM_COLOR))
    if quantity == "h":
        fig.add_trace(_line(lstm.dL_dc[:, b], labels["lstm_dc"], "lstm_dc", GATE_COLORS["c"]))
    fig.add_trace(_line(getattr(rnn, key)[:, b], labels[f"rnn_d{quantity}"], f"rnn_d{quantity}", RNN_COLOR))
    if quantity == "h" and show_forget:
        fig.add_trace(_line(lstm.forget_product[:, b].mean(axis=-1), labels["forget_product"],
                            "forget_product_mean", GATE_COLORS["f"], dash="dot", width=2.5))
    for flow, who, color in ((lstm_cut, "lstm", LSTM_COLOR), (rnn_cut, "rnn", RNN_COLOR)):
        if flow is not None:
            fig.add_trace(_line(getattr(flow, key)[:, b], labels[f"{who}_d{quantity}_cut"],
                                f"{who}_d{quantity}_cut", color, dash="dash", width=3.5, opacity=0.7))
    cut = (lstm_cut or rnn_cut).cut if (lstm_cut or rnn_cut) is not None else 0
    _cut_shading(fig, cut, labels["cut"])
    fig.update_layout(
        title=labels[f"title_{quantity}"], xaxis_title=labels["t"], yaxis_title=labels[f"y_{quantity}"],
        yaxis_type="log", yaxis_exponentformat="power", height=470, margin=dict(l=10, r=10, t=50, b=10),
        legend=BELOW, hovermode="x unified",
    )
    return fig


def forget_product_figure(lstm, labels: Mapping[str, str], *, b: int = 0) -> go.Figure:
    """∏_{s>t} f_s for every unit (thin) and their mean (thick), log y."""
    prod = lstm.forget_product[:, b]  # (T, H)
    fig = go.Figure()
    for j in range(prod.shape[1]):
        fig.add_trace(_line(prod[:, j], labels["unit"].format(j=j), f"forget_product_u{j}", GATE_COLORS["f"],
                            width=1.0, opacity=0.35, showlegend=False))
    fig.add_trace(_line(prod.mean(axis=-1), labels["forget_product"], "forget_product_mean", GATE_COLORS["f"],
                        width=3.0))
    fig.update_layout(title=labels["title_forget"], xaxis_title=labels["t"], yaxis_title=labels["y_forget"],
                      yaxis_type="log", yaxis_exponentformat="power", height=380,
                      margin=dict(l=10, r=10, t=50, b=10), showlegend=True, legend=BELOW)
    return fig
