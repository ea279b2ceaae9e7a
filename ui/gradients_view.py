"""Cached engine calls for the gradient-flow page (`lessons.gradients`), and the model/tensor digests its
caches (and the what-if page's, `ui.whatif_view`) key on.

Models are not hashable for ``st.cache_data``; they are passed as ``_model`` next to ``model_key(model)``,
a digest of their configuration and weights, so a retrained or uploaded model is never served stale results.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from lessons.bptt import LSTM_QUANTITIES, lstm_backward, plug_in, rnn_backward, rnn_plug_in, unit_table
from lessons.gradients import (
    lstm_gradflow,
    matched_rnn,
    rnn_gradflow,
    seeded_input,
    truncation_start,
    with_forget_bias,
)
from lstm_core import Clamp
from ui.i18n import t
from ui.model_source import fingerprint


def model_key(model) -> str:
    """Cache key of a model: its configuration and every parameter value."""
    return fingerprint(model.config.kwargs(), model.state_dict())


def curves_csv(flows: dict, b: int = 0) -> str:
    """The plotted curves of `gradient_flows` as CSV text, one row per step (full precision)."""
    lstm, rnn = flows["lstm"], flows["rnn"]
    cols = {"t": range(lstm.T), "lstm_dL_dh": lstm.dL_dh[:, b], "lstm_dL_dc": lstm.dL_dc[:, b],
            "lstm_dL_dx": lstm.dL_dx[:, b], "forget_product_mean": lstm.forget_product[:, b].mean(-1),
            "rnn_dL_dh": rnn.dL_dh[:, b], "rnn_dL_dx": rnn.dL_dx[:, b]}
    for who in ("lstm", "rnn"):
        cut = flows.get(f"{who}_cut")
        if cut is not None:
            cols[f"{who}_dL_dh_truncated"] = cut.dL_dh[:, b]
            cols[f"{who}_dL_dx_truncated"] = cut.dL_dx[:, b]
    return pd.DataFrame(cols).to_csv(index=False, float_format="%.17g")


def _setup(model, seed: int, seq_len: int, forget_shift: float, f_open: bool):
    """What both cached computations run on: the seeded input, the model with its forget bias shifted, and the
    what-if clamps (f = 1 for every unit, step, layer and direction when `f_open`)."""
    cfg = model.config
    clamps = [Clamp("f", 1.0, layer=k, direction=d) for k in range(cfg.num_layers)
              for d in range(cfg.num_directions)] if f_open else []
    return seeded_input(seq_len, cfg.input_size, seed), with_forget_bias(model, forget_shift), clamps


@st.cache_data(max_entries=24, show_spinner=False)
def gradient_flows(key: str, _model, seed: int, seq_len: int, forget_shift: float, truncate: int | None,
                   layer: int, f_open: bool = False) -> dict:
    """LSTM and matched-RNN gradient flow on a seeded (seq_len, 1, input_size) input; truncated too if asked.

    ``f_open`` clamps the forget gate to exactly 1 for every unit, step, layer and direction (what-if).
    Returns {"lstm", "rnn"} and, with truncation, {"lstm_cut", "rnn_cut"} (all `GradFlow`).
    """
    x, lstm, clamps = _setup(_model, seed, seq_len, forget_shift, f_open)
    rnn = matched_rnn(_model.config, seed)
    out = {"lstm": lstm_gradflow(lstm, x, layer=layer, clamps=clamps), "rnn": rnn_gradflow(rnn, x, layer=layer)}
    if truncate:
        out["lstm_cut"] = lstm_gradflow(lstm, x, layer=layer, truncate=truncate, clamps=clamps)
        out["rnn_cut"] = rnn_gradflow(rnn, x, layer=layer, truncate=truncate)
    return out


# ---------------------------------------------------------------- backward through time, stepped

@st.cache_data(max_entries=24, show_spinner=False)
def backward_steps(key: str, _model, seed: int, seq_len: int, forget_shift: float, truncate: int | None,
                   f_open: bool = False) -> tuple:
    """`lessons.bptt` on the very model, input and what-if clamps of `gradient_flows`: (LSTMBackward,
    RNNBackward) of the top layer, batch item 0."""
    cfg = _model.config
    x, lstm, clamps = _setup(_model, seed, seq_len, forget_shift, f_open)
    truncate = truncate if truncate and not cfg.bidirectional else None
    return (lstm_backward(lstm, x, truncate=truncate, clamps=clamps),
            rnn_backward(matched_rnn(cfg, seed), x, truncate=truncate))


def sci(v: float) -> str:
    """A gradient for LaTeX in the table's format (%.3e): ``-1.234\\times10^{-3}``; ``×10^0`` is left out."""
    v = float(v)
    if v == 0:
        return "0"
    mant, exp = f"{v:.3e}".split("e")
    return mant if int(exp) == 0 else rf"{mant}\times10^{{{int(exp)}}}"


def plus(v: float) -> str:
    """``+ 1.2`` or ``- 1.2``: a term of a plugged-in sum, its sign folded into the operator."""
    return f"- {sci(-v)}" if v < 0 else f"+ {sci(v)}"


def term(v: float) -> str:
    """A signed term under an underbrace: negative values in parentheses."""
    return f"({sci(v)})" if v < 0 else sci(v)


def bptt_step_key(T: int) -> str:
    """Session key of the step selector (one per sequence length: its options are 0 … T-1)."""
    return f"bptt_t_{T}"


def _move(key: str, by: int, T: int) -> None:
    st.session_state[key] = min(max(st.session_state.get(key, T - 1) + by, 0), T - 1)


LSTM_EQUATIONS = r"""
\begin{aligned}
\delta h_t &= [\,t=T-1\,]\,\mathbf 1 + W_{hh}^{\top}\,\delta a_{t+1} \\
\delta o_t &= \delta h_t \odot \tanh c_t \\
\delta c_t &= \delta h_t \odot o_t \odot (1-\tanh^2 c_t) + \delta c_{t+1} \odot f_{t+1} \\
\delta f_t &= \delta c_t \odot c_{t-1}, \qquad \delta i_t = \delta c_t \odot g_t, \qquad
  \delta g_t = \delta c_t \odot i_t \\
\delta a_t &= \big[\,\delta i_t \odot i_t(1-i_t);\ \delta f_t \odot f_t(1-f_t); \\
  &\qquad\ \ \delta g_t \odot (1-g_t^2);\ \delta o_t \odot o_t(1-o_t)\,\big] \\
&\colorbox{#fde68a}{$\displaystyle \delta c_{t-1} = \delta c_t \odot f_t
  + \delta h_{t-1} \odot o_{t-1} \odot (1-\tanh^2 c_{t-1})$}
\end{aligned}
"""
PROJ_NOTE = r"\text{proj\_size:}\ \delta h_t \to W_{hr}^{\top}\delta h_t \ \text{in}\ \delta o_t,\ \delta c_t"
RNN_EQUATION = r"\delta h_{t-1} = W_{hh}^{\top}\big(\delta h_t \odot (1 - h_t^2)\big)"


@st.fragment
def render_bptt(lstm_bw, rnn_bw, *, has_proj: bool = False, num_layers: int = 1) -> None:
    """The stepped backward lesson: equations, a step selector 0 … T-1 (starting at T-1), the per-unit table and
    the plugged-in cell line for one unit. Numbers come from `lessons.bptt` (tested equal to autograd). A
    fragment: a step (or a unit) reruns this lesson only, not the page's three charts above it."""
    T, H = lstm_bw.T, lstm_bw.hidden_size
    st.header(t("gradients.bptt.title"))
    st.markdown(t("gradients.bptt.intro"))
    if num_layers > 1:
        st.caption(t("gradients.bptt.top_layer", layer=lstm_bw.layer))
    left, right = st.columns([3, 2])
    with left:
        st.markdown(t("gradients.bptt.lstm_eq"))
        st.latex(LSTM_EQUATIONS)
        if has_proj:
            st.latex(PROJ_NOTE)
    with right:
        st.markdown(t("gradients.bptt.rnn_eq"))
        st.latex(RNN_EQUATION)
        st.markdown(t("gradients.bptt.why"))
    key = bptt_step_key(T)
    c0, c1, c2 = st.columns([1, 6, 1], vertical_alignment="bottom")
    now = st.session_state.get(key, T - 1)
    # time runs left to right here as on every chart above: the loss sits at the right end, going back in
    # time moves left (the earlier-step button is on the left, the later-step one on the right)
    c0.button(t("gradients.bptt.earlier_label"), key="bptt_earlier", on_click=_move, args=(key, -1, T),
              help=t("gradients.bptt.earlier"), disabled=now <= 0)
    c2.button(t("gradients.bptt.later_label"), key="bptt_later", on_click=_move, args=(key, 1, T),
              help=t("gradients.bptt.later"), disabled=now >= T - 1)
    step = c1.select_slider(t("gradients.bptt.step"), options=list(range(T)), value=T - 1, key=key,
                            help=t("gradients.bptt.step_help", last=T - 1))
    back = T - 1 - step
    st.markdown(t("gradients.bptt.at_step", t=step, back=back))
    rnn_line = rnn_plug_in(rnn_bw, step)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("gradients.bptt.norm_dc"), f"{np.linalg.norm(lstm_bw.dc[step, 0]):.3e}")
    m2.metric(t("gradients.bptt.norm_dh"), f"{np.linalg.norm(lstm_bw.dh[step, 0]):.3e}")
    m3.metric(t("gradients.bptt.norm_rnn"), f"{rnn_line['dh']:.3e}")
    if lstm_bw.truncate and step < truncation_start(T, lstm_bw.truncate):
        st.info(t("gradients.bptt.cut", t=step, cut=truncation_start(T, lstm_bw.truncate)), icon="✂️")

    table = unit_table(lstm_bw, step)
    cols = {t(f"gradients.bptt.col.{name}"): table[name] for name in LSTM_QUANTITIES}
    cols[t("gradients.bptt.col.rnn_dh")] = rnn_bw.dh[step, 0]
    frame = pd.DataFrame(cols, index=pd.Index(range(H), name=t("gradients.bptt.unit")))
    fmt = {name: st.column_config.NumberColumn(name, format="%.3e") for name in cols}
    st.dataframe(frame, column_config=fmt, key="bptt_table")
    st.caption(t("gradients.bptt.table_note"))
    if has_proj:
        st.caption(t("gradients.bptt.table_note_proj"))

    j = st.selectbox(t("gradients.bptt.unit_pick"), range(H), key="bptt_unit")
    line = plug_in(lstm_bw, step, j)
    st.markdown(t("gradients.bptt.plug_title", j=j, t=step))
    sub = f"{step},{j}"
    if step + 1 < T:
        nxt, nxt_val = rf"\delta c_{{{step + 1},{j}}}\,f_{{{step + 1},{j}}}", term(line["dc_next_carry"])
    else:
        nxt, nxt_val = "0", "0"
    st.latex(rf"\delta c_{{{sub}}} = \underbrace{{\delta h_{{{sub}}}\,o_{{{sub}}}\,(1-\tanh^2 c_{{{sub}}})}}"
             rf"_{{{term(line['local'])}}} + \underbrace{{{nxt}}}_{{{nxt_val}}} = {sci(line['dc'])}")
    f_val = f"{line['f']:.3f}"
    if line["cut"]:
        st.latex(rf"\delta c_{{{step - 1},{j}}} \leftarrow 0 \quad\text{{({t('gradients.bptt.cut_short')})}}")
    elif step >= 1:
        prev = f"{step - 1},{j}"
        carry = (rf"\underbrace{{{sci(line['dc'])}}}_{{\delta c_{{{sub}}}}} \times "
                 rf"\underbrace{{{f_val}}}_{{f_{{{sub}}}}}")
        local = rf"\delta h_{{{prev}}}\,o_{{{prev}}}\,(1-\tanh^2 c_{{{prev}}})"
        st.latex(rf"\colorbox{{#fde68a}}{{$\displaystyle \delta c_{{{prev}}} = {carry}"
                 rf" + \underbrace{{{term(line['prev_local'])}}}_{{{local}}}"
                 rf" = {sci(line['carry'])} {plus(line['prev_local'])} = {sci(line['prev_dc'])}$}}")
    else:
        st.latex(rf"\colorbox{{#fde68a}}{{$\displaystyle \delta c_{{-1,{j}}} = \delta c_{{0,{j}}}\,f_{{0,{j}}} = "
                 rf"{sci(line['dc'])} \times {f_val} = {sci(line['carry'])}$}}")
    prev_rnn = r"\delta h_{-1}" if step == 0 else rf"\delta h_{{{step - 1}}}"
    st.latex(rf"\text{{RNN}}:\ \|{prev_rnn}\| = \big\|W_{{hh}}^{{\top}}\underbrace{{(\delta h_{{{step}}} \odot "
             rf"(1-h_{{{step}}}^2))}}_{{\|\cdot\| = {sci(rnn_line['da'])}}}\big\| = {sci(rnn_line['prev_dh'])}"
             rf"\qquad \|\delta h_{{{step}}}\| = {sci(rnn_line['dh'])}")
    st.markdown(t("gradients.bptt.read", t=step, j=j, f=f_val, slope=f"{rnn_line['slope']:.3f}"))


# ---------------------------------------------------------------- the sentences, chosen by the numbers

def relation_text(lstm_ratio: float, rnn_ratio: float) -> str:
    """"far above / above / about the same as / below the RNN's", chosen by `claims.relation` of the two
    step-0 ratios (never a fixed comparison in the catalog)."""
    from lessons.facts import claims

    q = f"{lstm_ratio / rnn_ratio:.2g}" if rnn_ratio else "∞"
    return t(f"gradients.rel.{claims.relation(lstm_ratio, rnn_ratio)}", q=q)


@st.cache_data(max_entries=24, show_spinner=False)
def explain_numbers(config_kwargs: tuple, seed: int, seq_len: int) -> dict:
    """What the explanation states, computed for this configuration with its random weights (seed) over
    ``seq_len`` steps of the page's input: the matched RNN's ‖W_hh‖₂ and spectral radius, and ‖∂L/∂x₀‖
    through all paths, the cell path alone and the h paths alone (layer 0 of the LSTM)."""
    from lessons.facts import claims
    from lstm_core import LSTMConfig

    cfg = LSTMConfig(**dict(config_kwargs))
    spectrum = claims.whh_spectrum(matched_rnn(cfg, seed).state_dict()["weight_hh_l0"])
    paths = claims.gradient_paths(cfg.build(seed).state_dict(), seeded_input(seq_len, cfg.input_size, seed))
    return {"spectrum": spectrum, "paths": paths}


def explain_text(config_kwargs: dict, seed: int, seq_len: int) -> str:
    """The explanation with its two measured sentences (W_hh at torch's initialisation; which path carries
    the LSTM's gradient), each worded by the numbers."""
    found = explain_numbers(tuple(sorted(config_kwargs.items())), seed, seq_len)
    s, p = found["spectrum"], found["paths"]
    whh = t("gradients.whh.grow" if s.one_step_can_grow else "gradients.whh.shrink", norm=f"{s.norm:.2f}",
            radius=f"{s.radius:.2f}", H=s.hidden_size)
    paths = t(f"gradients.paths.{p.winner}", T=p.T, full=f"{p.full:.1e}", cell=f"{p.cell:.1e}", h=f"{p.h:.1e}",
              seed=seed)
    return "\n\n".join((t("gradients.explain"), whh, t("gradients.explain_lstm"), paths))
