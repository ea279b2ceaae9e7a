"""Pure figure builders for the gradient-flow and what-if pages (numpy / GradFlow in, go.Figure out).

No streamlit here. Translated text comes in through ``labels`` (a dict of already translated strings). Every
data trace carries ``meta`` (e.g. ``"lstm_dh"``) so tests can find it and compare its numbers with the
engine's output. Zero or non-finite values are plotted as gaps (``None``) on log axes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.palette import GATE_COLORS, hex_to_rgba

LSTM_COLOR = GATE_COLORS["h"]  # the LSTM's curves are teal (h), the RNN's dark grey, on every chart
RNN_COLOR = "#444444"
CUT_FILL = "rgba(120,120,120,0.12)"
DIVERGING = [[0.0, "#2166ac"], [0.5, "#ffffff"], [1.0, "#b2182b"]]
CLAMP_FILL = "rgba(214,39,40,0.10)"
CLAMP_LINE = "#d62728"
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


# ----------------------------------------------------------------------------------------- what-if
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
                      margin=dict(l=10, r=10, t=50, b=10), yaxis=dict(autorange="reversed", dtick=1))
    return fig


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
    fig.update_xaxes(title_text=labels["t"], row=len(rows), col=1)
    fig.update_layout(title=labels["unit_title"].format(j=unit), height=170 * len(rows) + 80,
                      margin=dict(l=10, r=10, t=70, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return fig
