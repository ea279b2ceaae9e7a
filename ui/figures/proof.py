"""Pure figure builder for the proof page: each compared tensor's max |Δ| against its allowed bound."""

from __future__ import annotations

import plotly.graph_objects as go

PASS_COLOR = "#2e7d32"
FAIL_COLOR = "#c62828"
FLOOR = 1e-18  # exact zeros are drawn at this height on the log axis (hover says 0)


def diff_figure(names: list[str], diffs: list[float], bounds: list[float], passed: list[bool],
                diff_label: str, bound_label: str, y_title: str) -> go.Figure:
    """Bars: max |Δ| per tensor (log scale, green pass / red fail); markers: the allowed bound of each row."""
    heights = [d if d > FLOOR else FLOOR for d in diffs]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        x=names, y=heights, name=diff_label, customdata=[f"{d:.3g}" for d in diffs],
        marker_color=[PASS_COLOR if ok else FAIL_COLOR for ok in passed],
        hovertemplate="%{x}<br>" + diff_label + " = %{customdata}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=names, y=bounds, name=bound_label, mode="markers", marker=dict(symbol="line-ew-open", size=18,
                                                                        color="#555555", line_width=2),
        hovertemplate="%{x}<br>" + bound_label + " = %{y:.3g}<extra></extra>",
    ))
    fig.update_yaxes(type="log", title_text=y_title, exponentformat="power")
    fig.update_xaxes(tickangle=-45)
    fig.update_layout(height=380, margin=dict(l=50, r=10, t=30, b=110), bargap=0.25,
                      legend=dict(orientation="h", y=1.08, x=0))
    return fig
