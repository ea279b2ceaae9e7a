"""Pitfalls: ten nn.LSTM confusions and the tutorials' errors, each refuted live (`lessons.pitfalls` on the
learner's configuration, then `lessons.errata` on the tutorials' own code); the five tutorials by title.

Numbers: `lessons.pitfalls` (batch_first, last step, h_n layout, padding, dropout and unbatched through the
shared facts of `lessons.facts`); laid out as cards by `ui.pitfalls_view`.
"""

import streamlit as st

from lessons import errata, pitfalls
from ui import errata_view
from ui import pitfalls_view as view
from ui.i18n import t
from ui.state import get_config, get_input, get_model

st.markdown(t("pitfalls.intro"))

try:
    demos, trimmed = view.compute(get_config(), get_model(), get_input())
except (ValueError, RuntimeError, TypeError) as err:
    st.error(t("pitfalls.failed", error=str(err)), icon="⛔")
    st.stop()

if trimmed:
    st.caption(t("pitfalls.trimmed", **trimmed))

by_key = {d.key: d for d in demos}
n_errors = len(pitfalls.CLAIMS) + len(errata.KEYS)  # counted, never written into the catalog
tab_pitfalls, tab_claims = st.tabs([t("pitfalls.tab_pitfalls"), t("pitfalls.tab_claims", n=n_errors)])
with tab_pitfalls:
    for number, key in enumerate(pitfalls.PITFALLS, start=1):
        view.render_card(by_key[key], number)
with tab_claims:
    st.header(t("tutorials.heading"))
    errata_view.render_tutorials()
    st.markdown(t("pitfalls.claims_intro"))
    for key in pitfalls.CLAIMS:
        view.render_card(by_key[key])
    errata_view.render_cards(level=2)
