"""The input-sequence panel (stepper page; the proof page reuses it): random, sine waves, text, CSV.

    from ui.inputs import input_panel
    batch = input_panel()      # draws the panel, stores the batch in st.session_state["input_batch"]

``ui.state.get_input()`` then returns that batch on every page. The random source removes the stored
batch so get_input() follows the sidebar (batch_size, seq_len, seed). Bad input shows a translated message
and keeps the previous batch. Small choices (source, text, sine parameters) live in the URL.
"""
from __future__ import annotations

import hashlib

import streamlit as st

from lessons import sources as src
from lessons.sources import InputBatch
from lstm_core import limits
from ui import urlstate
from ui.i18n import t
from ui.state import get_config, get_input

SOURCES = ("random", "sine", "text", "csv")
DEFAULT_TEXT = "我爱中国\nthe movie was not good"
MAX_TEXT_URL = 400  # characters of text kept in the URL


def _text_param(key: str, default: str, max_len: int) -> urlstate.Param:
    def parse(raw: str) -> str:
        if len(raw) > max_len:
            raise urlstate.BadParam("shell.url_malformed")
        return raw

    return urlstate.Param(key, default, parse)


def _list_param(key: str, default: str) -> urlstate.Param:
    def parse(raw: str) -> str:
        try:
            src.parse_number_list(raw)
        except src.InputError:
            raise urlstate.BadParam("shell.url_malformed") from None
        return raw

    return urlstate.Param(key, default, parse)


PARAMS = [
    urlstate.choice_param("input_source", "random", SOURCES),
    _text_param("input_text", DEFAULT_TEXT, MAX_TEXT_URL),
    _list_param("sine_freq", "1"),
    _list_param("sine_phase", "0, 1.57"),
    _list_param("sine_noise", "0"),
    _text_param("input_lengths", "", 200),
]


def error_text(err: Exception) -> str:
    """The translated message of an input problem (InputError, LimitError or a torch ValueError)."""
    if isinstance(err, src.InputError):
        return t(err.key, **err.params)
    if isinstance(err, limits.LimitError):
        return t("inputs.err.limit", limit=err.limit, value=err.value, maximum=err.maximum)
    return t("inputs.err.other", error=str(err))


@st.cache_resource(max_entries=32, show_spinner=False)
def _build(kind: str, spec: tuple, batch_size: int, seq_len: int, input_size: int, seed: int) -> InputBatch:
    """Cached batch for one choice (resource cache: the returned InputBatch is shared, never mutated)."""
    if kind == "text":
        return src.text_batch(spec[0], input_size, seed)
    if kind == "csv":
        return src.csv_batch(spec[0], input_size)
    *params, lengths = spec
    if kind == "sine":
        batch = src.sine_batch(batch_size, seq_len, input_size, *params, seed)
    else:
        batch = src.random_batch(batch_size, seq_len, input_size, seed)
    return src.with_lengths(batch, src.parse_lengths(lengths, batch_size, seq_len))


def _lengths_input(cfg) -> str:
    """Optional real lengths for the random and sine sources (a ragged batch, run packed)."""
    st.text_input(t("inputs.lengths"), key="input_lengths", placeholder=t("inputs.lengths_placeholder"),
                  help=t("inputs.lengths_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len))
    return st.session_state.get("input_lengths", "")


def _csv_text() -> str | None:
    """Uploaded file (if any) else the typed text; None when nothing was given yet."""
    upload = st.session_state.get("csv_file")
    if upload is not None:
        raw = upload.getvalue()
        if len(raw) > limits.MAX_UPLOAD_BYTES:
            raise src.InputError("inputs.err.too_big", found=len(raw), limit=limits.MAX_UPLOAD_BYTES)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise src.InputError("inputs.err.encoding") from None
    typed = st.session_state.get("csv_text", "")
    return typed if typed else None


def _example_csv() -> None:
    cfg = get_config()
    batch = src.random_batch(2, min(cfg.seq_len, 6), cfg.lstm.input_size, cfg.seed)
    data = batch.data.numpy().round(2)
    st.session_state["csv_text"] = src.batch_to_csv(data, lengths=[data.shape[1], max(1, data.shape[1] - 2)])


def input_panel(expanded: bool = False) -> InputBatch:
    """Draw the panel; returns the batch now in use (also ``ui.state.get_input()``)."""
    cfg = get_config()
    notices = urlstate.restore(PARAMS)
    for notice in notices:
        st.warning(notice, icon="🔗")
    input_size = cfg.lstm.input_size
    with st.expander(t("inputs.title"), expanded=expanded):
        kind = st.segmented_control(t("inputs.source"), SOURCES, key="input_source",
                                    format_func={s: t(f"inputs.src.{s}") for s in SOURCES}.__getitem__,
                                    required=True) or "random"
        spec: tuple = ()
        problem = None
        try:
            if kind == "random":
                st.caption(t("inputs.random_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len,
                             input_size=input_size, seed=cfg.seed))
                spec = (_lengths_input(cfg),)
            elif kind == "sine":
                c1, c2, c3 = st.columns(3)
                c1.text_input(t("inputs.sine_freq"), key="sine_freq", help=t("inputs.sine_freq_help"))
                c2.text_input(t("inputs.sine_phase"), key="sine_phase", help=t("inputs.sine_phase_help"))
                c3.text_input(t("inputs.sine_noise"), key="sine_noise", help=t("inputs.sine_noise_help"))
                st.caption(t("inputs.sine_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len))
                spec = tuple(tuple(src.parse_number_list(st.session_state[k]))
                             for k in ("sine_freq", "sine_phase", "sine_noise"))
                if any(v < 0 for v in spec[2]):
                    raise src.InputError("inputs.err.bad_list", value=st.session_state["sine_noise"])
                spec = (*spec, _lengths_input(cfg))
            elif kind == "text":
                st.text_area(t("inputs.text"), key="input_text", help=t("inputs.text_help"), height=90)
                text = st.session_state["input_text"]
                spec = (text,)
                tokens = src.text_tokens(text)
                if tokens:
                    st.caption(t("inputs.tokens", tokens=" | ".join(" ".join(tl) for tl in tokens)))
            else:
                st.markdown(t("inputs.csv_help", input_size=input_size, max_seq=limits.MAX_SEQ_LEN,
                              max_batch=limits.MAX_BATCH_SIZE))
                c1, c2 = st.columns([3, 2])
                c1.text_area(t("inputs.csv_text"), key="csv_text", height=140,
                             placeholder="0.1, -0.2, ...\n0.3, 0.5, ...")
                c2.file_uploader(t("inputs.csv_file"), type=["csv", "txt", "tsv"], key="csv_file")
                c2.button(t("inputs.csv_example"), on_click=_example_csv, key="csv_example")
                text = _csv_text()
                if text is None:
                    st.info(t("inputs.csv_waiting"))
                    kind = "waiting"
                spec = (text,)
            if kind != "waiting":
                batch = _build(kind, spec, cfg.batch_size, cfg.seq_len, input_size, cfg.seed)
                limits.check_limits(cfg.lstm, batch.batch_size, batch.seq_len)
        except (ValueError, TypeError) as err:  # InputError, LimitError and torch's own ValueErrors
            problem = err
        if problem is not None:
            st.error(t("inputs.kept_previous", error=error_text(problem)), icon="⚠️")
        elif kind == "waiting":
            pass  # nothing typed or uploaded yet: keep whatever was in use
        elif kind == "random" and batch.lengths is None:
            st.session_state.pop("input_batch", None)  # get_input() follows the sidebar
        else:
            st.session_state["input_batch"] = batch
            if kind == "text":  # the tokens of every sentence, to label the time axis per batch element
                st.session_state["input_tokens"] = {batch_key(batch): src.text_tokens(spec[0])}
        current = get_input()
        lengths = current.lengths
        st.caption(t("inputs.summary", batch_size=current.batch_size, seq_len=current.seq_len,
                     input_size=current.data.shape[-1])
                   + (" " + t("inputs.packed", lengths=list(lengths)) if lengths else ""))
    _publish(kind)
    return current


_URL_KEYS = {"random": ("input_lengths",), "sine": ("sine_freq", "sine_phase", "sine_noise", "input_lengths"),
             "text": ("input_text",),
             "csv": (), "waiting": ()}


def _publish(kind: str) -> None:
    """Source and its small parameters -> URL; parameters of other sources leave the URL."""
    keep = {"input_source", *_URL_KEYS.get(kind, ())}
    if kind == "text" and len(st.session_state.get("input_text", "")) > MAX_TEXT_URL:
        keep.discard("input_text")
    if not str(st.session_state.get("input_lengths", "")).strip():
        keep.discard("input_lengths")  # blank: nothing to remember
    urlstate.publish([p for p in PARAMS if p.key in keep])
    for p in PARAMS:
        if p.key not in keep and p.key in st.query_params:
            del st.query_params[p.key]


def batch_key(batch: InputBatch) -> str:
    """A short digest of a batch's numbers, lengths and labels (cache key for traces)."""
    h = hashlib.sha256(batch.data.detach().cpu().numpy().tobytes())
    h.update(repr((tuple(batch.data.shape), batch.lengths, batch.labels)).encode())
    return h.hexdigest()[:20]
