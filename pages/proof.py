"""Proof: our engine and torch.nn.LSTM on the same weights and input — forward values and every gradient.

Numbers: the comparison, the random cases and the ``?case=`` codec `lessons.proof`; the dropout
demonstration `lessons.facts.dropout`; laid out by `ui.proof_view`.
"""

import streamlit as st

from lessons import proof
from lessons.code import torch_call
from lstm_core.limits import LimitError
from ui import proof_view
from ui.i18n import t
from ui.state import get_config, get_input, get_model

st.markdown(t("proof.intro"))
dtype = proof_view.dtype_choice()

case_text = st.query_params.get("case")
if case_text:
    try:
        case = proof.Case.decode(case_text)
    except LimitError as err:  # a link may ask for more than the sidebar allows: refuse, say which limit
        st.error(t("proof.case_too_big", case=case_text, value=err.value,
                   limit=t("proof.limit_traced") if err.limit == "traced values" else err.limit, maximum=err.maximum))
        case = None
    except ValueError as err:
        st.error(t("proof.case_bad", case=case_text, error=str(err)))
        case = None
    if case is not None:
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
