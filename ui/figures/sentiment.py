"""Pure figure builders for the sentiment page (numpy in, go.Figure out; no streamlit)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ui.palette import colorscale


def token_figure(tokens: Sequence[str], values, quantity: str, labels: Mapping[str, str]) -> go.Figure:
    """Every token as a cell coloured by one unit's value (LSTMVis-style); the token is written in its cell."""
    z = [[float(v) for v in np.asarray(values, dtype=float)]]
    gate = quantity in ("i", "f", "o")
    fig = go.Figure(go.Heatmap(z=z, text=[list(tokens)], texttemplate="%{text}", textfont=dict(size=16),
                               colorscale=colorscale(quantity), zmin=0 if gate else -1, zmax=1, meta="tokens",
                               hovertemplate="%{text}: %{z:.4f}<extra></extra>", xgap=2))
    fig.update_layout(height=170, margin=dict(l=10, r=10, t=40, b=10), title=labels["title"],
                      yaxis=dict(visible=False), xaxis=dict(visible=False))
    return fig


def loss_figure(losses, labels: Mapping[str, str]) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(range(1, len(losses) + 1)), y=[float(v) for v in losses], meta="loss",
                               line=dict(color="#ff7f0e")))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), title=labels["title"],
                      xaxis_title=labels["step"], yaxis=dict(title=labels["loss"], type="log"))
    return fig
