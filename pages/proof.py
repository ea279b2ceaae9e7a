"""Proof: our engine and torch.nn.LSTM on the same weights and input — forward values and every gradient.

Numbers: the comparison, the random cases and the ``?case=`` codec `lessons.proof` (a link is read by
`ui.parse.proof_case`); the dropout demonstration `lessons.facts.dropout`; laid out by `ui.proof_view`.
"""

import streamlit as st

from lessons.code import torch_call
from ui import parse, proof_view
from ui.i18n import t
from ui.state import get_config, get_input, get_model

st.markdown(t("proof.intro"))
dtype = proof_view.dtype_choice()

case_text = st.query_params.get("case")
if case_text:
    got = parse.proof_case(case_text)  # a link may be unreadable or ask for more than the sidebar allows
    case = got.value
    if not got.ok:
        st.error(got.problem)
    else:
        st.info(t("proof.case_shown", case=case_text, form=t(f"proof.form.{case.form}"), B=case.batch_size,
                  T=case.seq_len,
                  call=torch_call(case.config, every=True),
                  lengths=list(case.lengths) if case.lengths else "—", seed=case.seed))
    if st.button(t("proof.case_back"), key="proof_back"):
        del st.query_params["case"]
        st.rerun()
else:
    case = None
    st.caption(t("proof.current"))

try:
    if case is not None:
        with st.spinner(t("proof.running")):
            proof_view.render_report(case.run(dtype))
    elif not case_text:
        proof_view.render_current(dtype)
except Exception as err:  # show what went wrong instead of a traceback
    st.error(t("proof.error", error=f"{type(err).__name__}: {err}"))

st.divider()
proof_view.render_check_many(dtype)

st.divider()
try:
    cfg, batch = get_config(), get_input()
    proof_view.render_dropout(cfg.lstm, get_model(), batch, cfg.seed)
except Exception as err:
    st.error(t("proof.error", error=f"{type(err).__name__}: {err}"))
