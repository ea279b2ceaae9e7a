"""Stepper: run the from-scratch engine through a sequence and watch every gate, one timestep at a time."""

import streamlit as st

from ui import stepper_view
from ui.i18n import t
from ui.inputs import input_panel

st.title(t("stepper.title"))
st.markdown(t("stepper.intro"))
input_panel(expanded=False)
stepper_view.render()
