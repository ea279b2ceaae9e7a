"""Streamlit side of the proof page: the parity table with its badge, "check many", and train/eval dropout.

All numbers come from `lessons.proof` (our engine against ``torch.nn.LSTM``) and, for dropout, from
`lessons.facts.dropout` (the fact the Pitfalls page shows too); this module only lays them out.
Widget keys: ``proof_dtype``, ``proof_n``, ``proof_many_seed``, ``proof_many``, ``proof_back``.
"""

from __future__ import annotations

import urllib.parse

import pandas as pd
import streamlit as st
import torch

from lessons import facts, proof
from lstm_core import LSTMConfig, limits
from ui import model_source
from ui.figures.proof import diff_figure
from ui.i18n import current_lang, t
from ui.model_source import fingerprint
from ui.state import get_config, get_input, get_model

DTYPES = {"float32": torch.float32, "float64": torch.float64}
SUMMARY_KEY = "_proof_summary"
AUTO_STEPS = 400  # run the comparison on every rerun up to this many sequential cell steps (T·num_layers·D) ...
AUTO_VALUES = 300_000  # ... and this many traced values; above, a button starts it (it can take a while)


def _engine_name() -> str:
    engine = proof.engine_class()
    return f"{engine.__module__}.{engine.__qualname__}"


def input_key(batch) -> str:
    return fingerprint(batch.data, batch.lengths)


@st.cache_data(max_entries=16, show_spinner=False)
def _current_report(cfg_items: tuple, seed: int, key: str, dtype_name: str, engine: str, weights_key: str,
                    _model, _batch):
    """The comparison for the app's model and input, kept per (configuration, seed, input, dtype, engine)."""
    return proof.compare(LSTMConfig(**dict(cfg_items)), _model.state_dict(), _batch.data, lengths=_batch.lengths,
                          dtype=DTYPES[dtype_name], seed=seed)


def render_current(dtype: torch.dtype) -> None:
    """Badge + table for the sidebar configuration, its weights and the current input."""
    app, batch = get_config(), get_input()
    cfg = app.lstm
    steps = batch.seq_len * cfg.num_layers * cfg.num_directions
    values = limits.trace_value_count(cfg, batch.batch_size, batch.seq_len)
    dtype_name = "float32" if dtype == torch.float32 else "float64"
    args = (tuple(cfg.kwargs().items()), app.seed, input_key(batch), dtype_name, _engine_name(),
            model_source.model_key())  # trained/uploaded weights are not (config, seed)
    if (steps > AUTO_STEPS or values > AUTO_VALUES) and st.session_state.get("_proof_big") != args:
        st.info(t("proof.big", steps=steps))
        if not st.button(t("proof.big_run"), key="proof_big_run"):
            return
        st.session_state["_proof_big"] = args
    with st.spinner(t("proof.running")):
        report = _current_report(*args, get_model(), batch)
    render_report(report)


def fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:.2e}"


def dtype_choice() -> torch.dtype:
    name = st.radio(t("proof.dtype"), list(DTYPES), index=1, key="proof_dtype", horizontal=True,
                    help=t("proof.dtype_help"))
    return DTYPES[name]


def case_link(case_text: str) -> str:
    """A relative link that opens the proof page on exactly this case (and the current language)."""
    query = urllib.parse.urlencode({"page": "proof", "case": case_text, "lang": current_lang()})
    return f"[`{case_text}`](?{query})"


def report_frame(report: proof.Report) -> pd.DataFrame:
    rows = []
    for r in report.rows:
        rows.append({
            t("proof.col_what"): t("proof.forward") if r.group == "forward" else t("proof.grad_of"),
            t("proof.col_tensor"): r.name, t("proof.col_shape"): str(r.shape),
            t("proof.col_diff"): fmt(r.max_abs_diff), t("proof.col_ref"): f"{r.max_abs_ref:.4g}",
            t("proof.col_bound"): fmt(r.bound),
            t("proof.col_result"): "✅ " + t("proof.pass") if r.passed else "❌ " + t("proof.fail"),
        })
    return pd.DataFrame(rows)


def render_report(report: proof.Report) -> None:
    name = "float32" if report.dtype == torch.float32 else "float64"
    tol = proof.TOLERANCES[report.dtype]
    if report.passed:
        st.badge(t("proof.badge_pass", dtype=name), icon=":material/check_circle:", color="green")
    else:
        st.badge(t("proof.badge_fail", dtype=name, n=len(report.failures)), icon=":material/error:",
                 color="red")
    worst = report.worst
    st.markdown(t("proof.summary", n=len(report.rows), worst=fmt(worst.max_abs_diff), name=worst.name,
                  tol=f"{tol:g}"))
    st.dataframe(report_frame(report), hide_index=True, width="stretch",
                 height=min(36 * (len(report.rows) + 1) + 4, 640))
    rows = report.rows
    st.plotly_chart(diff_figure([r.name for r in rows], [r.max_abs_diff for r in rows], [r.bound for r in rows],
                                [r.passed for r in rows], t("proof.col_diff"), t("proof.col_bound"),
                                t("proof.axis_diff")), key="proof_diffs")


def render_check_many(dtype: torch.dtype) -> None:
    st.header(t("proof.many_title"))
    st.markdown(t("proof.many_intro"))
    c1, c2 = st.columns(2)
    n = int(c1.number_input(t("proof.many_n"), 1, 500, 30, key="proof_n"))
    seed = int(c2.number_input(t("proof.many_seed"), 0, 1_000_000, 0, key="proof_many_seed"))
    if st.button(t("proof.many_run"), key="proof_many", type="primary"):
        bar = st.progress(0.0, text=t("proof.many_progress", k=0, n=n))
        summary = proof.Summary()
        for k, case in enumerate(proof.random_cases(n, seed)):
            try:
                summary.add(case, case.run(dtype))
            except Exception as err:  # an engine crash is a failure to report, not a traceback
                summary.add_error(case, err)
            bar.progress((k + 1) / n, text=t("proof.many_progress", k=k + 1, n=n))
        st.session_state[SUMMARY_KEY] = (n, seed, dtype, summary)
    stored = st.session_state.get(SUMMARY_KEY)
    if stored and stored[:3] == (n, seed, dtype):
        _render_summary(stored[3], dtype)


def _render_summary(summary: proof.Summary, dtype: torch.dtype) -> None:
    bad = len(summary.failures) + len(summary.errors)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("proof.many_count"), summary.count)
    c2.metric(t("proof.many_passed"), summary.count - bad)
    c3.metric(t("proof.many_worst"), fmt(summary.worst_diff))
    if summary.passed:
        st.success(t("proof.many_ok", n=summary.count, tol=f"{proof.TOLERANCES[dtype]:g}"))
    else:
        st.error(t("proof.many_bad", bad=bad, n=summary.count))
        for case_text, row in summary.failures[:20]:
            st.markdown(t("proof.many_failure", link=case_link(case_text), name=row.name,
                          diff=fmt(row.max_abs_diff)))
        for case_text, message in summary.errors[:20]:
            st.markdown(t("proof.many_error", link=case_link(case_text), error=message))
    if summary.worst_case:
        st.markdown(t("proof.many_worst_case", link=case_link(summary.worst_case),
                      name=summary.worst_row.name if summary.worst_row else "?"))


def render_dropout(config, model, batch, seed: int) -> None:
    st.header(t("proof.dropout_title"))
    st.markdown(t("proof.dropout_intro"))
    data, lengths, trimmed = facts.demo_input(batch.data, batch.lengths)  # the effect shows on a slice
    if trimmed:
        st.caption(t("proof.dropout_slice", b=data.shape[0], t=data.shape[1]))
    fact = facts.dropout(config, model.state_dict(), data, lengths, seed=seed, engine=proof.engine_class())
    if fact.adjusted:
        st.info(t("proof.dropout_adjusted", layers=fact.config.num_layers, p=fact.config.dropout))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("proof.dropout_train"), fmt(fact.engine_train_diff))
    c2.metric(t("proof.dropout_eval"), fmt(fact.engine_eval_diff))
    c3.metric(t("proof.dropout_torch"), fmt(fact.engine_eval_vs_torch))
    st.caption(t("proof.dropout_caption", torch_train=fmt(fact.delta_train), p=fact.config.dropout))
