"""Streamlit side of the stepper: the cached trace, the selection widgets, the browser component, downloads.

Stepping happens in the browser (``ui/components/stepper/``): the server sends one selection's trace once
(``lessons.stepper.view_payload``) and the component draws every step locally. What lives where:

- ``layer``, ``direction``, ``batch_index`` (the sequence): Streamlit selectboxes; changing one re-sends
  the payload. ``layer`` is bound to the URL by Streamlit (``bind="query-params"``); direction and sequence
  have translated option labels, which the binding would write into the URL, so `_remember` writes their
  numbers instead.
- the step (``timestep``: the k-th step the chosen direction visits, so the backward cursor runs from the end
  to the start) and the ``unit``: inside the component. It reports them back debounced; `_remember` keeps
  them in ``st.session_state`` and writes them to ``st.query_params`` — the one place this page writes the
  URL by hand — so a reload or a copied link opens the same step. Out-of-range values are clamped.
"""
from __future__ import annotations

import time

import streamlit as st

from lessons import stepper as lesson
from lstm_core import trace
from ui import chain_view, model_source, parse
from ui.figures import stepper as fs
from ui.i18n import current_lang, t
from ui.inputs import batch_key, error_text
from ui.model_source import fingerprint
from ui.state import get_config, get_input, get_model

TRACE_TTL_S = 15 * 60  # a trace nobody asked for in 15 minutes leaves the shared cache


def _component():
    """The client-side stepper, registered once per process from its real files (inline: an app, not a
    package, cannot declare an asset_dir)."""
    return st.components.v2.component("lstm_stepper", **fs.component_files(), isolate_styles=False)


STEPPER = _component()


@st.cache_resource(max_entries=6, ttl=TRACE_TTL_S, show_spinner=False)
def _trace(cfg_items: tuple, seed: int, input_key: str, _model, _batch, weights_key: str = "random"):
    """Numpy trace of the app's model on the batch, per (configuration, seed, input, weights); shared
    read-only by every session. Only the numpy copy is kept (the torch one is dropped at once)."""
    return trace(_model, _batch.model_input(_model.config)).numpy()


def current_trace():
    """(numpy Trace, InputBatch, key) for the sidebar configuration and the current input."""
    cfg = get_config()
    batch = get_input()
    key = (tuple(cfg.lstm.kwargs().items()), cfg.seed, batch_key(batch), model_source.model_key())
    return _trace(*key[:3], get_model(), batch, key[3]), batch, key


def _int(value, default: int = 0) -> int:
    """A cursor number from the URL or the component: an int, or ASCII digits read by ui/parse.py (``"١٢"``
    and ``"²"`` are not numbers there, though ``int()`` takes the first); anything else is `default`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    got = parse.int_text(value if isinstance(value, str) else None, -(10**40), 10**40)
    return got.value if got.ok else default


def _clamp(value, hi: int) -> int:
    return min(max(_int(value), 0), max(hi, 0))


def _labels(batch, b: int):
    tokens = st.session_state.get("input_tokens", {}).get(batch_key(batch))
    if tokens and b < len(tokens):
        return tokens[b] + [""] * (batch.seq_len - len(tokens[b]))
    return batch.labels if b == 0 else None


def _selectors(trn) -> tuple[int, int, int]:
    """Layer, direction, sequence: Streamlit widgets, started from the URL, clamped to the configuration."""
    cfg = trn.config
    n_layers, D, B = cfg.num_layers, cfg.num_directions, trn.B
    ss = st.session_state
    for key, hi in (("layer", n_layers - 1), ("direction", D - 1), ("batch_index", B - 1)):
        if key in ss and not (isinstance(ss[key], int) and 0 <= ss[key] <= hi):
            ss[key] = _clamp(ss[key], hi)
        elif key not in ss and key in st.query_params:  # a link: Streamlit's binding would reject out-of-range
            ss[key] = _clamp(st.query_params[key], hi)
    dir_names = [t(f"stepper.dir{d}") for d in range(D)]
    items = [t("stepper.batch_item", b=b, n=int(trn.lengths[b])) for b in range(B)]
    c = st.columns(3)
    layer = c[0].selectbox(t("stepper.layer"), list(range(n_layers)), key="layer", bind="query-params")
    # direction and sequence show translated labels, which Streamlit's binding would put in the URL
    # ("backward ←", "#1 (length 5)": language- and input-dependent): `_remember` writes their numbers
    d = c[1].selectbox(t("stepper.direction"), list(range(D)), key="direction", format_func=dir_names.__getitem__)
    b = c[2].selectbox(t("stepper.batch_index"), list(range(B)), key="batch_index", format_func=items.__getitem__)
    return int(layer or 0), int(d or 0), int(b or 0)


def _payload(trn, batch, key, layer: int, d: int, b: int) -> dict:
    """The component's data for this selection, built once and kept (one per session): identical data on a
    rerun is not re-sent (Streamlit sends a reference to the message the browser already has)."""
    lang = current_lang()
    pid = fingerprint(key, layer, d, b, lang)[:16]
    ss = st.session_state
    cached = ss.get("_stepper_payload")
    if cached and cached["id"] == pid:
        return cached
    T, H = trn.T, trn.config.hidden_size
    start = {"k": _clamp(ss.get("timestep", 0), T - 1), "unit": _clamp(ss.get("unit", 0), H - 1)}
    data = fs.stepper_data(trn, layer, d, b, _labels(batch, b), lang, start, pid)
    ss["_stepper_payload"] = data
    return data


def _remember(report, T: int, H: int, d: int, b: int) -> None:
    """The component's reported step and unit -> session state; step, unit, direction and sequence -> the
    URL (clamped numbers). The one place the stepper writes ``st.query_params`` itself."""
    ss = st.session_state
    view = report.get("view") if report is not None else None
    if isinstance(view, dict):
        ss["timestep"], ss["unit"] = _clamp(view.get("timestep"), T - 1), _clamp(view.get("unit"), H - 1)
    for key, value in (("timestep", _clamp(ss.get("timestep", 0), T - 1)), ("unit", _clamp(ss.get("unit", 0), H - 1)),
                       ("direction", d), ("batch_index", b)):
        if st.query_params.get(key) != str(value):
            st.query_params[key] = str(value)


def render() -> None:
    ss = st.session_state
    for key in ("timestep", "unit"):  # a new session (a link, a reload): start where the URL says
        if key not in ss:
            ss[key] = _int(st.query_params.get(key, 0))
    try:
        with st.spinner(t("stepper.computing")):
            trn, batch, key = current_trace()
    except (ValueError, RuntimeError) as err:  # LimitError or a torch complaint about the input
        st.error(error_text(err), icon="⚠️")
        return

    @st.fragment
    def stepper():
        start = time.perf_counter()
        layer, d, b = _selectors(trn)
        data = _payload(trn, batch, key, layer, d, b)
        report = STEPPER(key="stepper_view", data=data, default={"view": None}, on_view_change=lambda: None)
        _remember(report, trn.T, trn.config.hidden_size, d, b)
        # beyond one cell: the chain through time, the stack, the two directions, at the step the component
        # reported (its k-th visited step, in real time order for the pictures)
        chain_view.render(trn, layer, d, b, trn[layer, d].visit_order[ss["timestep"]], _labels(batch, b),
                          unit=ss["unit"])
        ss["_stepper_fragment_ms"] = 1000 * (time.perf_counter() - start)  # read by benchmarks

    stepper()
    downloads(trn)


def downloads(trn) -> None:
    cfg = get_config()
    stem = f"lstm_trace_seed{cfg.seed}"
    c1, c2 = st.columns(2)
    c1.download_button(t("stepper.download_csv"), data=lambda: lesson.to_csv(trn.arrays()),
                       file_name=f"{stem}.csv", mime="text/csv", key="dl_csv", on_click="ignore")
    c2.download_button(t("stepper.download_npz"), data=lambda: lesson.to_npz(trn.arrays()),
                       file_name=f"{stem}.npz", mime="application/octet-stream", key="dl_npz", on_click="ignore")
    st.caption(t("stepper.download_help"))
