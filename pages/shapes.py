"""Shapes: every tensor and parameter of the current nn.LSTM, checked against a real forward pass.

Numbers: predicted shapes `lstm_core.shapes`; real shapes, parameter sharing, the output/h_n/c_n
correspondences and the unbatched/packed facts `lessons.shapes` (which reads `lessons.facts`).
"""

import streamlit as st

from lessons import shapes as lesson
from lessons.code import torch_call
from lstm_core import shapes
from ui import shapes_view as view
from ui.i18n import t
from ui.state import get_config, get_input, get_model

cfg = get_config()
model = get_model()
batch = get_input()
data = batch.data  # (B, T, I) batch-major; used as a plain batch (the packed tab uses batch.lengths)
batch_size, seq_len = data.shape[0], data.shape[1]
rep = shapes(cfg.lstm, batch_size=batch_size, seq_len=seq_len)

st.markdown(t("shapes.intro", call=torch_call(cfg.lstm), B=batch_size, T=seq_len))

view.shape_column_style()
st.header(t("shapes.tensors.header"))
st.markdown(t("shapes.tensors.intro"))
view.render_tensors(model, rep, data)

st.subheader(t("shapes.blocks.header"))
st.markdown(t("shapes.blocks.intro"))
view.render_blocks(rep)

st.header(t("shapes.params.header"))
st.markdown(t("shapes.params.intro"))
view.render_params(rep, model)

st.header(t("shapes.facts.header"))
st.markdown(t("shapes.facts.intro"))
try:
    found = lesson.correspondences(cfg.lstm, model.state_dict(), data, cfg.seed)
    view.render_checks(found.checks)
    view.render_final_values(found.last)
except Exception as err:  # never a traceback on the page
    st.error(t("shapes.error", error=str(err)))
if cfg.lstm.num_directions == 1:
    st.info(t("shapes.facts.bidirectional_hint"), icon="💡")
st.markdown(t("shapes.facts.mistakes"))

st.header(t("shapes.forms.header"))
tab_unbatched, tab_packed = st.tabs([t("shapes.forms.unbatched"), t("shapes.forms.packed")])
for tab, form in ((tab_unbatched, "unbatched"), (tab_packed, "packed")):
    with tab:
        try:
            view.render_form(lesson.form_facts(model, data, form, batch.lengths, cfg.seed))
        except Exception as err:
            st.error(t("shapes.error", error=str(err)))
