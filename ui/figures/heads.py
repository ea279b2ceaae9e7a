"""Pure figure builders for the "use the outputs" page (numpy in, go.Figure out; no streamlit).

Translated text comes in through ``labels``. Every data trace carries ``meta`` so tests can compare its
numbers with lessons.heads.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.palette import GATE_COLORS

RIGHT_COLOR = GATE_COLORS["h"]
WRONG_COLOR = "#d62728"
BELOW = dict(orientation="h", yanchor="top", y=-0.25, x=0)


def _values(v) -> list[float]:
    return [float(x) for x in np.asarray(v, dtype=float).ravel()]


def compare_figure(right, wrong, labels: Mapping[str, str], meta: str) -> go.Figure:
    """Two vectors unit by unit: the right reading (teal) next to the mistake (red)."""
    units = [str(u) for u in range(len(_values(right)))]
    fig = go.Figure([
        go.Bar(x=units, y=_values(right), name=labels["right"], meta=f"{meta}_right", marker_color=RIGHT_COLOR),
        go.Bar(x=units, y=_values(wrong), name=labels["wrong"], meta=f"{meta}_wrong", marker_color=WRONG_COLOR),
    ])
    fig.update_layout(barmode="group", height=260, margin=dict(l=10, r=10, t=30, b=10), legend=BELOW,
                      title=labels.get("title", ""), xaxis_title=labels["unit"])
    return fig


def step_ticks(steps: Sequence[str]) -> list[str]:
    """Unique category labels, one per step: "t=3" stays "t=3"; a token gets its step below it ("good<br>t=4"),
    so a repeated word is still two bars."""
    return [s if s == f"t={k}" else f"{s}<br>t={k}" for k, s in enumerate(steps)]


def attention_figure(weights, weights_plain, steps: Sequence[str], labels: Mapping[str, str]) -> go.Figure:
    """Softmax weights over the timesteps (x: tokens or t=…), masked and unmasked."""
    x = step_ticks(steps)
    fig = go.Figure([
        go.Bar(x=x, y=_values(weights), name=labels["masked"], meta="attention_weights", marker_color=RIGHT_COLOR),
        go.Bar(x=x, y=_values(weights_plain), name=labels["plain"], meta="attention_plain",
               marker_color=WRONG_COLOR, opacity=0.6),
    ])
    fig.update_layout(barmode="group", height=280, margin=dict(l=10, r=10, t=30, b=10), legend=BELOW,
                      title=labels["title"], yaxis=dict(title=labels["weight"], range=[0, 1.05]))
    return fig
