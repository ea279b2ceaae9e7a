"""Pure figure builders for the "GRU beside LSTM" page (numpy in, go.Figure out; no streamlit).

Every data trace carries ``meta`` (``lstm_i`` ... ``gru_n``, ``loss_lstm``, ``loss_gru``) for the tests.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.palette import GATE_COLORS

GRU_COLORS = {"r": "#e377c2", "z": "#8c564b", "n": "#bcbd22", "h": GATE_COLORS["h"]}
LSTM_LINE = GATE_COLORS["c"]
GRU_LINE = GRU_COLORS["r"]
BELOW = dict(orientation="h", yanchor="top", y=-0.3, x=0)


def _values(v) -> list[float | None]:
    return [None if not np.isfinite(x) else float(x) for x in np.asarray(v, dtype=float).ravel()]


def gates_figure(lstm: Mapping[str, object], gru: Mapping[str, object], labels: Mapping[str, str]) -> go.Figure:
    """Left: LSTM's i, f, g, o (and c, h) per unit at one step; right: GRU's r, z, n (and h)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["lstm"], labels["gru"]), shared_yaxes=True)
    for col, (values, colors, prefix) in enumerate(((lstm, GATE_COLORS, "lstm"), (gru, GRU_COLORS, "gru")), 1):
        for name, vec in values.items():
            y = _values(vec)
            fig.add_trace(go.Bar(x=[str(u) for u in range(len(y))], y=y, name=f"{prefix.upper()} {name}",
                                 meta=f"{prefix}_{name}", marker_color=colors[name]), row=1, col=col)
    fig.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=80, b=10), legend=BELOW,
                      title=labels["title"])
    fig.update_xaxes(title_text=labels["unit"])
    return fig


def loss_figure(lstm_loss, gru_loss, labels: Mapping[str, str]) -> go.Figure:
    steps = list(range(len(lstm_loss)))
    fig = go.Figure([
        go.Scatter(x=steps, y=_values(lstm_loss), name="LSTM", meta="loss_lstm", line=dict(color=LSTM_LINE)),
        go.Scatter(x=steps, y=_values(gru_loss), name="GRU", meta="loss_gru", line=dict(color=GRU_LINE)),
    ])
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), legend=BELOW, title=labels["title"],
                      xaxis_title=labels["step"], yaxis=dict(title=labels["loss"], type="log"))
    return fig
