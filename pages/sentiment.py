"""Sentiment, the tutorials' way: the classifier of seeds 003/004 trained live on the bundled bilingual corpus."""

import streamlit as st

from ui import sentiment_view as view
from ui.i18n import t
from ui.state import get_config

st.markdown(t("sentiment.intro"))
# What a server restart loses (deploy/README.md): the classifier trained here lives only on this server.
st.caption(t("deploy.session_note"))

seed = get_config().seed
tr = view.trainer(seed)
view.training_section(tr)
view.reading_section(tr)
view.mechanics_section(tr)
