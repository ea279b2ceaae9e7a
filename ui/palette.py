"""One colour per LSTM quantity, used by every page (figures, the cell diagram, equations).

Import ``GATE_COLORS`` (and the colour scales) instead of writing colours by hand, so the forget gate is
the same red on the heatmaps, the line plots, the cell diagram and any other page.
"""
from __future__ import annotations

from lstm_core.cell import GATES

GATE_COLORS = {
    "i": "#2ca02c",   # input gate: green (lets new information in)
    "f": "#d62728",   # forget gate: red (erases memory when closed)
    "g": "#9467bd",   # candidate g (c~): purple
    "o": "#1f77b4",   # output gate: blue
    "c": "#ff7f0e",   # cell state: orange
    "h": "#17becf",   # hidden state: teal
    "x": "#7f7f7f",   # input x_t: grey
}
NEGATIVE_COLOR = "#404040"  # the negative end of signed scales (g, c, h)

# The engine's gate order is lstm_core.cell.GATES = (i, f, g, o) (torch's row blocks). Pages that LIST the gates
# for a learner (what-if toggles, the stepper's line legend) show the memory path first: forget, input, output,
# then the candidate. A presentation choice, derived here from GATES once.
GATE_DISPLAY_ORDER = (GATES[1], GATES[0], GATES[3], GATES[2])  # f, i, o, g

SIGMOID_GATES = ("i", "f", "o")   # values in (0, 1): fixed colour range 0..1
SIGNED = ("g", "c", "h", "x")     # tanh range or unbounded: symmetric range around 0


def colorscale(name: str) -> list[list]:
    """Plotly colour scale for a quantity: white->colour for gates (0..1), grey-white-colour for signed."""
    col = GATE_COLORS[name]
    if name in SIGMOID_GATES:
        return [[0.0, "#ffffff"], [1.0, col]]
    return [[0.0, NEGATIVE_COLOR], [0.5, "#ffffff"], [1.0, col]]


def hex_to_rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:.3f})"
