"""What-if: clamp a gate (engine `Clamp`) for chosen units and steps; compare c, h and output with the plain run."""

import numpy as np
import streamlit as st

from ui.figures.gradients import delta_heatmap, unit_whatif_figure
from ui.gradients_view import clamp_run, model_key, tensor_key
from ui.i18n import t
from ui.state import get_input, get_model

GATES = ("f", "i", "o", "g")
DEFAULTS = {"f": (True, 1.0), "i": (True, 0.0), "o": (False, 1.0), "g": (False, 0.0)}
FIG_KEYS = ("t", "unit", "feature", "unclamped", "clamped", "unit_title", "q_i", "q_f", "q_g", "q_o", "q_c", "q_h")

st.title(t("whatif.title"))
st.markdown(t("whatif.intro"))

model, batch = get_model(), get_input()
cfg = model.config  # a trained or uploaded model (sidebar switch) brings its own architecture
B, T = batch.data.shape[0], batch.data.shape[1]
H = cfg.hidden_size

c1, c2, c3 = st.columns(3)
layer = c1.selectbox(t("whatif.layer"), range(cfg.num_layers), key="whatif_layer") if cfg.num_layers > 1 else 0
direction = (c2.selectbox(t("whatif.direction"), range(2), key="whatif_direction",
                          format_func=lambda d: t(f"whatif.dir{d}")) if cfg.bidirectional else 0)
b = c3.selectbox(t("whatif.batch"), range(B), key="whatif_batch") if B > 1 else 0

values = {}
for col, gate in zip(st.columns(4), GATES, strict=True):
    name = t(f"whatif.q.{gate}")
    on, default = DEFAULTS[gate]
    if col.toggle(t("whatif.gate_toggle", name=name), value=on, key=f"whatif_on_{gate}"):
        low = -1.0 if gate == "g" else 0.0
        values[gate] = col.slider(t("whatif.value", name=name), low, 1.0, default, 0.05, key=f"whatif_value_{gate}")
st.caption(t("whatif.freeze_hint"))

u1, u2 = st.columns(2)
units = u1.multiselect(t("whatif.units"), list(range(H)), default=[0], key="whatif_units", help=t("whatif.units_help"))
if T > 1:
    a, z = u2.slider(t("whatif.steps"), 0, T - 1, (min(1, T - 1), T - 1), key="whatif_steps",
                     help=t("whatif.steps_help"))
else:
    a, z = 0, 0
if not values:
    st.info(t("whatif.none"))
    st.stop()
if not units:
    st.warning(t("whatif.no_units"))
    st.stop()

steps = tuple(range(a, z + 1))
clamps = tuple((g, float(v), layer, direction, tuple(sorted(units)), steps) for g, v in values.items())
data = batch.data
try:
    input_key = tensor_key(data) + str(batch.lengths)
    w = clamp_run(model_key(model), model, input_key, batch.model_input(cfg), clamps)
except (ValueError, RuntimeError) as err:
    st.error(t("whatif.error", error=err), icon="⛔")
    st.stop()

gates_text = ", ".join(f"{g} = {v:g}" for g, v in values.items())
direction_text = t(f"whatif.dir{direction}")
st.success(t("whatif.summary", layer=layer, direction=direction_text, gates=gates_text,
             units=", ".join(map(str, sorted(units))), a=a, b=z))

d_c, d_h = w.delta("c", layer, direction)[:, b], w.delta("h", layer, direction)[:, b]
d_out = w.output_delta[:, b]
first = w.first_changed_step(b)
m = st.columns(4)
for col, key, arr in zip(m[:3], ("metric_c", "metric_h", "metric_out"), (d_c, d_h, d_out), strict=True):
    col.metric(t(f"whatif.{key}"), f"{np.nanmax(np.abs(arr)):.3g}")
m[3].metric(t("whatif.metric_first"), t("whatif.unchanged") if first is None else str(first))

labels = {key: t(f"whatif.fig.{key}") for key in FIG_KEYS}
h1, h2 = st.columns(2)
h_units = sorted(units) if cfg.proj_size == 0 else None  # with a projection, h's rows are not the units
h1.plotly_chart(delta_heatmap(d_c, labels, t("whatif.fig.delta_c"), "delta_c", steps, sorted(units)),
                key="whatif_fig_dc")
h2.plotly_chart(delta_heatmap(d_h, labels, t("whatif.fig.delta_h"), "delta_h", steps, h_units),
                key="whatif_fig_dh")
st.plotly_chart(delta_heatmap(d_out, labels, t("whatif.fig.delta_out"), "delta_out", steps, row_label="feature"),
                key="whatif_fig_dout")

unit = st.selectbox(t("whatif.unit"), list(range(H)), index=sorted(units)[0], key="whatif_unit")
base, clamped = w.base[layer, direction], w.clamped[layer, direction]
series = [*values, "c", "h"]
h_unit = unit if unit < base.h.shape[-1] else None  # with proj_size, h has fewer features than c
pick = {q: (q if q != "h" or h_unit is not None else "h_full") for q in series}
if h_unit is None:
    labels["q_h"] = "o ⊙ tanh(c)"
fig = unit_whatif_figure({q: getattr(base, pick[q])[:, b, unit] for q in series},
                         {q: getattr(clamped, pick[q])[:, b, unit] for q in series},
                         labels, list(values), steps, unit)
st.plotly_chart(fig, key="whatif_fig_unit")
st.markdown(t("whatif.explain"))
