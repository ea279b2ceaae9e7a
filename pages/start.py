"""Start here: a guided first visit in eight stops, each with a live view, a prompt and a link onward."""

import streamlit as st

from ui import start_view as view
from ui.i18n import t

st.markdown(t("start.intro"))
view.page_shortcuts()
stop = view.stop_selector()
view.render_stop(stop)
view.prev_next(stop)
view.your_model()
view.presets()
