"""SVG primitives and shared helpers for the chain figures (`ui.figures.chain`): sizes and colours, number
formatting, the elided step list, text, arrows, lines, arrow markers and the outer ``<svg>`` wrapper (pure SVG,
no streamlit)."""
from __future__ import annotations

import html
import math

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
