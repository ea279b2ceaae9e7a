"""Pure figure builders for the what-if page (numpy in, go.Figure out): the clamped − unclamped heatmaps and
one unit's series, unclamped vs clamped. No streamlit; translated text comes in through ``labels``; every data
trace carries ``meta`` so tests can find it and compare its numbers with the engine's trace.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.palette import GATE_COLORS, hex_to_rgba

DIVERGING = [[0.0, "#2166ac"], [0.5, "#ffffff"], [1.0, "#b2182b"]]
CLAMP_FILL = "rgba(214,39,40,0.10)"
CLAMP_LINE = "#d62728"


def step_runs(steps: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs of steps as (first, last) pairs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for s in sorted(set(int(s) for s in steps)):
        if runs and runs[-1][1] == s - 1:
            runs[-1] = (runs[-1][0], s)
        else:
            runs.append((s, s))
    return runs


def _steps_shading(fig: go.Figure, steps: Sequence[int], **where) -> None:
    """Shade each run of consecutive clamped steps."""
    for a, z in step_runs(steps):
        fig.add_vrect(x0=a - 0.5, x1=z + 0.5, fillcolor=CLAMP_FILL, line_width=0, layer="below", **where)


def delta_heatmap(delta: np.ndarray, labels: Mapping[str, str], title: str, meta: str,
                  clamped_steps: Sequence[int] = (), clamped_units: Sequence[int] | None = None,
                  row_label: str = "unit") -> go.Figure:
    """Heatmap of clamped − unclamped, ``delta`` (T, N): time across, units down, diverging around 0.

    The clamped cells (``clamped_steps`` × ``clamped_units``) are framed in red; without units (e.g. the output,
    whose rows are not hidden units) a red line marks the first clamped step.
    """
    z = np.asarray(delta, dtype=float).T  # (N, T)
    finite = z[np.isfinite(z)]
    m = float(np.abs(finite).max()) if finite.size else 0.0
    m = m if m > 0 else 1.0
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=list(range(z.shape[1])), y=list(range(z.shape[0])), meta=meta, zmin=-m, zmax=m,
        colorscale=DIVERGING, colorbar=dict(title="Δ", thickness=12),
        hovertemplate=labels["t"] + "=%{x}, " + labels[row_label] + "=%{y}<br>Δ=%{z:.4g}<extra></extra>",
    ))
    frame = dict(color=CLAMP_LINE, width=2)
    if clamped_units is None:
        if len(clamped_steps):
            fig.add_vline(x=min(clamped_steps) - 0.5, line=frame)
    else:
        for a, b in step_runs(clamped_steps):
            for u in clamped_units:
                fig.add_shape(type="rect", x0=a - 0.5, x1=b + 0.5, y0=u - 0.5, y1=u + 0.5, line=frame)
    fig.update_layout(title=title, xaxis_title=labels["t"], yaxis_title=labels[row_label], height=300,
                      margin=dict(l=10, r=10, t=50, b=10), yaxis=dict(autorange="reversed", dtick=1),
                      xaxis=time_axis(z.shape[1]))
    return fig


def time_axis(T: int, most: int = 20) -> dict:
    """An x axis of whole time steps: ticks at integers only, at most about ``most`` of them."""
    return dict(tick0=0, dtick=max(1, -(-T // most)), tickformat="d")


def unit_whatif_figure(base: Mapping[str, np.ndarray], clamped: Mapping[str, np.ndarray],
                       labels: Mapping[str, str], gates: Sequence[str], clamped_steps: Sequence[int],
                       unit: int) -> go.Figure:
    """One unit over time, unclamped (solid) vs clamped (dashed): the clamped gates, c and h.

    ``base``/``clamped`` map a quantity name ("f", "c", "h", ...) to that unit's (T,) series.
    """
    rows = [*gates, "c", "h"]
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[labels[f"q_{q}"] for q in rows])
    for r, q in enumerate(rows, start=1):
        y0, y1 = np.asarray(base[q], dtype=float), np.asarray(clamped[q], dtype=float)
        x = list(range(len(y0)))
        color = GATE_COLORS[q]
        fig.add_trace(go.Scatter(x=x, y=y0.tolist(), name=labels["unclamped"], meta=f"base_{q}", mode="lines+markers",
                                 line=dict(color=hex_to_rgba(color, 0.55), width=2), marker=dict(size=4),
                                 legendgroup="base", showlegend=r == 1), row=r, col=1)
        fig.add_trace(go.Scatter(x=x, y=y1.tolist(), name=labels["clamped"], meta=f"clamped_{q}",
                                 mode="lines+markers", line=dict(color=color, width=2, dash="dash"),
                                 marker=dict(size=4, symbol="x"), legendgroup="clamped", showlegend=r == 1),
                      row=r, col=1)
        _steps_shading(fig, clamped_steps, row=r, col=1)
    fig.update_xaxes(**time_axis(len(base[rows[0]])))
    fig.update_xaxes(title_text=labels["t"], row=len(rows), col=1)
    fig.update_layout(title=labels["unit_title"].format(j=unit), height=170 * len(rows) + 80,
                      margin=dict(l=10, r=10, t=70, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig
