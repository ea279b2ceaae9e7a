"""Pure figure builders for the Learn page's initialisation comparison (a ``lessons.learn_init.Comparison`` in,
go.Figure out; no streamlit). Translated text comes in through ``labels``; every data trace carries ``meta``
``"loss:<init>:<forget bias>"`` or ``"quality:<init>:<forget bias>"`` so tests find it and compare its numbers."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

COLORS = {"default": "#7f7f7f", "orthogonal": "#9467bd"}
DASHES = {0.0: "solid", 1.0: "dash"}
TARGET_COLOR = "#2ca02c"


def tag(kind: str, init: str, forget_bias: float) -> str:
    return f"{kind}:{init}:{forget_bias:g}"


def _layout(fig: go.Figure, labels: Mapping[str, str], title: str, y_title: str) -> go.Figure:
    fig.update_xaxes(title_text=labels["step"])
    fig.update_yaxes(title_text=y_title)
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10),
                      title=dict(text=title, font=dict(size=14), x=0, xanchor="left"),
                      legend=dict(orientation="h", yanchor="top", y=-0.3, x=0, font=dict(size=11)))
    return fig


def loss_curves(comp, labels: Mapping[str, str]) -> go.Figure:
    """The training loss of each variant at every step, averaged over the seeds (log scale)."""
    fig = go.Figure()
    for v in comp.variants:
        loss = v.mean_loss()
        fig.add_trace(go.Scatter(x=list(range(1, len(loss) + 1)), y=loss, mode="lines",
                                 name=labels[f"{v.init}:{v.forget_bias:g}"], meta=tag("loss", v.init, v.forget_bias),
                                 line=dict(color=COLORS[v.init], dash=DASHES[v.forget_bias], width=1.6)))
    fig.update_yaxes(type="log", exponentformat="power", dtick=1)  # one tick per decade
    return _layout(fig, labels, labels["loss_title"], labels["loss"])


def quality_curves(comp, labels: Mapping[str, str]) -> go.Figure:
    """Each variant's quality on the evaluation batch every few steps, averaged over the seeds, and the target."""
    fig = go.Figure()
    low = 0.0
    for v in comp.variants:
        points = v.mean_quality()
        low = min(low, *(q for _, q in points))
        fig.add_trace(go.Scatter(x=[s for s, _ in points], y=[q for _, q in points], mode="lines",
                                 name=labels[f"{v.init}:{v.forget_bias:g}"],
                                 meta=tag("quality", v.init, v.forget_bias),
                                 line=dict(color=COLORS[v.init], dash=DASHES[v.forget_bias], width=2)))
    fig.add_hline(y=comp.target, line=dict(color=TARGET_COLOR, dash="dot", width=1),
                  annotation_text=labels["target"], annotation_position="bottom right")
    fig.update_yaxes(range=[max(low, -1.0) - 0.02, 1.02])
    return _layout(fig, labels, labels["quality_title"], labels["quality"])
