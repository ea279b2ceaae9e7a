"""Pure figure builders for the Start page (lesson dataclasses in, go.Figure out; no streamlit).

Translated text comes in through ``labels``; every data trace carries ``meta`` so tests can find it and
compare its numbers with the lesson's.
"""
from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from ui.figures.gradients import LSTM_COLOR, RNN_COLOR, log_values
from ui.palette import GATE_COLORS

# The legend sits above the plot, clear of the x axis's title (below, it ran into it).
_LAYOUT = dict(height=300, margin=dict(l=10, r=10, t=60, b=10),
               legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def vanishing_figure(v, labels: Mapping[str, str]) -> go.Figure:
    """‖∂L/∂h_t‖ per step for the RNN, the LSTM and the LSTM with a raised forget bias (log y)."""
    fig = go.Figure()
    for meta, y, color, dash in (("rnn", v.rnn, RNN_COLOR, "dot"), ("lstm", v.lstm, LSTM_COLOR, "solid"),
                                 ("lstm_bias", v.lstm_bias, GATE_COLORS["f"], "dash")):
        fig.add_scatter(x=list(range(len(y))), y=log_values(y), name=labels[meta], meta=meta, mode="lines",
                        line=dict(color=color, dash=dash, width=2),
                        hovertemplate=labels["x"] + " = %{x}<br>%{y:.2e}<extra>" + labels[meta] + "</extra>")
    fig.update_layout(**_LAYOUT, xaxis_title=labels["x"], yaxis_title=labels["y"], yaxis_type="log",
                      yaxis_exponentformat="power")  # 10⁻⁶, not "1μ"
    return fig


def loss_figure(training, labels: Mapping[str, str]) -> go.Figure:
    """Training loss per optimiser step, with the always-the-mean baseline."""
    steps = list(range(1, len(training.losses) + 1))
    fig = go.Figure()
    fig.add_scatter(x=steps, y=training.losses, name=labels["loss"], meta="loss", mode="lines+markers",
                    line=dict(color=LSTM_COLOR), hovertemplate="%{x}: %{y:.4f}<extra></extra>")
    fig.add_scatter(x=[steps[0], steps[-1]], y=[training.baseline] * 2, name=labels["baseline"],
                    meta="baseline", mode="lines", line=dict(color=RNN_COLOR, dash="dot"))
    fig.update_layout(**_LAYOUT, xaxis_title=labels["x"], yaxis_title=labels["y"])
    return fig
