"""What-if page sections: the cached clamped run (`lessons.whatif.what_if`, the engine's own trace with gates
clamped) and its charts (`ui.figures.whatif`). Widget keys: ``whatif_*``.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from lessons.whatif import WhatIf, what_if
from lstm_core import Clamp
from ui.figures.whatif import delta_heatmap, unit_whatif_figure
from ui.gradients_view import model_key
from ui.i18n import t
from ui.model_source import fingerprint
from ui.palette import GATE_DISPLAY_ORDER

GATES = GATE_DISPLAY_ORDER  # f, i, o, g: f = 1 and i = 0 (the two toggles on by default) freeze the cell
DEFAULTS = {"f": (True, 1.0), "i": (True, 0.0), "o": (False, 1.0), "g": (False, 0.0)}  # (toggle on, value)
FIG_KEYS = ("t", "unit", "feature", "unclamped", "clamped", "unit_title", "q_i", "q_f", "q_g", "q_o", "q_c", "q_h")


@st.cache_data(max_entries=24, show_spinner=False)
def _clamp_run(key: str, _model, input_key: str, _model_input, clamps: tuple[tuple, ...]) -> WhatIf:
    return what_if(_model, _model_input, [Clamp(*c) for c in clamps])


def clamp_run(model, batch, clamps: tuple[tuple, ...]) -> WhatIf:
    """`what_if` of the model on the input batch with ``clamps`` given as tuples of `Clamp` fields (cached by
    the model's weights and the input's values)."""
    input_key = fingerprint(batch.data, batch.lengths)
    return _clamp_run(model_key(model), model, input_key, batch.model_input(model.config), clamps)


def gate_controls() -> dict[str, float]:
    """One toggle + slider per gate, in the display order; returns {gate: clamped value} of those on."""
    values = {}
    for col, gate in zip(st.columns(len(GATES)), GATES, strict=True):
        name = t(f"whatif.q.{gate}")
        on, default = DEFAULTS[gate]
        if col.toggle(t("whatif.gate_toggle", name=name), value=on, key=f"whatif_on_{gate}"):
            low = -1.0 if gate == "g" else 0.0
            values[gate] = col.slider(t("whatif.value", name=name), low, 1.0, default, 0.05,
                                      key=f"whatif_value_{gate}")
    return values


def render_metrics(w: WhatIf, layer: int, direction: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Largest |Δ| of c, h and the output for sequence ``b``, and the first step that changed."""
    d_c, d_h = w.delta("c", layer, direction)[:, b], w.delta("h", layer, direction)[:, b]
    d_out = w.output_delta[:, b]
    first = w.first_changed_step(b)
    m = st.columns(4)
    for col, key, arr in zip(m[:3], ("metric_c", "metric_h", "metric_out"), (d_c, d_h, d_out), strict=True):
        col.metric(t(f"whatif.{key}"), f"{np.nanmax(np.abs(arr)):.3g}")
    m[3].metric(t("whatif.metric_first"), t("whatif.unchanged") if first is None else str(first))
    return d_c, d_h, d_out


def render_heatmaps(w: WhatIf, layer: int, direction: int, b: int, steps: tuple, units: list[int]) -> None:
    d_c, d_h, d_out = render_metrics(w, layer, direction, b)
    labels = {key: t(f"whatif.fig.{key}") for key in FIG_KEYS}
    h1, h2 = st.columns(2)
    h_units = units if w.base[layer, direction].h.shape[-1] == w.base[layer, direction].c.shape[-1] else None
    # with a projection, h's rows are not the units: no frame
    h1.plotly_chart(delta_heatmap(d_c, labels, t("whatif.fig.delta_c"), "delta_c", steps, units), key="whatif_fig_dc")
    h2.plotly_chart(delta_heatmap(d_h, labels, t("whatif.fig.delta_h"), "delta_h", steps, h_units),
                    key="whatif_fig_dh")
    st.plotly_chart(delta_heatmap(d_out, labels, t("whatif.fig.delta_out"), "delta_out", steps,
                                  row_label="feature"), key="whatif_fig_dout")


def render_unit(w: WhatIf, layer: int, direction: int, b: int, unit: int, gates: list[str], steps: tuple) -> None:
    """One unit over time: the clamped gates, c and h, unclamped vs clamped."""
    labels = {key: t(f"whatif.fig.{key}") for key in FIG_KEYS}
    base, clamped = w.base[layer, direction], w.clamped[layer, direction]
    series = [*gates, "c", "h"]
    h_unit = unit if unit < base.h.shape[-1] else None  # with proj_size, h has fewer features than c
    pick = {q: (q if q != "h" or h_unit is not None else "h_full") for q in series}
    if h_unit is None:
        labels["q_h"] = "o ⊙ tanh(c)"
    fig = unit_whatif_figure({q: getattr(base, pick[q])[:, b, unit] for q in series},
                             {q: getattr(clamped, pick[q])[:, b, unit] for q in series},
                             labels, gates, steps, unit)
    st.plotly_chart(fig, key="whatif_fig_unit")


def fmt_steps(steps) -> str:
    """Steps as short ranges: (0, 1, 2, 5) -> "0–2, 5"; none -> "—"."""
    steps, parts = list(steps), []
    while steps:
        a = b = steps.pop(0)
        while steps and steps[0] == b + 1:
            b = steps.pop(0)
        parts.append(str(a) if a == b else f"{a}–{b}")
    return ", ".join(parts) or "—"


def explain_text(w: WhatIf, layer: int, direction: int, b: int) -> str:
    """The explanation for the clamped direction (the forward direction reaches the clamp from the left, the
    backward from the right), then where the change reached in this run, measured."""
    from lessons.whatif import spread

    s = spread(w, layer, direction, b)
    measured = t("whatif.measured", layer=layer, direction=t(f"whatif.dir{direction}"), still=fmt_steps(s.still),
                 moved=fmt_steps(s.moved))
    return t("whatif.explain" if direction == 0 else "whatif.explain_backward") + "\n\n" + measured
