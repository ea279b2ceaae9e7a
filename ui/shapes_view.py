"""Shapes page sections: tables and pictures of what `lessons.shapes` computes (every number comes from
there: predicted shapes from `lstm_core.shapes`, real ones and the correspondences from `lessons.shapes`,
which reads the facts of `lessons.facts`). This module only lays them out with streamlit.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons import shapes as lesson
from lstm_core.shapes import TENSORS
from ui.figures.shapes import tensor_blocks
from ui.i18n import current_lang, t

ROLES = ("seq_len", "batch", "input_size", "packed_rows", "layers_x_directions", "h_out", "hidden_size",
         "proj_size", "directions_x_h_out", "gates_x_hidden", "layer_input")
OK, BAD = "✓", "✗"


def shape_str(shape) -> str:
    """Python's tuple notation: (5, 2, 6), (24,)."""
    return str(tuple(int(s) for s in shape))


@st.cache_resource(max_entries=256, show_spinner=False)
def _frame(name: str, key: str, lang: str, _build) -> pd.DataFrame:
    """A table built once per (what it shows, language) and shared read only by every session: building the
    pandas frames of the page was most of a rerun's CPU after the torch runs (shared in lessons.shapes)."""
    return _build()


def frame(name: str, key, build) -> pd.DataFrame:
    return _frame(name, repr(key), current_lang(), build)


# ---------------------------------------------------------------------------------------------- tensors
def meaning(dims) -> str:
    return "; ".join(f"{d.size} = {t('shapes.role.' + d.role)}" for d in dims)


def tensor_table(rep, actual: dict[str, tuple] | None) -> pd.DataFrame:
    """One row per tensor, indexed by its name: shape, symbols, meaning, torch check."""
    rows = []
    for name in TENSORS:
        ts = rep.tensors[name]
        got = (actual or {}).get(name)
        check = OK if got == ts.shape else f"{BAD} {shape_str(got)}" if got else BAD
        rows.append({t("shapes.col.tensor"): name, t("shapes.col.shape"): shape_str(ts.shape),
                     t("shapes.col.symbolic"): ts.symbolic, t("shapes.col.meaning"): meaning(ts.dims),
                     t("shapes.col.torch"): check})
    return pd.DataFrame(rows).set_index(t("shapes.col.tensor"))


# The shape column (the second of every table on this page) stays on one line: on a phone "(5, 2, 4)" otherwise
# wraps one number per line while the wordy columns take the width; a table wider than the phone scrolls sideways
# in its own box.
SHAPE_COLUMN_STYLE = """<style>
[data-testid=stTable] :is(td, th):nth-child(2), [data-testid=stTable] :is(td, th):nth-child(2) * {
  white-space: nowrap;
}
</style>"""


def shape_column_style() -> None:
    st.html(SHAPE_COLUMN_STYLE)  # style only: Streamlit puts it out of the page's flow


def render_tensor_table(rep, actual: dict | None, error: str | None = None) -> bool:
    """Table of the six tensors with the torch check (``actual``: `lessons.shapes.real_shapes`, or None and
    the ``error`` torch raised); returns whether every shape matched."""
    if actual is None:
        st.error(t("shapes.check_failed", error=error))
        st.table(frame("tensors", (rep, None), lambda: tensor_table(rep, None)))
        return False
    bad = [name for name in TENSORS if actual[name] != rep.tensors[name].shape]
    if bad:
        st.error(t("shapes.check_mismatch", names=", ".join(bad)))
    else:
        st.success(t("shapes.check_ok"), icon="✅")
    st.table(frame("tensors", (rep, actual), lambda: tensor_table(rep, actual)))  # static: long meanings wrap
    return not bad


def render_tensors(model, rep, data) -> bool:
    """The batched tensor table: real shapes from `lessons.shapes.real_shapes`."""
    try:
        actual, error = lesson.real_shapes(model, rep, data), None
    except Exception as err:  # torch refused the predicted h_0/c_0 or the input
        actual, error = None, str(err)
    return render_tensor_table(rep, actual, error)


def block_labels() -> dict[str, str]:
    labels = {f"role.{role}": t(f"shapes.role.{role}") for role in ROLES}
    for key in ("forward", "backward", "more", "layer_dir"):
        labels[key] = t(f"shapes.fig.{key}")
    return labels


@st.cache_resource(max_entries=64, show_spinner=False)
def _blocks_figure(rep_key: str, lang: str, _rep):
    """The block picture per (shape report, language), shared read-only by every session: plotly takes
    0.1-0.3 s to build its 37 traces, on every rerun of the page before (most of a click's CPU)."""
    return tensor_blocks(_rep, block_labels())


def render_blocks(rep) -> None:
    st.plotly_chart(_blocks_figure(repr(rep), current_lang(), rep), width="stretch", key="shapes_blocks")


# ------------------------------------------------------------------------------------------- parameters
def param_kind(name: str) -> str:
    """weight_ih, weight_hh, bias_ih, bias_hh or weight_hr: what a parameter is, whatever its layer."""
    return name.split("_l")[0]


def param_table(rep, real: dict[str, tuple]) -> pd.DataFrame:
    """One row per parameter: name, shape, in symbols, count, torch check. What each kind is goes in a legend
    under the table (`param_legend`): the same sentence on every layer's rows made the table too wide to read."""
    return pd.DataFrame([{t("shapes.col.param"): p.name, t("shapes.col.shape"): shape_str(p.shape),
                          t("shapes.col.symbolic"): p.symbolic, t("shapes.col.count"): p.count,
                          t("shapes.col.torch"): OK if real.get(p.name) == p.shape else BAD} for p in rep.params])


def param_legend(rep) -> str:
    """What each kind of parameter is, once per kind present (`weight_ih_l{k}` stands for every layer k)."""
    kinds = dict.fromkeys(param_kind(p.name) for p in rep.params)
    return "\n".join(f"- `{kind}_l{{k}}`: {t(f'shapes.param.{kind}')}" for kind in kinds)


def sharing_table(rows: list[lesson.Sharing]) -> pd.DataFrame:
    return pd.DataFrame([{"seq_len": r.seq_len, t("shapes.col.total_params"): r.total_params,
                          t("shapes.col.output_numbers"): r.output_numbers} for r in rows])


def render_params(rep, model) -> None:
    real = lesson.param_shapes(model)
    table = frame("params", (rep, real), lambda: param_table(rep, real))
    real_total = sum(p.numel() for p in model.parameters())
    # static: every cell's whole text is laid out (wrapping where it has spaces); a table wider than a phone
    # scrolls sideways in its own box instead of cutting its columns
    st.table(table, hide_index=True)
    st.markdown(param_legend(rep))
    col1, col2 = st.columns([1, 2])
    col1.metric(t("shapes.total_params"), f"{rep.total_params:,}")
    if real_total != rep.total_params or BAD in set(table[t("shapes.col.torch")]):
        st.error(t("shapes.params_mismatch", real=real_total, predicted=rep.total_params))
    col2.markdown(t("shapes.sharing", total=f"{rep.total_params:,}", seq_len=rep.seq_len))
    col2.dataframe(frame("sharing", (rep.config, rep.batch_size, rep.seq_len), lambda: sharing_table(
        lesson.sharing(rep.config, rep.batch_size, rep.seq_len))), hide_index=True)
    _seq_len_change(rep, col1)


def _seq_len_change(rep, where) -> None:
    """After the learner moved seq_len (nothing else): parameters before/after vs output size before/after."""
    now = (rep.config, rep.batch_size, rep.seq_len, rep.total_params, lesson.output_numbers(rep))
    before = st.session_state.get("_shapes_last")
    st.session_state["_shapes_last"] = now
    if before and before[:2] == now[:2] and before[2] != now[2]:
        where.info(t("shapes.seq_len_changed", old=before[2], new=now[2], params_old=f"{before[3]:,}",
                     params_new=f"{now[3]:,}", out_old=f"{before[4]:,}", out_new=f"{now[4]:,}"), icon="🔁")


# -------------------------------------------------------------------------------------- correspondences
def claim_text(c: lesson.Check) -> str:
    if c.final_of is None:
        return c.claim
    return c.claim + t("shapes.final_state", layer=c.final_of[0], d=c.final_of[1])


def render_checks(checks: list[lesson.Check]) -> None:
    rows = [{t("shapes.col.claim"): claim_text(c), t("shapes.col.max_diff"): f"{c.diff:.2e}",
             t("shapes.col.expected"): t("shapes.equal" if c.expect_equal else "shapes.differs"),
             t("shapes.col.verdict"): OK if c.ok else BAD} for c in checks]
    if all(c.ok for c in checks):
        st.success(t("shapes.checks_ok", n=len(checks)), icon="✅")
    else:
        st.error(t("shapes.checks_bad", n=sum(not c.ok for c in checks)))
    st.dataframe(frame("checks", rows, lambda: pd.DataFrame(rows)), hide_index=True, width="stretch",
                 column_config={t("shapes.col.claim"): st.column_config.TextColumn(width="large")})


def render_final_values(last) -> None:
    """The two vectors of the first check side by side for sequence 0 (`facts.LastStepFact`)."""
    st.dataframe(frame("final", last, lambda: pd.DataFrame({
        t("shapes.vec.output_last"): last.seq0_output_last,
        t("shapes.vec.h_n_top", index=last.top): last.seq0_h_n_top,
    }).T.round(5).rename_axis(t("shapes.col.vector"))), width="stretch")


# ------------------------------------------------------------------------------------ unbatched, packed
def render_form(f: lesson.Form) -> None:
    """One tab (`lessons.shapes.form_facts`): the form's tensor table and its fact."""
    st.markdown(t(f"shapes.{f.form}.intro"))
    render_tensor_table(f.rep, f.actual, f.error)
    if f.unbatched is not None:
        st.markdown(t("shapes.unbatched.same", diff=f"{f.unbatched.delta_vs_batched:.2e}"))
    else:
        p = f.padding
        st.markdown(t("shapes.packed.facts", lengths=p.lengths, batch_sizes=p.batch_sizes,
                      end_diff=f"{p.delta_last_step:.2e}", pad_diff=f"{p.delta_padded:.2e}"))
