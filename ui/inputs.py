"""The input-sequence panel (stepper page; the proof page reuses it): random, sine waves, text, CSV.

    from ui.inputs import input_panel
    batch = input_panel()      # draws the panel, stores the batch in st.session_state["input_batch"]

``ui.state.get_input()`` then returns that batch on every page. The random source removes the stored
batch so get_input() follows the sidebar (batch_size, seq_len, seed). Bad input shows a translated message
and keeps the previous batch. Small choices (source, text, sine parameters) live in the URL; their
parameters are declared in ui/state.py's PARAMS table, every typed value passes ui/parse.py.
"""
from __future__ import annotations

import streamlit as st

from lessons import sources as src
from lessons.sources import InputBatch
from lstm_core import limits
from ui import model_source, parse, state
from ui.i18n import t
from ui.state import BY_KEY, DEFAULT_TEXT, INPUT_SOURCES, MAX_TEXT_URL, fingerprint, get_config, get_input

__all__ = ["DEFAULT_TEXT", "batch_key", "error_text", "input_panel"]  # DEFAULT_TEXT: the panel's default

SOURCES = INPUT_SOURCES
# The box states the real limit ("Limit 20MB per file"); beyond it Streamlit refuses the file itself.
UPLOAD_WIDGET_MB = limits.MAX_UPLOAD_BYTES // 2**20


def error_text(err: Exception) -> str:
    """The translated message of an input problem (InputError, LimitError or a torch ValueError)."""
    return parse.message(err)


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
    state.draw(st, BY_KEY["input_lengths"], t("inputs.lengths"), placeholder=t("inputs.lengths_placeholder"),
               help=t("inputs.lengths_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len))
    return st.session_state.get("input_lengths", "")


def csv_text(upload: bytes | None, typed: str) -> str | None:
    """The CSV to use: the uploaded file's text (decoded by parse.csv_file), else the typed text; None when
    nothing was given yet. A file that cannot be read raises ValueError with the translated message."""
    if upload is not None:
        got = parse.csv_file(upload)
        if not got.ok:
            raise ValueError(got.problem)  # already translated: shown as it is
        return got.value
    return typed if typed else None


def _csv_text() -> str | None:
    upload = st.session_state.get("csv_file")
    return csv_text(None if upload is None else upload.getvalue(), st.session_state.get("csv_text", ""))


def _example_csv() -> None:
    cfg = get_config()
    batch = src.random_batch(2, min(cfg.seq_len, 6), cfg.lstm.input_size, cfg.seed)
    data = batch.data.numpy().round(2)
    st.session_state["csv_text"] = src.batch_to_csv(data, lengths=[data.shape[1], max(1, data.shape[1] - 2)])


def batch_for(kind: str, spec: tuple, cfg) -> InputBatch:
    """The batch of one source choice, checked against the limits (raises what the panel turns into a message
    with `problem_text`): the one path every source takes, also the one tests/fuzz drives."""
    batch = _build(kind, spec, cfg.batch_size, cfg.seq_len, cfg.lstm.input_size, cfg.seed)
    limits.check_limits(cfg.lstm, batch.batch_size, batch.seq_len)
    return batch


def problem_text(problem: Exception) -> str:
    """What the panel shows for a refused input: a ValueError carries an already translated message."""
    return str(problem) if type(problem) is ValueError else error_text(problem)


def _random_spec(cfg) -> tuple:
    st.caption(t("inputs.random_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len,
                 input_size=cfg.lstm.input_size, seed=cfg.seed))
    return (_lengths_input(cfg),)


def _sine_spec(cfg) -> tuple:
    c1, c2, c3 = st.columns(3)
    lists = []
    for col, key in zip((c1, c2, c3), ("sine_freq", "sine_phase", "sine_noise"), strict=True):
        p = BY_KEY[key]
        typed = state.draw(col, p, t(f"inputs.{key}"), help=t(f"inputs.{key}_help"))
        got = parse.number_list_text(typed, p.max_len, non_negative=p.non_negative)
        if not got.ok:
            raise ValueError(got.problem)
        lists.append(tuple(got.value))
    st.caption(t("inputs.sine_help", batch_size=cfg.batch_size, seq_len=cfg.seq_len))
    return (*lists, _lengths_input(cfg))


def _text_spec(cfg) -> tuple:
    st.text_area(t("inputs.text"), key="input_text", help=t("inputs.text_help"), height=90)
    text = st.session_state["input_text"]
    tokens = src.text_tokens(text)
    if tokens:
        st.caption(t("inputs.tokens", tokens=" | ".join(" ".join(tl) for tl in tokens)))
    return (text,)


def _csv_spec(cfg) -> tuple | None:
    """The CSV widgets; None while nothing was typed or uploaded."""
    st.markdown(t("inputs.csv_help", input_size=cfg.lstm.input_size, max_seq=limits.MAX_SEQ_LEN,
                  max_batch=limits.MAX_BATCH_SIZE))
    c1, c2 = st.columns([3, 2])
    c1.text_area(t("inputs.csv_text"), key="csv_text", height=140, placeholder="0.1, -0.2, ...\n0.3, 0.5, ...")
    # no `type=` filter (Streamlit raises on a forged name) and room above the cap, so that
    # parse.csv_file names what is wrong in the learner's language
    c2.file_uploader(t("inputs.csv_file"), key="csv_file", max_upload_size=UPLOAD_WIDGET_MB)
    c2.button(t("inputs.csv_example"), on_click=_example_csv, key="csv_example")
    text = _csv_text()
    if text is None:
        st.info(t("inputs.csv_waiting"))
        return None
    return (text,)


SPECS = {"random": _random_spec, "sine": _sine_spec, "text": _text_spec, "csv": _csv_spec}


def _keep(kind: str, spec: tuple, batch: InputBatch | None, problem: Exception | None) -> None:
    """Store the new batch (or show why not and keep the previous one)."""
    if problem is not None:
        st.error(t("inputs.kept_previous", error=problem_text(problem)), icon="⚠️")
    elif kind == "waiting":
        pass  # nothing typed or uploaded yet: keep whatever was in use
    elif kind == "random" and batch.lengths is None:
        st.session_state.pop("input_batch", None)  # get_input() follows the sidebar
    else:
        st.session_state["input_batch"] = batch
        if kind == "text":  # the tokens of every sentence, to label the time axis per batch element
            st.session_state["input_tokens"] = {batch_key(batch): src.text_tokens(spec[0])}


def input_panel(expanded: bool = False) -> InputBatch:
    """Draw the panel; returns the batch now in use (also ``ui.state.get_input()``)."""
    cfg = get_config()
    st.session_state.setdefault("input_source", "random")  # unbound widgets: value from the session
    st.session_state.setdefault("input_text", DEFAULT_TEXT)
    with st.expander(t("inputs.title"), expanded=expanded):
        brought = model_source.active_input(cfg.lstm)
        if brought is not None:  # the active model's own input wins; the choices below wait for random weights
            note = model_source.stored(model_source.current()).note
            st.info((t(note[0], **note[1]) + " " if note else "") + t("inputs.model_input"), icon="📝")
        kind = st.segmented_control(t("inputs.source"), SOURCES, key="input_source",
                                    format_func={s: t(f"inputs.src.{s}") for s in SOURCES}.__getitem__,
                                    required=True) or "random"
        spec: tuple = ()
        batch, problem = None, None
        try:
            drawn = SPECS.get(kind, _csv_spec)(cfg)
            if drawn is None:
                kind = "waiting"
            else:
                spec = drawn
                batch = batch_for(kind, spec, cfg)
        except Exception as err:  # a user value: InputError, LimitError, torch's, ... -> a message
            problem = err
        _keep(kind, spec, batch, problem)
        current = get_input()
        lengths = current.lengths
        st.caption(t("inputs.summary", batch_size=current.batch_size, seq_len=current.seq_len,
                     input_size=current.data.shape[-1])
                   + (" " + t("inputs.packed", lengths=list(lengths)) if lengths else ""))
    _publish(kind)
    return current


def _publish(kind: str) -> None:
    """The source (and the text, when short) -> URL by hand: their widgets are not bound (translated labels;
    text may be long). The other parameters are bound: Streamlit keeps those of the drawn widgets."""
    state.publish(["input_source"])
    text = st.session_state.get("input_text", "")
    if kind == "text" and len(text) <= MAX_TEXT_URL:
        state.publish(["input_text"])
    elif "input_text" in st.query_params:
        del st.query_params["input_text"]


def batch_key(batch: InputBatch) -> str:
    """A short digest of a batch's numbers, lengths and labels (cache key for traces)."""
    return fingerprint(batch.data, batch.lengths, batch.labels)
