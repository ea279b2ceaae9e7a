"""Sections of the "use the outputs" page: each head as a chain of tensors, its live numbers, the mistake."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons import heads as H
from ui.figures.heads import attention_figure, compare_figure
from ui.i18n import t
from ui.inputs import batch_key


def chain_md(chain) -> str:
    """`name` (shape) —op→ `name` (shape) ... as one markdown line (the names are the code's variables)."""
    parts = []
    for link in chain:
        if link.op:
            parts.append(f"──`{link.op}`──▶")
        parts.append(f"**`{link.name}`** `{tuple(link.shape)}`")  # variable names: code in every language
    return " ".join(parts)


def step_names(batch, b: int) -> list[str]:
    """Token labels of sequence b for text input, else t=0, t=1, ..."""
    tokens = st.session_state.get("input_tokens", {}).get(batch_key(batch))
    T = batch.seq_len
    if tokens and b < len(tokens):
        return [tokens[b][k] if k < len(tokens[b]) else "·" for k in range(T)]
    if b == 0 and batch.labels:  # a batch that names its own steps (the Sentiment page's sentence)
        return [str(batch.labels[k]) if k < len(batch.labels) else "·" for k in range(T)]
    return [f"t={k}" for k in range(T)]


def _vector_table(rows: dict) -> pd.DataFrame:
    """One row per named vector (rows may differ in width: missing cells stay empty)."""
    width = max(len(vec) for vec in rows.values())
    cells = [[float(v) for v in vec] + [float("nan")] * (width - len(vec)) for vec in rows.values()]
    return pd.DataFrame(cells, index=pd.Index(list(rows), name=t("heads.col.vector")))


def _cmp_labels(right: str, wrong: str) -> dict:
    return {"right": right, "wrong": wrong, "unit": t("heads.unit")}


def tagging_section(r: H.Run, seed: int, b: int, names: list[str]) -> None:
    st.header(t("heads.tag.title"))
    st.markdown(t("heads.tag.explain"))
    tag = H.tagging(r, seed)
    st.markdown(chain_md(tag.chain))
    classes = [t("heads.tag.class", c=c) for c in range(H.TAG_CLASSES)]
    df = pd.DataFrame(tag.logits[b].numpy(), index=pd.Index(names, name=t("heads.col.step")), columns=classes)
    df[t("heads.tag.col_tag")] = tag.tags[b].numpy()
    st.dataframe(df.style.format(precision=4), key="heads_tag_table")
    if r.packed:
        st.caption(t("heads.tag.padded"))


def last_section(r: H.Run, seed: int, b: int) -> None:
    st.header(t("heads.last.title"))
    ls = H.last_step(r, seed)
    st.markdown(chain_md(ls.chain))
    bi = r.config.bidirectional
    case = "bi" if bi else ("packed" if r.packed else "plain")
    st.markdown(t(f"heads.last.{case}", code=ls.right_code))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("heads.last.delta"), f"{ls.delta:.3g}")
    c2.metric(t("heads.last.delta_fwd"), f"{ls.delta_forward:.3g}")
    c3.metric(t("heads.last.delta_bwd"), f"{ls.delta_backward:.3g}")
    labels = _cmp_labels(ls.right_code, "output[:, -1]") | {"title": t("heads.last.fig", b=b)}
    st.plotly_chart(compare_figure(ls.right[b], ls.wrong[b], labels, "last"), key="heads_last_fig")
    st.markdown(t("heads.last.logits", shape=tuple(ls.logits.shape)))
    st.dataframe(_vector_table({f"logits[{b}]": ls.logits[b]}).style.format(precision=4), key="heads_last_logits")


def pooling_section(r: H.Run, b: int) -> None:
    st.header(t("heads.pool.title"))
    p = H.pooling(r)
    st.markdown(chain_md(p.chain))
    st.markdown(t("heads.pool.packed" if r.packed else "heads.pool.plain"))
    c1, c2 = st.columns(2)
    c1.metric(t("heads.pool.delta_mean"), f"{p.delta_mean:.3g}")
    c2.metric(t("heads.pool.delta_max"), f"{p.delta_max:.3g}")
    f1, f2 = st.columns(2)
    f1.plotly_chart(compare_figure(p.mean[b], p.mean_plain[b], _cmp_labels(t("heads.pool.masked"), "output.mean(1)")
                                   | {"title": t("heads.pool.mean_fig", b=b)}, "mean"), key="heads_mean_fig")
    f2.plotly_chart(compare_figure(p.max[b], p.max_plain[b], _cmp_labels(t("heads.pool.masked"), "output.amax(1)")
                                   | {"title": t("heads.pool.max_fig", b=b)}, "max"), key="heads_max_fig")


def attention_section(r: H.Run, seed: int, b: int, names: list[str]) -> None:
    st.header(t("heads.attn.title"))
    st.markdown(t("heads.attn.explain"))
    a = H.attention(r, seed)
    st.markdown(chain_md(a.chain))
    labels = {"masked": t("heads.attn.masked"), "plain": t("heads.attn.plain"), "weight": t("heads.attn.weight"),
              "title": t("heads.attn.fig", b=b)}
    st.plotly_chart(attention_figure(a.weights[b], a.weights_plain[b], names, labels), key="heads_attn_fig")
    c1, c2 = st.columns(2)
    c1.metric(t("heads.attn.sum", b=b), f"{float(a.weight_sums[b]):.6f}")
    c2.metric(t("heads.attn.delta"), f"{a.delta:.3g}")
    st.dataframe(_vector_table({f"context[{b}]": a.context[b]}).style.format(precision=4), key="heads_attn_ctx")


def merge_section(r: H.Run, b: int) -> None:
    st.header(t("heads.merge.title"))
    m = H.merge(r)
    if m is None:
        st.info(t("heads.merge.uni"), icon="↔️")
        return
    st.markdown(t("heads.merge.explain"))
    rows = [("concat", "torch.cat((fwd, bwd), -1)"), ("sum", "fwd + bwd"), ("max", "torch.maximum(fwd, bwd)")]
    st.table(pd.DataFrame({t("heads.merge.code"): [code for _, code in rows],
                           t("heads.merge.shape"): [str(tuple(getattr(m, k).shape)) for k, _ in rows],
                           t("heads.merge.width"): [m.widths[k] for k, _ in rows]},
                          index=[t(f"heads.merge.mode.{k}") for k, _ in rows]))
    last = r.lengths[b] - 1
    st.dataframe(_vector_table({f"{k}[{b}, {int(last)}]": getattr(m, k)[b, last] for k, _ in rows})
                 .style.format(precision=4), key="heads_merge_table")


def encdec_section(model, r: H.Run, seed: int) -> None:
    st.header(t("heads.encdec.title"))
    e = H.encoder_decoder(model, r, seed)
    st.markdown(chain_md(e.chain))
    st.markdown(t("heads.encdec.rule", h=e.expected_h, c=e.expected_c, layers=e.decoder_config.num_layers,
                  D=e.decoder_config.num_directions))
    for kind in ("layers", "directions"):
        st.markdown(t(f"heads.encdec.{kind}"))
        st.code(e.errors[kind], language="text", wrap_lines=True)
