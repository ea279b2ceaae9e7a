"""Proof: our engine and torch.nn.LSTM on the same weights and input — forward values and every gradient."""

import streamlit as st

from lessons import proof
from ui import proof_view
from ui.i18n import t
from ui.state import get_config, get_input

st.title(t("proof.title"))
st.markdown(t("proof.intro"))
dtype = proof_view.dtype_choice()

case_text = st.query_params.get("case")
if case_text:
    try:
        case = proof.Case.decode(case_text)
    except ValueError as err:
        st.error(t("proof.case_bad", case=case_text, error=str(err)))
        case = None
    if case is not None:
        st.info(t("proof.case_shown", case=case_text, form=t(f"proof.form.{case.form}"), B=case.batch_size,
                  T=case.seq_len,
                  call="nn.LSTM(" + ", ".join(f"{k}={v!r}" for k, v in case.config.kwargs().items()) + ")",
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
    proof_view.render_dropout(cfg.lstm, batch, cfg.seed)
except Exception as err:
    st.error(t("proof.error", error=f"{type(err).__name__}: {err}"))
