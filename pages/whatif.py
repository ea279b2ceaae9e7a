"""What-if: clamp a gate (engine `Clamp`) for chosen units and steps; compare c, h and output with the plain run.

Numbers: `lessons.whatif.what_if` (the engine's trace, unclamped and clamped); laid out by `ui.whatif_view`.
"""

import streamlit as st

from ui import whatif_view as view
from ui.i18n import t
from ui.state import get_config, get_input, get_model

st.markdown(t("whatif.intro"))

model, batch = get_model(), get_input()
cfg = get_config().lstm  # also the architecture of a trained or uploaded model (the sidebar shows it)
B, T = batch.data.shape[0], batch.data.shape[1]
H = cfg.hidden_size

c1, c2, c3 = st.columns(3)
layer = c1.selectbox(t("whatif.layer"), range(cfg.num_layers), key="whatif_layer") if cfg.num_layers > 1 else 0
dir_names = [t("whatif.dir0"), t("whatif.dir1")]  # format_func must not need a run context
direction = (c2.selectbox(t("whatif.direction"), range(2), key="whatif_direction",
                          format_func=dir_names.__getitem__) if cfg.bidirectional else 0)
b = c3.selectbox(t("whatif.batch"), range(B), key="whatif_batch") if B > 1 else 0

values = view.gate_controls()
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

units = sorted(units)
steps = tuple(range(a, z + 1))
clamps = tuple((g, float(v), layer, direction, tuple(units), steps) for g, v in values.items())
try:
    w = view.clamp_run(model, batch, clamps)
except (ValueError, RuntimeError) as err:
    st.error(t("whatif.error", error=err), icon="⛔")
    st.stop()

gates_text = ", ".join(f"{g} = {v:g}" for g, v in values.items())
st.success(t("whatif.summary", layer=layer, direction=t(f"whatif.dir{direction}"), gates=gates_text,
             units=", ".join(map(str, units)), a=a, b=z))
view.render_heatmaps(w, layer, direction, b, steps, units)

unit = st.selectbox(t("whatif.unit"), list(range(H)), index=units[0], key="whatif_unit")
view.render_unit(w, layer, direction, b, unit, list(values), steps)
st.markdown(view.explain_text(w, layer, direction, b))
