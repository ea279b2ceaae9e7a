"""Pure figure builders for the Learn page (numbers in, go.Figure out; no streamlit).

Translated text comes in through ``labels``. Every data trace carries ``meta`` (``"loss"``, ``"quality"``,
``"c_after"``, ...) so tests find it and compare its numbers with what the trainer returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.palette import GATE_COLORS

LOSS_COLOR = "#444444"
QUALITY_COLOR = "#2ca02c"
BEFORE_DASH = "dot"


def training_curve(losses: Sequence[float], history: Sequence[tuple[int, float]], labels: Mapping[str, str],
                   total_steps: int | None = None) -> go.Figure:
    """Training loss per step (log scale, left) and evaluation quality every few steps (right)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=list(range(1, len(losses) + 1)), y=[float(v) for v in losses], mode="lines",
                             name=labels["loss"], meta="loss", line=dict(color=LOSS_COLOR, width=1.5)),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=[int(s) for s, _ in history], y=[float(q) for _, q in history],
                             mode="lines+markers", name=labels["quality"], meta="quality",
                             line=dict(color=QUALITY_COLOR, width=2), marker=dict(size=4)),
                  secondary_y=True)
    positive = [float(v) for v in losses if v > 0]
    many_decades = bool(positive) and max(positive) / min(positive) > 10
    fig.update_yaxes(title_text=labels["loss"], type="log", secondary_y=False, exponentformat="power",
                     dtick=1 if many_decades else None)  # one tick per decade, no crowded minor labels
    qualities = [float(q) for _, q in history] or [0.0]
    low = min(0.0, min(qualities))  # R² can start below 0; accuracy and R² end near 1
    fig.update_yaxes(title_text=labels["quality"], secondary_y=True, range=[low - 0.02, 1.02], showgrid=False,
                     tickmode="auto", nticks=6)
    fig.update_xaxes(title_text=labels["step"], range=[0, max(total_steps or 0, len(losses), 1)])
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.12),
                      uirevision="learn-curve")
    return fig


def unit_figure(c_before: Sequence[float], c_after: Sequence[float], f_before: Sequence[float],
                f_after: Sequence[float], labels: Mapping[str, str], tokens: Sequence[str] | None = None
                ) -> go.Figure:
    """The task unit on one evaluation sequence: c_t (top) and f_t (bottom), initial vs trained weights."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(labels["c_title"], labels["f_title"]))
    steps = list(range(len(c_after)))
    for row, name, before, after in ((1, "c", c_before, c_after), (2, "f", f_before, f_after)):
        color = GATE_COLORS[name]
        fig.add_trace(go.Scatter(x=steps, y=list(before), mode="lines+markers", name=labels["before"],
                                 meta=f"{name}_before", line=dict(color=color, dash=BEFORE_DASH, width=1.5),
                                 opacity=0.6, legendgroup="before", showlegend=row == 1), row=row, col=1)
        fig.add_trace(go.Scatter(x=steps, y=list(after), mode="lines+markers", name=labels["after"],
                                 meta=f"{name}_after", line=dict(color=color, width=2.5),
                                 legendgroup="after", showlegend=row == 1), row=row, col=1)
    fig.update_yaxes(range=[0, 1.02], row=2, col=1)
    if tokens:
        fig.update_xaxes(tickmode="array", tickvals=steps, ticktext=list(tokens)[: len(steps)], row=2, col=1)
    fig.update_xaxes(title_text=labels["t"], row=2, col=1)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=70, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0))
    return fig
