"""GRU beside LSTM: the same configuration and input through both engines, a race, seed 001's cell mapped."""

import streamlit as st

from lessons import gru as G
from ui import gru_view as view
from ui.i18n import t
from ui.inputs import input_panel
from ui.state import get_config, get_input, get_model

st.markdown(t("gru.intro"))
input_panel(expanded=False)

cfg, model, batch = get_config(), get_model(), get_input()
gru = G.twin_gru(cfg.lstm, cfg.seed)  # get_config() is the one source (a trained model's too)
try:
    sbs = G.side_by_side(model, gru, batch.model_input(cfg.lstm))
except (ValueError, RuntimeError) as err:
    st.error(t("gru.error", error=err), icon="⛔")
    st.stop()

view.structure_section(model, sbs)
view.step_section(model, sbs, batch)
view.race_section(cfg.seed)
view.seed_section()
