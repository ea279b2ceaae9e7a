"""Beyond one cell: the LSTM unrolled through time, stacked in layers, run in two directions (pure SVG, no
streamlit).

Every builder reads a numpy `lstm_core.Trace` (``trace(model, x).numpy()``) and draws one selection of it:

- `unrolled_svg(trn, layer, direction, b, unit, t)`: one layer and direction as a chain of cells over time,
  the c highway on top, the h highway below, x_t entering each cell and h_t leaving it, the current step lit,
  the same weights badge on every cell; each cell shows c_t, h_t and the four gates (small bars) of `unit`.
- `stacked_svg(trn, direction, b, unit, t)`: every layer of one direction: h goes up a layer
  (h⁽ˡ⁾_t is x⁽ˡ⁺¹⁾_t), c stays in its layer; the rows of h_n/c_n are labelled ``layer·D + direction``.
- `bidirectional_svg(trn, layer, b, unit, t)`: the forward chain (left to right) over the backward one (right to
  left, its state coming from t+1), meeting in ``output[t] = [h→_t ; h←_t]``; each h_n where it really is.
- `cell_svg(trn, b, unit)`: one step, zoomed: the cell's inside (the tour's stop 2).

Text comes translated through ``text`` (the keys of ``assets/locales/<lang>/chain.json``, without the
``chain.`` prefix). Numbers are shown with two decimals and kept whole in ``data-*`` attributes (tests read
them back and compare them with the trace). Sizes: the drawing scales with its container but never below
`MIN_SCALE`, so its text (14 and 15 units) is at least 13 px wherever it is shown (a narrow screen scrolls it
sideways).
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ui.palette import GATE_COLORS

GATES = ("i", "f", "g", "o")
FONT = 15  # user units; rendered ≥ 13 px because the drawing never shrinks below MIN_SCALE
SUB = 14  # small labels and subscripts
MIN_SCALE = 13 / SUB  # so even the small labels stay ≥ 13 px
MAX_SCALE = 1.35
INK, MUTED, LIT, BOX, WEIGHT = "#222222", "#666666", "#fff3c4", "#f4f5f7", "#5b4a9e"
C_COL, H_COL, X_COL = GATE_COLORS["c"], GATE_COLORS["h"], GATE_COLORS["x"]
DIM = ' opacity="0.45"'  # a padded step (packed input): drawn faded, its numbers "—"
GAP = None  # marks an elided stretch of steps in `visible_steps`


# ---------------------------------------------------------------------------------------------- helpers
def fmt(v: float) -> str:
    """Two decimals with a real minus sign; "—" for a padded step (NaN)."""
    v = float(v)
    if not math.isfinite(v):
        return "—"
    s = f"{v:.2f}"
    return ("0.00" if s == "-0.00" else s).replace("-", "−")


def num(v: float) -> str:
    """The whole value for a ``data-*`` attribute (float32 survives the round trip)."""
    v = float(v)
    return repr(v) if math.isfinite(v) else "nan"


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def visible_steps(T: int, current: int, first: int = 2, last: int = 2, limit: int = 5) -> list:
    """Which steps a chain draws: all of them when there are at most `limit`, else the first `first`, the
    current one and the last `last`, with `GAP` (None) where steps are left out. ``visible_steps(12, 6)`` ->
    ``[0, 1, None, 6, None, 10, 11]``."""
    if T <= limit:
        return list(range(T))
    keep = sorted({*range(first), min(max(current, 0), T - 1), *range(T - last, T)})
    out: list = []
    for s in keep:
        if out and s - out[-1] > 1:
            out.append(GAP)
        out.append(s)
    return out


def _sub(base: str, sub: str, sup: str = "") -> str:
    """``base`` with a subscript (and an optional superscript before it), as SVG tspans."""
    sup_part = f'<tspan baseline-shift="super" font-size="{SUB}">{esc(sup)}</tspan>' if sup else ""
    return (f"{esc(base)}{sup_part}<tspan baseline-shift=\"sub\" font-size=\"{SUB}\">{esc(sub)}</tspan>"
            if sub else f"{esc(base)}{sup_part}")


def _text(x: float, y: float, body: str, size: int = FONT, color: str = INK, anchor: str = "middle",
          weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}" '
            f'font-weight="{weight}"{extra}>{body}</text>')


def _arrow(x1, y1, x2, y2, color, width=2.0, extra="") -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
            f'stroke-width="{width}" marker-end="url(#chain-arrow-{color[1:]})"{extra}/>')


def _line(x1, y1, x2, y2, color, width=2.0, extra="") -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}" '
            f'stroke-width="{width}"{extra}/>')


def _markers(*colors: str) -> str:
    return "<defs>" + "".join(
        f'<marker id="chain-arrow-{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
        f'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
        for c in dict.fromkeys(colors)) + "</defs>"


def _svg(width: float, height: float, body: str, label: str, view: str) -> str:
    """The outer element: a container that scrolls sideways when the screen is narrower than the drawing at
    `MIN_SCALE`; role="img" with a title and an aria-label."""
    w, h = math.ceil(width), math.ceil(height)
    style = (f"width:100%;min-width:{w * MIN_SCALE:.0f}px;max-width:{w * MAX_SCALE:.0f}px;height:auto;display:block;"
             "margin:0 auto")
    return (f'<div class="lstm-chain" data-view="{view}" style="overflow-x:auto;max-width:100%">'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{esc(label)}" '
            f'data-testid="chain-{view}" font-family="sans-serif" style="{style}">'
            f"<title>{esc(label)}</title>{_markers(C_COL, H_COL, X_COL, INK, MUTED)}{body}</svg></div>")


def _unit_values(lt, b: int, unit: int, t: int) -> dict:
    """The numbers one cell shows: c, h and the gates of `unit` at step t (h's unit clamped to H_out)."""
    hu = min(unit, lt.h.shape[-1] - 1)
    vals = {g: float(getattr(lt, g)[t, b, unit]) for g in GATES}
    vals["c"] = float(lt.c[t, b, unit])
    vals["h"] = float(lt.h[t, b, hu])
    return vals


def _h_n(trn) -> tuple[np.ndarray, np.ndarray]:
    """h_n and c_n as (num_layers·D, B, ·) whatever the input's form (unbatched input drops B)."""
    h_n, c_n = np.asarray(trn.h_n), np.asarray(trn.c_n)
    if h_n.ndim == 2:
        h_n, c_n = h_n[:, None, :], c_n[:, None, :]
    return h_n, c_n


def _gate_bars(x: float, y: float, vals: Mapping[str, float], text: Mapping[str, str]) -> str:
    """Four small bars (i f g o): sigmoid gates fill 0..1 upwards; g (tanh) grows up or down from the middle."""
    out, bw, hh = [], 13, 34  # bar width, full bar height
    for k, g in enumerate(GATES):
        bx = x + k * (bw + 6)
        v = vals[g]
        col = GATE_COLORS[g]
        out.append(f'<rect x="{bx}" y="{y}" width="{bw}" height="{hh}" fill="#ffffff" stroke="#c9ccd2"/>')
        if math.isfinite(v):
            if g == "g":
                mid, half = y + hh / 2, hh / 2 * min(abs(v), 1.0)
                top = mid - half if v >= 0 else mid
                out.append(f'<rect x="{bx}" y="{top:.1f}" width="{bw}" height="{half:.1f}" fill="{col}"/>')
            else:
                fill = hh * min(max(v, 0.0), 1.0)
                out.append(f'<rect x="{bx}" y="{y + hh - fill:.1f}" width="{bw}" height="{fill:.1f}" fill="{col}"/>')
        name = text.get(f"gate_{g}", g)
        out.append(f'<rect x="{bx}" y="{y}" width="{bw}" height="{hh}" fill="transparent" data-gate="{g}" '
                   f'data-value="{num(v)}"><title>{esc(name)} = {fmt(v)}</title></rect>')
        out.append(_text(bx + bw / 2, y + hh + 15, esc(g), size=SUB, color=col, weight="bold"))
    return "".join(out)


# ---------------------------------------------------------------------------------------- one chain row
CELL_W, CELL_H, BAR_H, STEP_GAP, GAP_W = 104, 110, 150, 40, 44  # BAR_H: a cell with gate bars


def _columns(steps: Sequence, x0: float) -> dict:
    """x of each visible step's cell (and of each gap) from left to right."""
    xs, x = {}, x0
    for n, s in enumerate(steps):
        if s is GAP:
            xs[("gap", n)] = x
            x += GAP_W
        else:
            xs[s] = x
            x += CELL_W + STEP_GAP
    return xs


def _chain_row(lt, b: int, unit: int, steps: Sequence, xs: dict, y: float, current: int, text: Mapping[str, str],
               *, bars: bool, arrow_dir: int, layer: int, direction: int, valid: Sequence[bool],
               weight_label: str) -> str:
    """One layer-direction as a row of cells at height `y`: the c highway through the top of the cells, the h
    highway through the bottom, arrows pointing the way this direction runs (`arrow_dir` +1 or -1)."""
    out = []
    ch = BAR_H if bars else CELL_H  # the cell's height
    c_y, h_y = y + 20, y + ch - 18
    real = [s for s in steps if s is not GAP]
    left, right = xs[real[0]], xs[real[-1]] + CELL_W
    # the two highways run the whole row (behind the cells)
    out.append(_line(left - 26, c_y, right + 26, c_y, C_COL, 4, ' opacity="0.85"'))
    out.append(_line(left - 26, h_y, right + 26, h_y, H_COL, 4, ' opacity="0.85"'))
    # arrow heads between cells show which way the state travels
    for n, s in enumerate(steps):
        if s is GAP:
            gx = xs[("gap", n)]
            out.append(f'<rect x="{gx - STEP_GAP + 4}" y="{y + 2}" width="{GAP_W + STEP_GAP - 8}" '
                       f'height="{ch - 4}" fill="#ffffff"/>')
            out.append(_text(gx + GAP_W / 2 - STEP_GAP / 2, y + ch / 2 + 5, "…", size=22, color=MUTED,
                             extra=' data-gap="1"'))
            continue
        x = xs[s]
        gx = x + CELL_W if arrow_dir > 0 else x
        tip = gx + (STEP_GAP - 6) * arrow_dir
        if (arrow_dir > 0 and s != real[-1]) or (arrow_dir < 0 and s != real[0]):
            out.append(_arrow(gx + 2 * arrow_dir, c_y, tip, c_y, C_COL, 4))
            out.append(_arrow(gx + 2 * arrow_dir, h_y, tip, h_y, H_COL, 4))
    for s in real:
        x = xs[s]
        v = _unit_values(lt, b, unit, s)
        lit = s == current
        is_valid = valid[s]
        stroke, sw = (INK, 3) if lit else ("#a3a8b3", 1.5)
        attrs = (f' data-layer="{layer}" data-direction="{direction}" data-t="{s}" data-unit="{unit}" '
                 f'data-c="{num(v["c"])}" data-h="{num(v["h"])}"' + (' data-current="1"' if lit else "")
                 + ("" if is_valid else ' data-padded="1"'))
        out.append(f'<g class="chain-cell"{attrs}>')
        out.append(f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{ch}" rx="10" '
                   f'fill="{LIT if lit else BOX}" stroke="{stroke}" stroke-width="{sw}"'
                   f'{"" if is_valid else DIM}/>')
        # the highways pass through the cell: redraw them over its fill
        out.append(_line(x, c_y, x + CELL_W, c_y, C_COL, 4))
        out.append(_line(x, h_y, x + CELL_W, h_y, H_COL, 4))
        out.append(f'<circle cx="{x + CELL_W / 2}" cy="{c_y}" r="9" fill="#ffffff" stroke="{C_COL}" '
                   f'stroke-width="2"/>' + _text(x + CELL_W / 2, c_y + 5, "×", size=SUB, color=C_COL))
        out.append(_text(x + 6, c_y + 24, "c " + fmt(v["c"]), color=C_COL, anchor="start", weight="bold",
                         extra=' data-role="c"'))
        out.append(_text(x + 6, h_y - 9, "h " + fmt(v["h"]), color="#0e7f8c", anchor="start", weight="bold",
                         extra=' data-role="h"'))
        # the weights badge: the same on every cell
        wy = c_y + 34 if bars else y + ch / 2 - 11
        out.append(f'<rect x="{x + CELL_W - 30}" y="{wy}" width="24" height="22" rx="5" '
                   f'fill="{WEIGHT}"><title>{esc(weight_label)}</title></rect>')
        out.append(_text(x + CELL_W - 18, wy + 16, "W", size=SUB, color="#ffffff", weight="bold",
                         extra=' data-role="weights"'))
        if bars:
            out.append(_gate_bars(x + 8, c_y + 36, v, text))
        out.append("</g>")
    return "".join(out)


def _from_label(s: int, direction: int, T: int, text: Mapping[str, str]) -> str:
    """Where step s's incoming state comes from: t−1 going forward, t+1 going backward (h0/c0 at the start)."""
    first = 0 if direction == 0 else T - 1
    return text["from_init"] if s == first else text[f"from{direction}"]


def _step_header(xs: dict, steps: Sequence, y: float, current: int, direction: int | None = None, T: int = 0,
                 text: Mapping[str, str] | None = None) -> str:
    """"t = s" over each cell; with `direction`, a second line saying where the cell's state comes from."""
    out = []
    for s in steps:
        if s is GAP:
            continue
        lit = s == current
        cx = xs[s] + CELL_W / 2
        out.append(_text(cx, y, f"t = {s}", weight="bold" if lit else "normal",
                         color=INK if lit else MUTED, extra=f' data-step="{s}"'))
        if direction is not None:
            src = "init" if _from_label(s, direction, T, text) == text["from_init"] else ("t+1" if direction else "t−1")
            out.append(_text(cx, y + 20, esc(_from_label(s, direction, T, text)), size=SUB, color=MUTED,
                             extra=f' data-from="{src}" data-t="{s}" data-direction="{direction}"'))
    return "".join(out)


def _inputs(xs: dict, steps: Sequence, y_top: float, y_label: float, labels, sup: str = "", dx: float = 0) -> str:
    """x_t arrows entering the cells from below, with the tokens (text input) under them."""
    out = []
    for s in steps:
        if s is GAP:
            continue
        cx = xs[s] + CELL_W / 2 + dx
        out.append(_arrow(cx, y_label - 16, cx, y_top + 2, X_COL, 2.5))
        token = labels[s] if labels is not None and s < len(labels) and labels[s] else ""
        out.append(_text(cx, y_label + 2, _sub("x", str(s), sup), color=X_COL, weight="bold"))
        if token:
            out.append(_text(cx, y_label + 22, "“" + esc(token) + "”", color=INK, extra=f' data-token="{esc(token)}"'))
    return "".join(out)


def _valid(trn, b: int) -> list[bool]:
    T = trn.T
    n = int(trn.lengths[b]) if getattr(trn, "lengths", None) is not None else T
    return [t < n for t in range(T)]


def _current(T: int, t: int) -> int:
    return min(max(int(t), 0), T - 1)


# ---------------------------------------------------------------------------------------------- views
def unrolled_svg(trn, layer: int, direction: int, b: int, unit: int, t: int, text: Mapping[str, str],
                 labels=None) -> str:
    """One layer and direction as a chain of cells over time (see the module docstring)."""
    T = trn.T
    cur = _current(T, t)
    lt = trn[layer, direction]
    steps = visible_steps(T, cur)
    xs = _columns(steps, 56)
    width = max(xs.values()) + CELL_W + 56
    y_cells = 118
    out = [_text(14, 22, esc(text["unrolled_title"].format(layer=layer, unit=unit,
                                                             direction=text[f"dir{direction}"])),
                 anchor="start", weight="bold")]
    out.append(_step_header(xs, steps, 50, cur, direction, T, text))
    # h_t leaves each cell upwards (what the layer outputs at that step)
    for s in steps:
        if s is GAP:
            continue
        cx = xs[s] + CELL_W / 2
        out.append(_arrow(cx + 26, y_cells, cx + 26, 80, H_COL, 2.5))
        out.append(_text(cx + 32, 102, _sub("h", str(s)), size=SUB, color="#0e7f8c", anchor="start"))
    out.append(_chain_row(lt, b, unit, steps, xs, y_cells, cur, text, bars=True, arrow_dir=1 - 2 * direction,
                          layer=layer, direction=direction, valid=_valid(trn, b), weight_label=text["weights_note"]))
    y_in = y_cells + BAR_H
    out.append(_inputs(xs, steps, y_in, y_in + 42, labels))
    y_legend = y_in + 92
    out.append(_text(14, y_legend, esc(text["legend_c"]), color=C_COL, anchor="start", weight="bold"))
    out.append(_text(14, y_legend + 22, esc(text["legend_h"]), color="#0e7f8c", anchor="start", weight="bold"))
    out.append(f'<rect x="14" y="{y_legend + 34}" width="24" height="22" rx="5" fill="{WEIGHT}"/>'
               + _text(26, y_legend + 50, "W", size=SUB, color="#ffffff", weight="bold")
               + _text(46, y_legend + 50, esc(text["weights_note"]), anchor="start", extra=' data-role="weights-note"'))
    if direction == 1:
        out.append(_text(14, y_legend + 76, esc(text["backward_note"]), anchor="start", color=MUTED))
    height = y_legend + (86 if direction == 1 else 64)
    label = text["unrolled_aria"].format(T=T, t=cur, layer=layer, unit=unit, direction=text[f"dir{direction}"])
    return _svg(max(width, 560), height, "".join(out), label, "unrolled")


def stacked_svg(trn, direction: int, b: int, unit: int, t: int, text: Mapping[str, str], labels=None) -> str:
    """Every layer of one direction, bottom layer at the bottom: h goes up, c stays in its layer."""
    T, L, D = trn.T, trn.num_layers, trn.num_directions
    cur = _current(T, t)
    steps = visible_steps(T, cur)
    x0 = 44 if direction == 0 else 130  # backward: room on the left for h_n, where that direction ends
    xs = _columns(steps, x0)
    real = [s for s in steps if s is not GAP]
    row_gap = 58
    top = 118
    ys = {layer: top + (L - 1 - layer) * (CELL_H + row_gap) for layer in range(L)}
    end_x = max(xs.values()) + CELL_W + 40
    h_n, c_n = _h_n(trn)
    valid = _valid(trn, b)
    out = [_text(14, 22, esc(text["stacked_title"].format(L=L, unit=unit, direction=text[f"dir{direction}"])),
                 anchor="start", weight="bold")]
    out.append(_step_header(xs, steps, 50, cur, direction, T, text))
    # output = the top layer's h at every step
    for s in real:
        cx = xs[s] + CELL_W / 2
        out.append(_arrow(cx - 30, ys[L - 1], cx - 30, 80, H_COL, 2.5))
        out.append(_text(cx - 24, 100, f"output[{s}]", size=SUB, color="#0e7f8c", anchor="start"))
    last = real[-1] if direction == 0 else real[0]  # where this direction's final state sits
    for layer in range(L):
        lt = trn[layer, direction]
        y = ys[layer]
        out.append(_text(14, y + CELL_H / 2 + 5, f"l{layer}", weight="bold", anchor="start",
                         extra=f' data-row-layer="{layer}"'))
        out.append(_chain_row(lt, b, unit, steps, xs, y, cur, text, bars=False, arrow_dir=1 - 2 * direction,
                              layer=layer, direction=direction, valid=valid, weight_label=text["weights_layer"].format(
                                  layer=layer)))
        # h_n / c_n rows of this layer, at the step where the direction ends
        row = layer * D + direction
        hu = min(unit, h_n.shape[-1] - 1)
        hx = end_x - 28 if direction == 0 else x0 - 30  # beside the cell where this direction ends
        anchor = "start" if direction == 0 else "end"
        out.append(f'<g class="chain-final" data-row="{row}" data-layer="{layer}" data-direction="{direction}" '
                   f'data-h="{num(h_n[row, b, hu])}" data-c="{num(c_n[row, b, unit])}" data-at="{last}">'
                   + _text(hx, y + 14, f"c_n[{row}]", size=SUB, color=C_COL, anchor=anchor, weight="bold")
                   + _text(hx, y + 48, "= " + fmt(c_n[row, b, unit]), size=SUB, color=C_COL, anchor=anchor)
                   + _text(hx, y + CELL_H - 26, f"h_n[{row}]", size=SUB, color="#0e7f8c", anchor=anchor,
                           weight="bold")
                   + _text(hx, y + CELL_H + 8, "= " + fmt(h_n[row, b, hu]), size=SUB, color="#0e7f8c",
                           anchor=anchor) + "</g>")
        if layer + 1 < L:  # h goes up: this layer's h_t is the next layer's x_t
            h_out = lt.h.shape[-1]
            col = direction * h_out + min(unit, h_out - 1)  # this direction's half of [h→ ; h←]
            for s in real:
                cx = xs[s] + CELL_W / 2
                up = trn[layer + 1, direction].x[s, b, col]  # what the layer above reads
                out.append(_arrow(cx, y, cx, y - row_gap + 2, H_COL, 2.5))
                out.append(_text(cx + 6, y - row_gap / 2 + 5,
                                 _sub("x", str(s), f"({layer + 1})") + " = " + _sub("h", str(s), f"({layer})"),
                                 size=SUB, color="#0e7f8c", anchor="start",
                                 extra=f' data-up="{layer}" data-t="{s}" data-value="{num(up)}"'))
    y_in = ys[0] + CELL_H
    out.append(_inputs(xs, steps, y_in, y_in + 42, labels, sup="(0)"))
    y_note = y_in + 92
    notes = [text["stacked_note"]] + ([text["stacked_note_bi"]] if D == 2 else []) + [text["hn_note"].format(D=D)]
    for k, note in enumerate(notes):
        out.append(_text(14, y_note + 22 * k, esc(note), anchor="start", color=MUTED))
    width = end_x + (46 if direction == 0 else 0)
    height = y_note + 22 * len(notes)
    label = text["stacked_aria"].format(L=L, T=T, t=cur, unit=unit, direction=text[f"dir{direction}"])
    return _svg(width, height, "".join(out), label, "stacked")


def bidirectional_svg(trn, layer: int, b: int, unit: int, t: int, text: Mapping[str, str], labels=None) -> str:
    """The forward chain over the backward chain of one layer, meeting in output[t] = [h→_t ; h←_t]."""
    T, D = trn.T, trn.num_directions
    if D != 2:
        raise ValueError("bidirectional_svg needs a bidirectional trace")
    cur = _current(T, t)
    steps = visible_steps(T, cur)
    xs = _columns(steps, 70)
    real = [s for s in steps if s is not GAP]
    end_x = max(xs.values()) + CELL_W
    h_n, c_n = _h_n(trn)
    valid = _valid(trn, b)
    y_out, y_f = 64, 176
    y_b = y_f + CELL_H + 70
    out = [_text(14, 22, esc(text["bi_title"].format(layer=layer, unit=unit)), anchor="start", weight="bold")]
    fwd, bwd = trn[layer, 0], trn[layer, 1]
    top_layer = layer == trn.num_layers - 1
    for s in real:  # output[t] = [h→_t ; h←_t]
        x = xs[s]
        hf, hb = _unit_values(fwd, b, unit, s)["h"], _unit_values(bwd, b, unit, s)["h"]
        name = f"output[{s}]" if top_layer else _sub("x", str(s), f"({layer + 1})")
        out.append(f'<g class="chain-concat" data-t="{s}" data-h-fwd="{num(hf)}" data-h-bwd="{num(hb)}">'
                   + _text(x + CELL_W / 2, y_out - 14, name + f" t = {s}", size=SUB, weight="bold"
                           if s == cur else "normal", color=INK if s == cur else MUTED)
                   + f'<rect x="{x}" y="{y_out}" width="{CELL_W / 2}" height="30" fill="#e3f7f9" stroke="{H_COL}"/>'
                   + f'<rect x="{x + CELL_W / 2}" y="{y_out}" width="{CELL_W / 2}" height="30" fill="#d6eef1" '
                     f'stroke="{H_COL}"/>'
                   + _text(x + CELL_W / 4, y_out + 20, fmt(hf), size=SUB, color="#0e7f8c")
                   + _text(x + 3 * CELL_W / 4, y_out + 20, fmt(hb), size=SUB, color="#0e7f8c") + "</g>")
        out.append(_arrow(x + CELL_W / 4, y_f, x + CELL_W / 4, y_out + 32, H_COL, 2))
        out.append(_arrow(x + 3 * CELL_W / 4, y_b, x + 3 * CELL_W / 4, y_out + 32, H_COL, 2, ' opacity="0.7"'))
    out.append(_text(14, y_out + 20, "[→;←]", size=SUB, anchor="start", color="#0e7f8c", weight="bold"))
    out.append(_text(14, y_f - 12, esc(text["forward_row"]), anchor="start", weight="bold"))
    out.append(_chain_row(fwd, b, unit, steps, xs, y_f, cur, text, bars=False, arrow_dir=1, layer=layer,
                          direction=0, valid=valid, weight_label=text["weights_fwd"]))
    out.append(_text(14, y_b - 12, esc(text["backward_row"]), anchor="start", weight="bold"))
    out.append(_chain_row(bwd, b, unit, steps, xs, y_b, cur, text, bars=False, arrow_dir=-1, layer=layer,
                          direction=1, valid=valid, weight_label=text["weights_bwd"]))
    for s in real:  # where each state comes from: t−1 going forward, t+1 going backward
        cx = xs[s] + CELL_W / 2
        for d, y in ((0, y_f), (1, y_b)):
            src = "init" if _from_label(s, d, T, text) == text["from_init"] else ("t+1" if d else "t−1")
            out.append(_text(cx - 14, y + CELL_H + 18, esc(_from_label(s, d, T, text)), size=SUB, color=MUTED,
                             extra=f' data-from="{src}" data-t="{s}" data-direction="{d}"'))
    # each direction's final state, where it really is: forward at T−1 (its real end), backward at t = 0
    hu = min(unit, h_n.shape[-1] - 1)
    last_f = max(s for s in range(T) if valid[s]) if any(valid) else T - 1
    for d, (y, at, x) in enumerate(((y_f, last_f, end_x + 12), (y_b, 0, 8))):
        row = layer * D + d
        out.append(f'<g class="chain-final" data-row="{row}" data-layer="{layer}" data-direction="{d}" '
                   f'data-h="{num(h_n[row, b, hu])}" data-c="{num(c_n[row, b, unit])}" data-at="{at}">'
                   + _text(x, y + CELL_H / 2 - 6, f"h_n[{row}]", size=SUB, anchor="start", color="#0e7f8c",
                           weight="bold")
                   + _text(x, y + CELL_H / 2 + 14, f"= {fmt(h_n[row, b, hu])}", size=SUB, anchor="start",
                           color="#0e7f8c") + f"<title>{esc(text['hn_at'].format(row=row, t=at))}</title></g>")
    y_in = y_b + CELL_H + 30
    out.append(_inputs(xs, steps, y_in - 30, y_in + 34, labels, dx=34))
    y_note = y_in + 84
    out.append(_text(14, y_note, esc(text["bi_note"]), anchor="start", color=MUTED))
    out.append(_text(14, y_note + 22, esc(text["bi_note_hn"].format(f=layer * D, b=layer * D + 1, T1=T - 1)),
                     anchor="start", color=MUTED))
    label = text["bi_aria"].format(layer=layer, T=T, t=cur, unit=unit)
    return _svg(end_x + 74, y_note + 34, "".join(out), label, "bidirectional")


def cell_svg(trn, b: int, unit: int, t: int, text: Mapping[str, str]) -> str:
    """One step of layer 0, forward, zoomed in: c_{t−1} → ×f → +i·g → c_t along the top, the four gates
    computed from x_t and h_{t−1}, h_t = o·tanh(c_t) leaving to the right and upwards. Numbers of `unit`."""
    lt = trn[0, 0]
    v = _unit_values(lt, b, unit, t)
    xin = float(lt.x[t, b, 0])
    hp = float(lt.h_prev[t, b, min(unit, lt.h_prev.shape[-1] - 1)])
    cp = float(lt.c_prev[t, b, unit])
    W_, c_y, h_y, g_y = 760, 96, 290, 196
    out = [f'<g class="chain-cell" data-t="{t}" data-unit="{unit}" data-x="{num(xin)}" data-h-prev="{num(hp)}" '
           f'data-c-prev="{num(cp)}" data-c="{num(v["c"])}" data-h="{num(v["h"])}" '
           + " ".join(f'data-{g}="{num(v[g])}"' for g in GATES) + ">"]
    out.append(f'<rect x="120" y="54" width="520" height="270" rx="18" fill="{BOX}" stroke="#a3a8b3" '
               f'stroke-width="1.5"/>')
    # the cell state's conveyor belt
    out.append(_arrow(28, c_y, 712, c_y, C_COL, 5))
    out.append(_text(14, c_y - 30, _sub("c", "t−1"), color=C_COL, anchor="start", weight="bold"))
    out.append(_text(14, c_y - 10, fmt(cp), anchor="start", extra=' data-role="c_prev"'))
    out.append(_text(746, c_y - 30, _sub("c", "t"), color=C_COL, anchor="end", weight="bold"))
    out.append(_text(746, c_y + 28, fmt(v["c"]), anchor="end", weight="bold", extra=' data-role="c"'))
    # h_{t-1} and x_t meet and feed the four gates
    out.append(_line(28, h_y, 470, h_y, H_COL, 4))
    out.append(_text(14, h_y + 26, _sub("h", "t−1"), color="#0e7f8c", anchor="start", weight="bold"))
    out.append(_text(14, h_y - 10, fmt(hp), anchor="start", extra=' data-role="h_prev"'))
    out.append(_arrow(170, 350, 170, h_y + 3, X_COL, 3))
    out.append(_text(196, 356, _sub("x", "t") + " = " + fmt(xin), color=X_COL, anchor="start", weight="bold",
                     extra=' data-role="x"'))
    gate_x = {"f": 210, "i": 300, "g": 390, "o": 480}
    for g, gx in gate_x.items():
        val = v[g]
        col = GATE_COLORS[g]
        out.append(_line(gx, h_y, gx, g_y + 30, "#8a8f99", 2))
        out.append(f'<rect x="{gx - 34}" y="{g_y - 18}" width="68" height="48" rx="8" fill="#ffffff" '
                   f'stroke="{col}" stroke-width="2.5"/>')
        fill = 64 * (min(max(val, 0.0), 1.0) if g != "g" else min(abs(val), 1.0))
        out.append(f'<rect x="{gx - 32}" y="{g_y + 20}" width="{fill:.1f}" height="8" fill="{col}"/>')
        act = "tanh" if g == "g" else "σ"
        out.append(_text(gx, g_y, f"{g} {act}", color=col, weight="bold", size=SUB))
        out.append(_text(gx, g_y + 17, fmt(val), weight="bold", extra=f' data-role="{g}"'))
        out.append(f"<title>{esc(text.get(f'gate_{g}', g))} = {fmt(val)}</title>")
    # f scales the old memory, i·g writes the new
    out.append(_arrow(210, g_y - 18, 210, c_y + 14, GATE_COLORS["f"], 2.5))
    out.append(f'<circle cx="210" cy="{c_y}" r="13" fill="#ffffff" stroke="{GATE_COLORS["f"]}" stroke-width="2.5"/>')
    out.append(_text(210, c_y + 6, "×", weight="bold"))
    out.append(_line(300, g_y - 18, 300, 146, GATE_COLORS["i"], 2.5))
    out.append(_line(390, g_y - 18, 390, 146, GATE_COLORS["g"], 2.5))
    out.append(_line(300, 146, 390, 146, "#8a8f99", 2.5))
    out.append('<circle cx="345" cy="146" r="12" fill="#ffffff" stroke="#8a8f99" stroke-width="2"/>'
               + _text(345, 151, "×", size=SUB, weight="bold"))
    out.append(_arrow(345, 134, 345, c_y + 14, "#8a8f99", 2.5))
    out.append(f'<circle cx="345" cy="{c_y}" r="13" fill="#ffffff" stroke="{C_COL}" stroke-width="2.5"/>'
               + _text(345, c_y + 6, "+", weight="bold"))
    # h_t = o · tanh(c_t)
    out.append(_line(580, c_y, 580, 140, C_COL, 2.5))
    out.append(f'<rect x="552" y="140" width="56" height="28" rx="8" fill="#ffffff" stroke="{C_COL}"/>'
               + _text(580, 159, "tanh", size=SUB))
    out.append(_line(580, 168, 580, g_y, C_COL, 2.5) + _line(514, g_y, 566, g_y, GATE_COLORS["o"], 2.5))
    out.append(f'<circle cx="580" cy="{g_y}" r="13" fill="#ffffff" stroke="{GATE_COLORS["o"]}" stroke-width="2.5"/>'
               + _text(580, g_y + 6, "×", weight="bold"))
    out.append(_line(580, g_y + 13, 580, h_y, H_COL, 4) + _arrow(580, h_y, 712, h_y, H_COL, 4))
    out.append(_arrow(670, h_y, 670, 24, H_COL, 2.5))
    out.append(_text(746, h_y - 10, _sub("h", "t"), color="#0e7f8c", anchor="end", weight="bold"))
    out.append(_text(746, h_y + 28, fmt(v["h"]), anchor="end", weight="bold", extra=' data-role="h"'))
    out.append(_text(380, 40, esc(text["cell_caption"]), color=MUTED))
    out.append("</g>")
    label = text["cell_aria"].format(x=fmt(xin), h_prev=fmt(hp), c_prev=fmt(cp), c=fmt(v["c"]), h=fmt(v["h"]),
                                     **{g: fmt(v[g]) for g in GATES})
    return _svg(W_, 370, "".join(out), label, "cell")
