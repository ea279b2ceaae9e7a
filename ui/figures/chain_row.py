"""One chain row of the chain figures (`ui.figures.chain`): reading a cell's numbers from the trace, the gate
bars, a row of cells over time with its highways, the step header and the inputs (pure SVG, no streamlit)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ui.figures.chain_svg import (
    BOX,
    C_COL,
    DIM,
    GAP,
    GATES,
    H_COL,
    INK,
    LIT,
    MUTED,
    SUB,
    WEIGHT,
    X_COL,
    _arrow,
    _line,
    _sub,
    _text,
    esc,
    fmt,
    num,
)
from ui.palette import GATE_COLORS


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
