"""Pure figure builders for the weights page: parameter arrays in, Plotly figures out (no streamlit).

``weight_ih_l{k}`` / ``weight_hh_l{k}`` are stacked ``[W_·i | W_·f | W_·g | W_·o]`` along rows (gate order
i, f, g, o, each block H rows). Each block gets its own heatmap figure in its gate colour (the page lays the
four in columns, which stack on a phone); the y axis carries the *global* row index so hovering names the exact
slice and element, e.g. ``weight_ih_l1_reverse[12:18, :]``.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lstm_core.cell import GATES  # i, f, g, o: the order of the row blocks, torch's and the engine's
from ui.palette import GATE_COLORS, NEGATIVE_COLOR

BIAS_SUM_COLOR = "#333333"
MAX_TICKS = 8  # tick labels along an axis at most: a block stays legible at a phone's width


def signed_scale(color: str) -> list[list]:
    """Grey (negative) - white (0) - ``color`` (positive): weights are signed."""
    return [[0.0, NEGATIVE_COLOR], [0.5, "#ffffff"], [1.0, color]]


def block_slice(name: str, gate_index: int, hidden_size: int, matrix: bool = True) -> str:
    """``weight_ih_l1_reverse[12:18, :]`` (or ``bias_hh_l0[6:12]``): the rows of one gate's block."""
    lo, hi = gate_index * hidden_size, (gate_index + 1) * hidden_size
    return f"{name}[{lo}:{hi}, :]" if matrix else f"{name}[{lo}:{hi}]"


def block_symbol(kind: str, gate: str) -> str:
    """W_ii, W_hf, ... (torch's docstring names): kind 'ih' or 'hh'."""
    return f"W_{kind[0]}{gate}"


def _zmax(a: np.ndarray) -> float:
    return max(float(np.max(np.abs(a))) if a.size else 0.0, 1e-12)


def _int_ticks(n: int) -> dict:
    """Integer ticks (indices): one per row/column when there are few, else every few (at most MAX_TICKS)."""
    return dict(tickmode="linear", tick0=0, dtick=1 if n <= MAX_TICKS else math.ceil(n / MAX_TICKS))


COLORBAR_SPACE = 58  # px under the x axis title for the block's colour bar


def _colorbar(zmax: float) -> dict:
    """A horizontal colour bar under the block, as wide as its plot, in its gate colour, ticks at −max, 0,
    +max: the value range shared by the four blocks. Placed from the figure's bottom edge, clear of the axis
    title."""
    return dict(orientation="h", thickness=12, len=1.0, lenmode="fraction", x=0.5, xanchor="center",
                y=0.0, yref="container", yanchor="bottom", ypad=8, outlinewidth=0,
                tickvals=[-zmax, 0.0, zmax], ticktext=[tick(-zmax), "0", tick(zmax)], tickangle=0,
                tickfont=dict(size=13))


def tick(v: float) -> str:
    """A colour bar's end label: two significant digits, a real minus sign (fits a phone-wide bar)."""
    return f"{v:.2g}".replace("-", "−")


def gate_block_figure(weight: np.ndarray, name: str, hidden_size: int, kind: str, gate_index: int,
                      x_title: str, y_title: str) -> go.Figure:
    """The heatmap of one gate's block (W_·i, W_·f, W_·g or W_·o) of a stacked (4H, in) weight, on the colour
    range of the whole matrix (so the four blocks compare), with its own colour bar.

    One figure per block: the page puts the four in columns, side by side on a wide screen and one under the
    other on a phone (Streamlit stacks columns there), each then as wide as the screen.
    kind: "ih" (columns are input features) or "hh" (columns are units of h_{t-1}).
    """
    weight = np.asarray(weight, dtype=float)
    rows, cols = weight.shape
    assert rows == 4 * hidden_size, (name, weight.shape, hidden_size)
    gate = GATES[gate_index]
    zmax = _zmax(weight)
    lo = gate_index * hidden_size
    sl = block_slice(name, gate_index, hidden_size)
    fig = go.Figure(go.Heatmap(
        z=weight[lo:lo + hidden_size], x=list(range(cols)), y=list(range(lo, lo + hidden_size)), name=sl,
        colorscale=signed_scale(GATE_COLORS[gate]), zmin=-zmax, zmax=zmax, zmid=0.0,
        showscale=True, colorbar=_colorbar(zmax), xgap=1, ygap=1,
        hovertemplate=(f"<b>{block_symbol(kind, gate)}</b> · {sl}<br>{name}[%{{y}}, %{{x}}]"
                       " = %{z:.5f}<extra></extra>"),
    ))
    fig.update_yaxes(autorange="reversed", title_text=y_title, **_int_ticks(hidden_size))
    fig.update_xaxes(title_text=x_title, **_int_ticks(cols))
    height = min(150 + 22 * hidden_size, 600) + COLORBAR_SPACE
    # the symbol and its rows: short enough for a quarter of a laptop's main area (the section heading above names
    # the matrix, the hover gives the whole slice, e.g. weight_ih_l0_reverse[12:18, :])
    fig.update_layout(title=dict(text=f"<b>{block_symbol(kind, gate)}</b>  [{lo}:{lo + hidden_size}, :]",
                                 font_size=13, x=0, xanchor="left"),
                      height=height, margin=dict(l=50, r=12, t=40, b=44 + COLORBAR_SPACE))
    return fig


def bias_figure(b_ih: np.ndarray, b_hh: np.ndarray, name_ih: str, name_hh: str, hidden_size: int,
                sum_label: str, x_title: str, gate_label: str = "gate") -> go.Figure:
    """Three rows of 4H bars (b_ih, b_hh, and their sum, the only thing the gates see), coloured by gate.

    ``gate_label`` is the translated word for "gate" in the hover text ("gate f · bias_ih_l0[6:12]")."""
    b_ih, b_hh = np.asarray(b_ih, dtype=float), np.asarray(b_hh, dtype=float)
    total = b_ih + b_hh
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=[name_ih, name_hh, sum_label])
    x = np.arange(4 * hidden_size)
    gate_of = [GATES[j // hidden_size] for j in x]
    colors = [GATE_COLORS[g] for g in gate_of]
    sum_name = f"({name_ih} + {name_hh})"
    rows = ((b_ih, name_ih), (b_hh, name_hh), (total, sum_name))
    for row, (values, label) in enumerate(rows, start=1):
        if row < 3:
            slices = [block_slice(label, GATES.index(g), hidden_size, matrix=False) for g in gate_of]
        else:
            slices = [" + ".join(block_slice(n, GATES.index(g), hidden_size, matrix=False)
                                 for n in (name_ih, name_hh)) for g in gate_of]
        fig.add_trace(go.Bar(
            x=x, y=values, name=label, marker_color=colors,
            marker_line_color=BIAS_SUM_COLOR, marker_line_width=1 if row == 3 else 0,
            customdata=np.array([[g, s] for g, s in zip(gate_of, slices, strict=True)], dtype=object),
            hovertemplate=f"{gate_label} %{{customdata[0]}} · %{{customdata[1]}}<br>{label}[%{{x}}] = %{{y:.5f}}"
                          "<extra></extra>",
            showlegend=False,
        ), row=row, col=1)
    for k in range(1, 4):  # block boundaries
        fig.add_vline(x=k * hidden_size - 0.5, line_dash="dot", line_color="#999999")
    fig.update_xaxes(title_text=x_title, row=3, col=1)
    fig.update_layout(height=460, margin=dict(l=40, r=10, t=40, b=40), bargap=0.1)
    return fig


def projection_figure(weight_hr: np.ndarray, name: str, x_title: str, y_title: str) -> go.Figure:
    """Heatmap of ``weight_hr_l{k}`` (P, H): h_t = W_hr (o_t ⊙ tanh c_t), in the colour of h."""
    weight_hr = np.asarray(weight_hr, dtype=float)
    zmax = _zmax(weight_hr)
    fig = go.Figure(go.Heatmap(
        z=weight_hr, x=list(range(weight_hr.shape[1])), y=list(range(weight_hr.shape[0])), name=name,
        colorscale=signed_scale(GATE_COLORS["h"]), zmin=-zmax, zmax=zmax, zmid=0.0, xgap=1, ygap=1,
        hovertemplate=f"{name}[%{{y}}, %{{x}}] = %{{z:.5f}}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title_text=y_title, **_int_ticks(weight_hr.shape[0]))
    fig.update_xaxes(title_text=x_title, **_int_ticks(weight_hr.shape[1]))
    fig.update_layout(title=f"{name}  ({weight_hr.shape[0]}, {weight_hr.shape[1]})",
                      height=min(160 + 22 * weight_hr.shape[0], 600), margin=dict(l=40, r=10, t=50, b=40))
    return fig
