"""Pure builders for the stepper page: numpy slices of a trace in, Plotly figures / SVG / LaTeX out.

No streamlit here. Every array is one (layer, direction, batch element) slice of ``Trace.numpy()``, shaped
``(T, W)`` (time major, real time order). ``order`` is the direction's ``visit_order`` (backward: T-1..0) and
``k`` the cursor position in that order, so the backward cursor runs from the end to the start.
"""
from __future__ import annotations

import math
from pathlib import Path
from string import Template

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots  # only for the small projection figure

from ui.palette import GATE_COLORS, SIGMOID_GATES, colorscale, hex_to_rgba

QUANTITIES = ("f", "i", "g", "o", "c", "h")
LINE_ORDER = ("f", "i", "o", "g", "c", "h")  # legend order of the unit line plot
CELL_SVG = Path(__file__).resolve().parents[2] / "assets" / "cell.svg"
CURSOR_COLOR = "#111111"


def fmt(v: float, nd: int = 3) -> str:
    """A number as shown everywhere on the stepper (equations, diagram, explanation)."""
    if v is None or not math.isfinite(float(v)):
        return "—"
    s = f"{float(v):.{nd}f}"
    return "0." + "0" * nd if s == "-0." + "0" * nd else s


def value_range(name: str, z: np.ndarray) -> tuple[float, float]:
    """Colour range: sigmoid gates 0..1, g (tanh) -1..1, c and h symmetric around 0."""
    if name in SIGMOID_GATES:
        return 0.0, 1.0
    finite = z[np.isfinite(z)]
    m = float(np.max(np.abs(finite))) if finite.size else 1.0
    if name == "g" or (name == "h" and m <= 1.0):
        return -1.0, 1.0
    return -max(m, 1e-6), max(m, 1e-6)


MAX_HEATMAP_CELLS = 6000  # per heatmap; longer/wider ones are drawn with every s-th timestep


def time_stride(T: int, width: int) -> int:
    """Draw every s-th timestep so a heatmap has at most MAX_HEATMAP_CELLS cells (1 = all of them)."""
    return max(1, -(-T * width // MAX_HEATMAP_CELLS))


def _heat_z(z: np.ndarray, stride: int) -> tuple[np.ndarray, list[int]]:
    """(W, T') float32 values and the timesteps they show; float32 because the trace is float32."""
    z = np.asarray(z, dtype=np.float32)
    return z[::stride].T, list(range(0, z.shape[0], stride))


def _time_axis(T: int, labels):
    if labels and any(labels):
        return dict(tickmode="array", tickvals=list(range(T)), ticktext=[f"{t}:{lab}" for t, lab in
                                                                          zip(range(T), labels, strict=False)])
    return dict(tickmode="auto")


def _grid_cursor_xy(t: int, T: int, cells, unit: int | None):
    """The heatmaps' cursors as ONE trace in paper coordinates (an invisible full-figure axis pair): for
    each heatmap ``(x0, y0, w, h, W)`` a vertical line through column t and a box around (t, unit).
    One trace instead of six makes the animation frames six times cheaper to build and send."""
    xs, ys = [], []
    for x0, y0, w, h, W in cells:
        px = x0 + w * (t + 0.5) / T
        xs += [px, px, None]
        ys += [y0, y0 + h, None]
        if unit is not None and 0 <= unit < W:
            xl, xr = x0 + w * t / T, x0 + w * (t + 1) / T
            yt, yb = y0 + h * (1 - unit / W), y0 + h * (1 - (unit + 1) / W)
            xs += [xl, xr, xr, xl, xl, None]
            ys += [yt, yt, yb, yb, yt, None]
    return xs, ys


def grid_cursor_t(trace_dict: dict) -> float:
    """The timestep the heatmaps' cursor points at (inverse of the paper-coordinate mapping; for tests)."""
    T, (x0, _, w, _, _) = trace_dict["meta"]["T"], trace_dict["meta"]["cells"][0]
    return (trace_dict["x"][0] - x0) / w * T - 0.5


MAX_FRAME_TRACES = 100  # frames x cursor traces above which the in-browser animation is thinned out


def _frame_steps(n: int, per_frame: int) -> list[int]:
    """Which cursor positions get a Plotly frame: all of them, or evenly spaced ones for long sequences."""
    most = max(2, MAX_FRAME_TRACES // max(per_frame, 1))
    if n <= most:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, most).round().astype(int).tolist()))


def _animate(fig: go.Figure, cursor_traces: list[int], make_xy, order, k: int) -> None:
    """Add Plotly frames (only the cursor traces change), a slider and play/pause buttons, so playing runs
    in the browser without a server round trip per frame. Long sequences get evenly spaced frames."""
    steps = _frame_steps(len(order), len(cursor_traces))
    fig.frames = [go.Frame(name=str(kk), data=[make_xy(idx, order[kk]) for idx in cursor_traces],
                           traces=cursor_traces) for kk in steps]
    anim = dict(frame=dict(duration=350, redraw=False), transition=dict(duration=150), mode="immediate")
    every = max(1, -(-len(steps) // 20))  # at most ~20 labelled slider ticks
    fig.update_layout(
        updatemenus=[dict(type="buttons", showactive=False, direction="left", x=0.0, y=-0.11,
                          xanchor="left", yanchor="top", pad=dict(t=0, r=6),
                          buttons=[dict(label="▶", method="animate", args=[None, dict(anim, fromcurrent=True)]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                           mode="immediate")])])],
        sliders=[dict(active=_slider_index(steps, k), x=0.1, len=0.9, y=-0.11, yanchor="top", pad=dict(t=0, b=0),
                      currentvalue=dict(visible=False),
                      steps=[dict(label=str(order[kk]) if n % every == 0 else "", method="animate",
                                  args=[[str(kk)], dict(anim, frame=dict(duration=0, redraw=False))])
                             for n, kk in enumerate(steps)])],
    )


def _slider_index(steps: list[int], k: int) -> int:
    return int(np.argmin([abs(s - k) for s in steps]))


def move_cursor(fig: go.Figure, order, k: int, unit: int | None = None, dots=None) -> go.Figure:
    """Move the cursor of a figure built by this module to ``order[k]`` in place (cheap: the heatmaps and
    lines are not rebuilt when stepping). ``dots`` is ``{quantity: (T,) values}`` for the line plot."""
    t = order[k]
    with fig.batch_update():
        for tr in fig.data:
            name = tr.name or ""
            if name == "cursor_grid":
                tr.x, tr.y = _grid_cursor_xy(t, tr.meta["T"], tr.meta["cells"], unit)
            elif name == "cursor":  # line plot: the vertical line, then one dot per quantity
                tr.x = [t] * len(tr.x)
                if dots is not None:
                    tr.y = [*tr.y[:2], *(float(v[t]) for v in dots.values())]
            elif name == "cursor_fwd":  # concat figure: both directions after k steps
                tr.x = [k, k]
            elif name == "cursor_bwd":
                tr.x = [len(order) - 1 - k] * 2
        if fig.frames:  # the frames are the cursor positions _animate chose; the slider has one step each
            fig.layout.sliders[0].active = _slider_index(_frame_steps(len(order), 1), k)
    return fig


def heatmaps_figure(series: dict[str, np.ndarray], order, k: int, unit: int | None = None,
                    labels=None, titles: dict[str, str] | None = None, animate: bool = True) -> go.Figure:
    """Six heatmaps (time on x, unit on y) for f, i, g, o, c, h with the cursor at ``order[k]``.

    ``series[q]`` is ``(T, W)``; z of each heatmap is its transpose (W, T). NaN (padding) is drawn empty.
    Laid out by hand (2 x 3 axis domains) rather than with make_subplots, which is several times slower.
    """
    titles = titles or {}
    names = [q for q in QUANTITIES if q in series]
    T = next(iter(series.values())).shape[0]
    hs, vs = 0.06, 0.16
    w, h = (1 - 2 * hs) / 3, (1 - vs) / 2
    data, layout, cells, annotations = [], {}, [], []
    for n, q in enumerate(names):
        row, col = divmod(n, 3)
        ax = "" if n == 0 else str(n + 1)
        x0, y0 = col * (w + hs), (1 - h) if row == 0 else 0.0
        z = np.asarray(series[q], dtype=float)
        W = z.shape[1]
        # fixed ranges (no zoom): the cursor trace is drawn in paper coordinates on top of all six
        layout[f"xaxis{ax}"] = dict(domain=[x0, x0 + w], anchor=f"y{ax}", range=[-0.5, T - 0.5], fixedrange=True,
                                    **_time_axis(T, labels))
        layout[f"yaxis{ax}"] = dict(domain=[y0, y0 + h], anchor=f"x{ax}", range=[W - 0.5, -0.5], fixedrange=True)
        annotations.append(dict(text=titles.get(q, q), x=x0 + w / 2, y=y0 + h, xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=13)))
        lo, hi = value_range(q, z)
        zs, xs_ = _heat_z(z, time_stride(T, W))
        data.append(go.Heatmap(z=zs, x=xs_, y=list(range(W)), zmin=lo, zmax=hi,
                               colorscale=colorscale(q), showscale=False, name=q, xaxis=f"x{ax}", yaxis=f"y{ax}",
                               hovertemplate=f"{q}: %{{z:.3f}}<br>t=%{{x}} unit=%{{y}}<extra></extra>"))
        cells.append((x0, y0, w, h, W))
    overlay = str(len(names) + 1)
    layout[f"xaxis{overlay}"] = dict(domain=[0, 1], range=[0, 1], visible=False, fixedrange=True,
                                     anchor=f"y{overlay}")
    layout[f"yaxis{overlay}"] = dict(domain=[0, 1], range=[0, 1], visible=False, fixedrange=True,
                                     anchor=f"x{overlay}")
    xs, ys = _grid_cursor_xy(order[k], T, cells, unit)
    data.append(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=CURSOR_COLOR, width=2), hoverinfo="skip",
                           showlegend=False, name="cursor_grid", xaxis=f"x{overlay}", yaxis=f"y{overlay}",
                           meta=dict(T=T, cells=cells)))
    # transparent plot areas: the overlay axis pair spans the whole figure and must not hide the heatmaps
    fig = go.Figure(data=data, layout=dict(height=520, margin=dict(l=10, r=10, t=40, b=110),
                                           plot_bgcolor="rgba(0,0,0,0)", annotations=annotations, **layout))
    if animate and len(order) > 1:
        def xy(idx, t):
            xs, ys = _grid_cursor_xy(t, T, cells, unit)
            return go.Scatter(x=xs, y=ys)
        _animate(fig, [len(data) - 1], xy, order, k)
    return fig


def unit_lines_figure(series: dict[str, np.ndarray], order, k: int, labels=None,
                      names: dict[str, str] | None = None, animate: bool = True) -> go.Figure:
    """Line plot of one unit's f, i, o, g, c, h over time (``series[q]`` is ``(T,)``), cursor at order[k]."""
    names = names or {}
    T = len(next(iter(series.values())))
    fig = go.Figure()
    for q in LINE_ORDER:
        if q in series:
            fig.add_trace(go.Scatter(x=list(range(T)), y=np.asarray(series[q], dtype=float), name=names.get(q, q),
                                     mode="lines+markers", line=dict(color=GATE_COLORS[q], width=2,
                                                                     dash="dot" if q in ("c", "h") else None),
                                     connectgaps=False))
    finite = np.concatenate([np.asarray(v, dtype=float).ravel() for v in series.values()])
    finite = finite[np.isfinite(finite)]
    lo = min(-1.05, float(finite.min()) if finite.size else -1.05)
    hi = max(1.05, float(finite.max()) if finite.size else 1.05)
    qs = [q for q in LINE_ORDER if q in series]

    def cursor(t):
        """The vertical line (lo..hi) and one dot per quantity, all at x = t, as one trace."""
        return go.Scatter(x=[t] * (2 + len(qs)), y=[lo, hi, *(float(series[q][t]) for q in qs)],
                          mode="lines+markers", line=dict(color=CURSOR_COLOR, width=2),
                          marker=dict(size=[0, 0, *[11] * len(qs)], line=dict(width=1.5, color="#000"),
                                      color=[CURSOR_COLOR, CURSOR_COLOR, *(GATE_COLORS[q] for q in qs)]),
                          hoverinfo="skip", showlegend=False, name="cursor")

    fig.add_trace(cursor(order[k]))
    fig.update_xaxes(**_time_axis(T, labels))
    fig.update_yaxes(range=[lo, hi], zeroline=True)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=110), legend=dict(orientation="h", y=1.12),
                      plot_bgcolor="#ffffff")
    if animate and len(order) > 1:
        def xy(idx, t):  # frames carry only what moves; style stays from the trace itself
            return go.Scatter(x=[t] * (2 + len(qs)), y=[lo, hi, *(float(series[q][t]) for q in qs)])
        _animate(fig, [len(fig.data) - 1], xy, order, k)
    return fig


def concat_figure(h_fwd: np.ndarray, h_bwd: np.ndarray, k: int, labels=None,
                  title: str = "", names=("→", "←")) -> go.Figure:
    """Bidirectional output ``[h_fwd | h_bwd]`` as one heatmap (time × 2·H_out) with the forward cursor
    at t = k on the top half and the backward cursor at t = T-1-k on the bottom half."""
    T, P = h_fwd.shape
    z = np.concatenate([h_fwd, h_bwd], axis=1)
    lo, hi = value_range("h", z)
    zs, xs_ = _heat_z(z, time_stride(T, 2 * P))
    fig = go.Figure(go.Heatmap(z=zs, x=xs_, y=list(range(2 * P)), zmin=lo, zmax=hi,
                               colorscale=colorscale("h"), showscale=True, name="output",
                               hovertemplate="output: %{z:.3f}<br>t=%{x} feature=%{y}<extra></extra>"))
    tb = T - 1 - k
    fig.add_trace(go.Scatter(x=[k, k], y=[-0.5, P - 0.5], mode="lines+text", line=dict(color="#111", width=3),
                             text=["", names[0]], textposition="top center", name="cursor_fwd", showlegend=False))
    fig.add_trace(go.Scatter(x=[tb, tb], y=[P - 0.5, 2 * P - 0.5], mode="lines+text",
                             line=dict(color="#111", width=3, dash="dot"), text=["", names[1]],
                             textposition="bottom center", name="cursor_bwd", showlegend=False))
    fig.add_hline(y=P - 0.5, line=dict(color="#555", width=2))
    fig.update_xaxes(**_time_axis(T, labels))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=40, b=30), plot_bgcolor="#fff")
    return fig


def concat_latex(h_fwd_t, h_bwd_t, t: int, output_t=None, layer_out: int | None = None, n: int = 3) -> str:
    """``output[t] = [h→_t ; h←_t]`` with numbers. ``output_t`` (the engine's output row) is shown when
    given — it equals the concatenation; ``layer_out`` names the next layer's input instead of ``output``."""
    P = len(h_fwd_t)
    row = np.asarray(output_t if output_t is not None else np.concatenate([h_fwd_t, h_bwd_t]), dtype=float)

    def part(v):
        return ",\\ ".join("{" + fmt(x) + "}" for x in v[:n]) + (r",\ \dots" if len(v) > n else "")

    lhs = rf"\text{{output}}[{t}]" if layer_out is None else rf"x^{{({layer_out})}}_{{{t}}}"
    return (rf"{lhs} = [\,\overrightarrow{{h}}_{{{t}}}\,;\,\overleftarrow{{h}}_{{{t}}}\,] = "
            rf"[\,{part(row[:P])}\;\big|\;{part(row[P:])}\,]")


def projection_figure(h_full: np.ndarray, h_proj: np.ndarray, titles=("o⊙tanh(c)", "h = W_hr·(o⊙tanh(c))")):
    """The projection step at the current t: H values before, proj_size values after W_hr."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=list(titles), column_widths=[0.6, 0.4])
    fig.add_trace(go.Bar(x=list(range(len(h_full))), y=h_full, marker_color=GATE_COLORS["o"], name=titles[0]),
                  row=1, col=1)
    fig.add_trace(go.Bar(x=list(range(len(h_proj))), y=h_proj, marker_color=GATE_COLORS["h"], name=titles[1]),
                  row=1, col=2)
    fig.update_layout(height=260, showlegend=False, margin=dict(l=10, r=10, t=40, b=20))
    return fig


# ------------------------------------------------------------------------------ one unit at one step
def _vec(v, n: int = 4) -> str:
    v = np.asarray(v, dtype=float).ravel()
    body = ", ".join(fmt(x, 2) for x in v[:n])
    return f"[{body}{', …' if v.size > n else ''}]"


def cell_svg(vals: dict, caption: str, proj_note: str = "") -> str:
    """Fill ``assets/cell.svg`` with one unit's numbers; gate boxes are filled as far as the gate is open."""
    def op(v):
        return 0.0 if not math.isfinite(v) else min(1.0, abs(v))

    sub = {f"col_{q}": GATE_COLORS[q] for q in GATE_COLORS}
    for q in ("f", "i", "g", "o"):
        v = float(vals[q])
        sub[f"v_{q}"] = fmt(v)
        sub[f"op_{q}"] = f"{0.08 + 0.85 * op(v):.3f}"
        sub[f"w_{q}"] = f"{56 * op(v):.1f}"
        sub[f"sw_{q}"] = f"{1 + 5 * op(v):.2f}"
    f, i, g, c_prev = (float(vals[q]) for q in ("f", "i", "g", "c_prev"))
    sub.update(v_c_prev=fmt(c_prev), v_c=fmt(vals["c"]), v_fc=fmt(f * c_prev), v_ig=fmt(i * g),
               sw_fc=f"{1 + 5 * op(f):.2f}", sw_ig=f"{1 + 5 * op(i * g):.2f}",
               v_tanhc=fmt(math.tanh(vals["c"]) if math.isfinite(vals["c"]) else float("nan")),
               v_h=fmt(vals["h_unit"]), v_h_prev=_vec(vals["h_prev"]), v_x=_vec(vals["x"]),
               caption=caption, proj_note=proj_note)
    return Template(CELL_SVG.read_text(encoding="utf-8")).safe_substitute(sub)


def one_line(svg: str) -> str:
    """The SVG without comments and line breaks, so markdown does not read indented lines as code."""
    import re

    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return " ".join(line.strip() for line in svg.splitlines() if line.strip())


def _p(v: float) -> str:
    """A number for a product: negatives in parentheses."""
    s = fmt(v)
    return f"({s})" if s.startswith("-") else s


def equations(vals: dict, proj_h=None) -> list[str]:
    """The six LSTM equations (torch's notation) for one unit with the trace's numbers plugged in.
    ``vals`` holds the unit's pre_i/pre_f/pre_g/pre_o, i/f/g/o, c_prev, c, h_full at the current step."""
    gate = r"W_{h%s}h_{t-1} + b_{h%s}"
    eqs = []
    for q, fn, sym in (("i", r"\sigma", "i"), ("f", r"\sigma", "f"), ("g", r"\tanh", "g"), ("o", r"\sigma", "o")):
        pre = fmt(vals["pre_" + q])
        split = ""
        if "xin_" + q in vals:
            split = (rf" = {fn}(\underbrace{{{fmt(vals['xin_' + q])}}}_{{x_t}} + "
                     rf"\underbrace{{{_p(vals['rec_' + q])}}}_{{h_{{t-1}}}})")
        eqs.append(rf"{q}_t = {fn}(W_{{i{sym}}}x_t + b_{{i{sym}}} + {gate % (sym, sym)}){split} = {fn}({pre})"
                   rf" = {fmt(vals[q])}")
    eqs.append(rf"c_t = f_t \odot c_{{t-1}} + i_t \odot g_t = {_p(vals['f'])} \times {_p(vals['c_prev'])} + "
               rf"{_p(vals['i'])} \times {_p(vals['g'])} = {fmt(vals['c'])}")
    eqs.append(rf"h_t = o_t \odot \tanh(c_t) = {_p(vals['o'])} \times \tanh({fmt(vals['c'])}) = "
               rf"{fmt(vals['h_full'])}")
    if proj_h is not None:
        v = np.asarray(proj_h, dtype=float)
        body = ",\\ ".join(fmt(x) for x in v[:6]) + (r",\ \dots" if v.size > 6 else "")
        eqs.append(rf"h_t \leftarrow W_{{hr}}\,h_t = [{body}] \quad (\text{{proj\_size}} = {v.size})")
    return eqs


def explain(vals: dict, tr, unit: int, t: int, first: bool) -> str:
    """A short explanation of this step, composed from the numbers (``tr`` is the i18n function)."""
    f, i, g, o = (float(vals[q]) for q in ("f", "i", "g", "o"))
    c_prev, c, h = float(vals["c_prev"]), float(vals["c"]), float(vals["h_full"])
    if not all(math.isfinite(v) for v in (f, i, g, o, c)):
        return tr("stepper.ex.padding", t=t)
    parts = []
    if first:
        parts.append(tr("stepper.ex.first", t=t))
    band = "empty" if c_prev == 0 else "high" if f >= 0.8 else "low" if f <= 0.2 else "mid"
    parts.append(tr(f"stepper.ex.f_{band}", f=fmt(f), unit=unit, pct=round(100 * f), c_prev=fmt(c_prev),
                    kept=fmt(f * c_prev)))
    band = "high" if i >= 0.8 else "low" if i <= 0.2 else "mid"
    sign = tr("stepper.ex.up") if g >= 0 else tr("stepper.ex.down")
    parts.append(tr(f"stepper.ex.i_{band}", i=fmt(i), g=fmt(g), ig=f"{i * g:+.3f}", direction=sign))
    parts.append(tr("stepper.ex.c_change", c_prev=fmt(c_prev), c=fmt(c), delta=f"{c - c_prev:+.3f}"))
    band = "high" if o >= 0.8 else "low" if o <= 0.2 else "mid"
    parts.append(tr(f"stepper.ex.o_{band}", o=fmt(o), h=fmt(h), tanh_c=fmt(math.tanh(c))))
    if abs(c) > 2:
        parts.append(tr("stepper.ex.c_big", c=fmt(c)))
    return " ".join(parts)


def unit_values(lt, t: int, b: int, j: int, x_part=None) -> dict:
    """One unit's numbers at step t for batch element b from a numpy LayerTrace (``Trace.numpy()[l, d]``).
    ``x_part`` (T, B, 4H), if given, is the input's share of the pre-activations (``W_ih x_t + b_ih + b_hh``);
    then ``xin_q`` and ``rec_q`` (= pre_q - xin_q, the share of ``W_hh h_{t-1}``) are added for each gate."""
    vals = {q: float(getattr(lt, q)[t, b, j]) for q in ("i", "f", "g", "o", "c")}
    if x_part is not None:
        hidden = lt.c.shape[-1]
        for n, q in enumerate(("i", "f", "g", "o")):
            vals["xin_" + q] = float(x_part[t, b, n * hidden + j])
            vals["rec_" + q] = float(getattr(lt, "pre_" + q)[t, b, j]) - vals["xin_" + q]
    for q in ("i", "f", "g", "o"):
        vals["pre_" + q] = float(getattr(lt, "pre_" + q)[t, b, j])
    vals["c_prev"] = float(lt.c_prev[t, b, j])
    vals["h_full"] = float(lt.h_full[t, b, j])
    h = np.asarray(lt.h[t, b])
    vals["h_unit"] = float(h[j]) if h.shape[0] == np.asarray(lt.h_full[t, b]).shape[0] else vals["h_full"]
    vals["h_prev"] = np.asarray(lt.h_prev[t, b], dtype=float)
    vals["x"] = np.asarray(lt.x[t, b], dtype=float)
    return vals


def fill_alpha(q: str, v: float) -> str:
    """rgba of a gate colour at its openness (for st.markdown badges on other pages)."""
    return hex_to_rgba(GATE_COLORS[q], 0.1 + 0.85 * min(1.0, abs(v)) if math.isfinite(v) else 0.05)
