"""Stepper: run the from-scratch engine through a sequence and watch every gate, one timestep at a time."""

import time

import streamlit as st

from ui import stepper_view
from ui.i18n import t
from ui.inputs import input_panel

start = time.perf_counter()
st.markdown(t("stepper.intro"))
input_panel(expanded=False)
stepper_view.render()
st.session_state["_stepper_page_ms"] = 1000 * (time.perf_counter() - start)  # read by benchmarks/stepper.py
