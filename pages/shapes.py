"""Shapes: every tensor and parameter of the current nn.LSTM, checked against a real forward pass."""

import streamlit as st

from ui.i18n import t
from ui.state import get_config

st.title(t("shapes.title"))
