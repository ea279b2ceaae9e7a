"""Streamlit side of the stepper: cached traces, the step controls (a fragment), views and downloads.

The figures, the cell diagram and the equations are built by the pure functions in ``ui/figures_stepper``
from ``lstm_core.trace`` (never a second copy of the maths). Widget keys: ``timestep`` (the cursor: the
k-th step the chosen direction visits, so the backward cursor runs from the end to the start), ``layer``,
``direction``, ``batch_index``, ``unit``, ``play``.
"""
from __future__ import annotations

import time

import streamlit as st

from lessons import stepper as trace_export
from lstm_core import limits, trace
from ui import model_source, urlstate
from ui.figures import stepper as fs
from ui.i18n import current_lang, t
from ui.inputs import batch_key, error_text
from ui.state import get_config, get_input, get_model

# the cursor and selectors are part of the URL, so a link opens the same step (clamped to the config)
URL_PARAMS = [
    urlstate.int_param("timestep", 0, 0, limits.MAX_SEQ_LEN - 1),
    urlstate.int_param("layer", 0, 0, limits.MAX_NUM_LAYERS - 1),
    urlstate.int_param("direction", 0, 0, 1),
    urlstate.int_param("batch_index", 0, 0, limits.MAX_BATCH_SIZE - 1),
    urlstate.int_param("unit", 0, 0, limits.MAX_HIDDEN_SIZE - 1),
]
PLAY_SECONDS = 0.8  # one step per 0.8 s while playing (the figures also animate in the browser)


@st.cache_resource(max_entries=6, show_spinner=False)
def _trace(cfg_items: tuple, seed: int, input_key: str, _model, _batch, weights_key: str = "random"):
    """Trace of the app's model on the batch, kept per (configuration, seed, input, weights). Returns
    (torch Trace, numpy Trace, input shares of the pre-activations); all shared read-only."""
    tr = trace(_model, _batch.model_input(_model.config))
    trn = tr.numpy()
    return tr, trn, {key: lt.x_proj for key, lt in trn.layers.items()}


def current_trace():
    """(Trace, numpy Trace, InputBatch) for the sidebar configuration and the current input."""
    cfg = get_config()
    batch = get_input()
    key = (tuple(cfg.lstm.kwargs().items()), cfg.seed, batch_key(batch))
    weights = model_source.model_key()  # trained/uploaded weights: not (config, seed)
    tr, trn, parts = _trace(*key, get_model(), batch, weights)
    # the session's figure caches (heatmaps, lines, concat) are valid for this trace only
    st.session_state["_stepper_trace_key"] = (*key, weights)
    st.session_state["_stepper_input_parts"] = parts
    return tr, trn, batch


def _clamp(key: str, hi: int, default: int = 0) -> None:
    """Keep a selector's stored value valid after the configuration shrank."""
    v = st.session_state.get(key, default)
    if not isinstance(v, int) or not 0 <= v <= hi:
        st.session_state[key] = min(max(int(v) if isinstance(v, int) else default, 0), hi)


def _move(delta: int, T: int) -> None:
    st.session_state["timestep"] = (st.session_state.get("timestep", 0) + delta) % T


def _labels(batch, b: int):
    tokens = st.session_state.get("input_tokens", {}).get(batch_key(batch))
    if tokens and b < len(tokens):
        return tokens[b] + [""] * (batch.seq_len - len(tokens[b]))
    return batch.labels if b == 0 else None


def render() -> None:
    for notice in urlstate.restore(URL_PARAMS):  # first run of a session only
        st.warning(notice, icon="🔗")
    try:
        with st.spinner(t("stepper.computing")):
            tr, trn, batch = current_trace()
    except (ValueError, RuntimeError) as err:  # LimitError or a torch complaint about the input
        st.error(error_text(err), icon="⚠️")
        return
    cfg = tr.config
    T, B, L, D, H = tr.T, tr.B, cfg.num_layers, cfg.num_directions, cfg.hidden_size
    for key, hi in (("timestep", T - 1), ("layer", L - 1), ("direction", D - 1), ("batch_index", B - 1),
                    ("unit", H - 1)):
        _clamp(key, hi)
    playing = bool(st.session_state.get("play", False))

    @st.fragment(run_every=PLAY_SECONDS if playing else None)
    def stepper():
        start = time.perf_counter()
        if bool(st.session_state.get("play", False)) != playing:
            st.rerun(scope="app")  # play toggled: re-create the fragment with (or without) its timer
        if playing:
            _move(+1, T)
        c = st.columns([1, 1, 1, 1])
        # option labels are translated now, in the script thread (format_func may run elsewhere later)
        dir_names = [t(f"stepper.dir{d}") for d in range(D)]
        items = [t("stepper.batch_item", b=b, n=int(tr.lengths[b])) for b in range(B)]
        c[0].selectbox(t("stepper.layer"), list(range(L)), key="layer")
        c[1].selectbox(t("stepper.direction"), list(range(D)), key="direction", format_func=dir_names.__getitem__)
        c[2].selectbox(t("stepper.batch_index"), list(range(B)), key="batch_index", format_func=items.__getitem__)
        c[3].selectbox(t("stepper.unit"), list(range(H)), key="unit")
        row = st.columns([1, 7, 1, 2], vertical_alignment="bottom")
        row[0].button("◀", key="step_prev", on_click=_move, args=(-1, T), help=t("stepper.prev"), width="stretch")
        row[1].slider(t("stepper.timestep"), 0, max(T - 1, 1), key="timestep",
                      disabled=T == 1, help=t("stepper.timestep_help"))
        row[2].button("▶", key="step_next", on_click=_move, args=(+1, T), help=t("stepper.next"), width="stretch")
        row[3].toggle(t("stepper.play"), key="play", help=t("stepper.play_help"))
        show(tr, trn, batch)
        urlstate.publish(URL_PARAMS)
        st.session_state["_stepper_fragment_ms"] = 1000 * (time.perf_counter() - start)  # read by benchmarks

    stepper()
    downloads(tr)


def show(tr, trn, batch) -> None:
    """Every view at the current cursor (called inside the fragment)."""
    ss = st.session_state
    cfg = tr.config
    layer, d, b, j = ss["layer"], ss["direction"], ss["batch_index"], ss["unit"]
    k = min(ss["timestep"], tr.T - 1)
    lt = trn[layer, d]
    order = list(lt.visit_order)
    t_now = order[k]
    labels = _labels(batch, b)
    token = f" «{labels[t_now]}»" if labels and labels[t_now] else ""
    st.markdown(t("stepper.where", k=k, t=t_now, token=token, layer=layer, direction=t(f"stepper.dir{d}"),
                  b=b, unit=j))
    if cfg.num_directions == 2:
        st.caption(t("stepper.cursors", tf=k, tb=tr.T - 1 - k))
    vals = fs.unit_values(lt, t_now, b, j, ss.get("_stepper_input_parts", {}).get((layer, d)))
    proj = cfg.proj_size > 0
    caption = t("stepper.svg_caption", t=t_now, unit=j, layer=layer, direction=t(f"stepper.dir{d}"))
    svg = fs.cell_svg(vals, caption, t("stepper.svg_proj", p=cfg.proj_size) if proj else "")
    st.markdown(fs.one_line(svg), unsafe_allow_html=True)
    for eq in fs.equations(vals, lt.h[t_now, b] if proj else None):
        st.latex(eq)
    st.caption(t("stepper.eq_parts"))
    first = k == 0 or (tr.lengths is not None and d == 1 and t_now == int(tr.lengths[b]) - 1)
    st.info(fs.explain(vals, t, j, t_now, first), icon="💡")

    heat, lines = _figures(lt, order, k, labels, layer, d, b, j, proj)
    heat.layout.meta = dict(view="heatmaps", layer=layer, direction=d, b=b, t=t_now)
    st.subheader(t("stepper.heatmaps"))
    st.plotly_chart(heat, key="stepper_heatmaps", config={"displaylogo": False})
    lines.layout.meta = dict(view="unit_lines", layer=layer, direction=d, b=b, unit=j, t=t_now)
    st.subheader(t("stepper.lines", unit=j))
    st.plotly_chart(lines, key="stepper_lines", config={"displaylogo": False})

    if cfg.num_directions == 2:
        fwd, bwd = trn[layer, 0].h[:, b, :], trn[layer, 1].h[:, b, :]
        last = layer == cfg.num_layers - 1
        st.subheader(t("stepper.concat_title"))
        st.markdown(t("stepper.concat_text", p=cfg.h_out, what=t("stepper.concat_output") if last else
                      t("stepper.concat_next", next=layer + 1)))
        key = (ss.get("_stepper_trace_key"), layer, b, current_lang())
        cached = ss.get("_stepper_concat")
        if cached and cached[0] == key:
            fig = fs.move_cursor(cached[1], order, k)
        else:
            fig = fs.concat_figure(fwd, bwd, k, labels=labels, names=(t("stepper.dir0"), t("stepper.dir1")))
            ss["_stepper_concat"] = (key, fig)
        fig.layout.meta = dict(view="concat", layer=layer, b=b, tf=k, tb=tr.T - 1 - k)
        st.plotly_chart(fig, key="stepper_concat", config={"displaylogo": False})
        # output[t] at the chosen direction's t: the engine's own output (last layer), or the concatenation
        row = trn.output_padded[t_now, b] if last else None
        st.latex(fs.concat_latex(fwd[t_now], bwd[t_now], t_now, row, layer_out=None if last else layer + 1))
        if not (t_now <= k and t_now >= tr.T - 1 - k):
            st.caption(t("stepper.concat_pending", t=t_now))
    if proj:
        st.subheader(t("stepper.proj_title", p=cfg.proj_size, h=cfg.hidden_size))
        st.markdown(t("stepper.proj_text", p=cfg.proj_size, h=cfg.hidden_size))
        fig = fs.projection_figure(lt.h_full[t_now, b], lt.h[t_now, b],
                                   titles=(t("stepper.proj_before"), t("stepper.proj_after")))
        fig.update_layout(meta=dict(view="projection", layer=layer, direction=d, b=b, t=t_now))
        st.plotly_chart(fig, key="stepper_proj", config={"displaylogo": False})


def _figures(lt, order, k, labels, layer, d, b, j, proj):
    """The heatmaps and unit-lines figures at cursor k. Built once per (trace, layer, direction, sequence,
    unit, language) and kept in the session; stepping only moves their cursors (fs.move_cursor)."""
    unit_series = {q: getattr(lt, q if not (q == "h" and proj) else "h_full")[:, b, j] for q in fs.LINE_ORDER}
    key = (st.session_state.get("_stepper_trace_key"), layer, d, b, j, current_lang())
    cached = st.session_state.get("_stepper_figs")
    if cached and cached[0] == key:
        _, heat, lines = cached
        fs.move_cursor(heat, order, k, unit=j)
        fs.move_cursor(lines, order, k, dots=unit_series)
        return heat, lines
    names = {q: t(f"stepper.q.{q}") for q in fs.QUANTITIES}
    line_names = {**names, "h": t("stepper.q.h_full")} if proj else names  # the line shows o*tanh(c)
    series = {q: getattr(lt, q)[:, b, :] for q in fs.QUANTITIES}
    ranges = {q: t(f"stepper.range.{q}" if q != "h" or not proj else "stepper.range.h_proj", name=names[q])
              for q in fs.QUANTITIES}
    heat = fs.heatmaps_figure(series, order, k, unit=j, labels=labels, titles=ranges)
    lines = fs.unit_lines_figure(unit_series, order, k, labels=labels, names=line_names)
    st.session_state["_stepper_figs"] = (key, heat, lines)
    return heat, lines


def downloads(tr) -> None:
    cfg = get_config()
    stem = f"lstm_trace_seed{cfg.seed}"
    c1, c2 = st.columns(2)
    c1.download_button(t("stepper.download_csv"), data=lambda: trace_export.to_csv(tr.arrays()),
                       file_name=f"{stem}.csv", mime="text/csv", key="dl_csv", on_click="ignore")
    c2.download_button(t("stepper.download_npz"), data=lambda: trace_export.to_npz(tr.arrays()),
                       file_name=f"{stem}.npz", mime="application/octet-stream", key="dl_npz", on_click="ignore")
    st.caption(t("stepper.download_help"))
