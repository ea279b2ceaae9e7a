"""Use the outputs: per-step tagging, sequence classification, pooling, attention, merges, encoder → decoder."""

import streamlit as st

from lessons import heads as H
from ui import heads_view as view
from ui.i18n import t
from ui.inputs import input_panel
from ui.state import get_config, get_input, get_model

st.markdown(t("heads.intro"))
input_panel(expanded=False)

cfg, model = get_config(), get_model()

batch = get_input()
try:
    r = H.run(model, batch)
except (ValueError, RuntimeError) as err:
    st.error(t("heads.error", error=err), icon="⛔")
    st.stop()

seed = cfg.seed
b = 0
if batch.batch_size > 1:
    items = [t("heads.sequence_item", b=k, n=int(r.lengths[k])) for k in range(batch.batch_size)]  # no run
    b = st.selectbox(t("heads.sequence"), range(batch.batch_size), key="heads_seq", format_func=items.__getitem__)
names = view.step_names(batch, b)
st.markdown(view.chain_md(r.chain))
st.caption(t("heads.setup", seed=seed, layout="batch_first=True" if r.config.batch_first else "batch_first=False",
             packed=t("heads.packed_yes") if r.packed else t("heads.packed_no")))

view.tagging_section(r, seed, b, names)
view.last_section(r, seed, b)
view.pooling_section(r, b)
view.attention_section(r, seed, b, names)
view.merge_section(r, b)
view.encdec_section(model, r, seed)
