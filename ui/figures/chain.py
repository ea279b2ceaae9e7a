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

The SVG primitives and shared helpers (sizes, colours, `fmt`, `visible_steps`, text, arrows, the ``<svg>``
wrapper) live in `ui.figures.chain_svg`, one chain row and its trace readers in `ui.figures.chain_row`; the
names importers use stay importable from here.
"""
from __future__ import annotations

from collections.abc import Mapping

from ui.figures.chain_row import (
    BAR_H,
    CELL_H,
    CELL_W,
    _chain_row,
    _columns,
    _current,
    _from_label,
    _h_n,
    _inputs,
    _step_header,
    _unit_values,
    _valid,
)
from ui.figures.chain_svg import (  # noqa: F401  (re-exported)
    BOX,
    C_COL,
    DIM,
    FONT,
    GAP,
    GATES,
    H_COL,
    INK,
    LIT,
    MAX_SCALE,
    MIN_SCALE,
    MUTED,
    SUB,
    WEIGHT,
    X_COL,
    _arrow,
    _line,
    _sub,
    _svg,
    _text,
    esc,
    fmt,
    num,
    visible_steps,
)
from ui.palette import GATE_COLORS


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
