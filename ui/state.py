"""The app-wide state every page shares: THE parameter table, the sidebar drawn from it, the model, the input.

Each parameter is declared once, in `PARAMS`: its widget, default, range, help text and URL key (= widget
key). Streamlit binds the widget to the URL itself (``bind="query-params"``: a value in the address seeds the
widget, changes update the address, defaults are left out of it) and keeps the value across page switches.
Values whose widget shows translated labels (``lang``, ``input_source``) or that may be too long for an
address (``input_text``) are not bound; `publish` writes those few by hand.

``app.py`` calls `check_url()` once per session before any widget (a bad value gets a notice and is dropped;
old-style values such as ``bidirectional=1`` are rewritten to what Streamlit reads), then `render_sidebar()`.
Pages only read, through three functions:

    cfg = get_config()    # AppConfig(lstm: LSTMConfig, batch_size, seq_len, seed) — always a valid one
    model = get_model()   # lstm_core.LSTM built from cfg with `seed` (eval mode, float32); a private copy
    batch = get_input()   # InputBatch (B, T, I), batch-major; batch.model_input(cfg.lstm) feeds the model

``get_config().lstm`` is THE current architecture, also while a trained/uploaded model is active (the
sidebar then shows that model's architecture). Cache keys: ``fingerprint(*parts)``.

Sidebar widget keys (AppTest: ``at.slider(key=...)``, ``at.toggle(key=...)``, ``at.number_input(key="seed")``,
``at.selectbox(key="lang")``): the keys of `PARAMS` with ``area`` "model"/"input". An invalid combination
(torch's own ValueError, e.g. proj_size >= hidden_size) is shown with an explanation and NOT applied:
`get_config()` keeps returning the last valid configuration.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields

import streamlit as st
import torch

from lessons.code import torch_call
from lessons.sources import InputBatch, random_batch
from lstm_core import LSTMConfig, engine_name, limits
from ui import model_source, parse
from ui.i18n import LANG_NAMES, LANGS, browser_lang, current_lang, t
from ui.model_source import fingerprint  # noqa: F401  (the one cache fingerprint, re-exported for pages)

MAX_SEED = 2**31 - 1
INPUT_SOURCES = ("random", "sine", "text", "csv")
DEFAULT_TEXT = "我爱中国\nthe movie was not good"
MAX_TEXT_URL = 400  # characters of input text kept in the address (longer text stays in the session only)
_LAST_VALID = "_last_valid_config"
_PROBLEM = "_config_problem"  # translated message about the current widget values, or None
_NOTICES = "_url_notices"
_CHECKED = "_url_checked"
_LSTM = {f.name: f.default for f in fields(LSTMConfig)}  # torch.nn.LSTM's defaults (and our two sizes)


@dataclass(frozen=True)
class Param:
    """One learner-set value: widget key = URL key. ``area``: "model"/"input" (sidebar sections), "panel"
    (the input panel, ui/inputs.py), "shell" (language)."""

    key: str
    widget: str  # "slider" | "toggle" | "number" | "text" | "choice"
    default: object
    lo: float = 0
    hi: float = 0
    step: float | None = None
    area: str = "model"
    lock: bool = False  # fixed by the weights of a trained/uploaded model
    bound: bool = True  # Streamlit keeps it in the URL; False: `publish` writes it
    choices: tuple = ()
    max_len: int = 200
    numbers: bool = False  # a text widget holding a list of numbers
    non_negative: bool = False

    def parse(self, raw: str | None) -> parse.Parsed:
        """A URL value -> this parameter's value, or the reason it cannot be used."""
        if self.widget in ("slider", "number"):
            if isinstance(self.default, float):
                return parse.float_text(raw, self.lo, self.hi)
            return parse.int_text(raw, int(self.lo), int(self.hi))
        if self.widget == "toggle":
            return parse.bool_text(raw)
        if self.widget == "choice":
            return parse.choice_text(raw, self.choices)
        if self.numbers:
            got = parse.number_list_text(raw, self.max_len, self.non_negative)
            return parse.ok(raw) if got.ok else parse.bad(t("shell.url_malformed"))
        return parse.plain_text(raw, self.max_len)

    def url_text(self, value: object) -> str:
        """`value` written as Streamlit writes it in the address."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


PARAMS = [
    Param("lang", "choice", None, area="shell", bound=False, choices=LANGS),  # default: the browser's
    Param("input_size", "slider", _LSTM["input_size"], 1, limits.MAX_INPUT_SIZE, lock=True),
    Param("hidden_size", "slider", _LSTM["hidden_size"], 1, limits.MAX_HIDDEN_SIZE, lock=True),
    Param("num_layers", "slider", _LSTM["num_layers"], 1, limits.MAX_NUM_LAYERS, lock=True),
    Param("bias", "toggle", _LSTM["bias"], lock=True),
    Param("batch_first", "toggle", _LSTM["batch_first"]),
    Param("dropout", "slider", _LSTM["dropout"], 0.0, 1.0, step=0.05),
    Param("bidirectional", "toggle", _LSTM["bidirectional"], lock=True),
    Param("proj_size", "slider", _LSTM["proj_size"], 0, limits.MAX_HIDDEN_SIZE - 1, lock=True),
    Param("batch_size", "slider", 2, 1, limits.MAX_BATCH_SIZE, area="input"),
    Param("seq_len", "slider", 5, 1, limits.MAX_SEQ_LEN, area="input"),
    Param("seed", "number", 0, 0, MAX_SEED, step=1, area="input"),
    Param("input_source", "choice", "random", area="panel", bound=False, choices=INPUT_SOURCES),
    Param("input_text", "text", DEFAULT_TEXT, area="panel", bound=False, max_len=MAX_TEXT_URL),
    Param("sine_freq", "text", "1", area="panel", numbers=True),
    Param("sine_phase", "text", "0, 1.57", area="panel", numbers=True),
    Param("sine_noise", "text", "0", area="panel", numbers=True, non_negative=True),
    Param("input_lengths", "text", "", area="panel", max_len=200),
]
BY_KEY = {p.key: p for p in PARAMS}
SIDEBAR_KEYS = [p.key for p in PARAMS if p.area in ("model", "input")]


@dataclass(frozen=True)
class AppConfig:
    lstm: LSTMConfig
    batch_size: int
    seq_len: int
    seed: int


def _config(values: dict) -> AppConfig:
    lstm = LSTMConfig(**{k: type(_LSTM[k])(values[k]) for k in _LSTM})
    lstm = LSTMConfig(**{**lstm.kwargs(), "dropout": round(lstm.dropout, 4)})
    return AppConfig(lstm, int(values["batch_size"]), int(values["seq_len"]), int(values["seed"]))


DEFAULT = _config({k: BY_KEY[k].default for k in SIDEBAR_KEYS})


# ------------------------------------------------------------------------------------------------ the URL
def _notice(key: str, raw: str, reason: str) -> None:
    note = t("shell.url_ignored", key=key, value=parse.shown(raw), reason=reason)
    st.session_state.setdefault(_NOTICES, []).append(note)


def clean_query() -> tuple[dict[str, str], bool]:
    """The address's query parameters as the widgets should read them, and whether that differs from it.

    Bad values of `PARAMS` keys get a notice and are dropped; good ones are written the way Streamlit reads
    them (``1`` -> ``true``); unbound ones are copied into session state (their widgets have no URL).
    Keys of other pages (the stepper's cursor, ``case``, ``quiz_seed``...) pass unchanged.
    """
    ss, query = st.session_state, st.query_params.to_dict()
    cleaned, changed = {}, False
    for key, raw in query.items():
        p = BY_KEY.get(key)
        if p is None:
            cleaned[key] = raw
            continue
        got = p.parse(raw)
        if not got.ok:
            _notice(key, raw, got.problem)
            changed = True
            continue
        if not p.bound:
            ss[key] = got.value
            cleaned[key] = raw
        elif got.value != p.default:
            cleaned[key] = p.url_text(got.value)
            changed |= cleaned[key] != raw
    return cleaned, changed


def requested_page(names: list[str]) -> str:
    """The page named by ``?page=<name>`` (an unknown name gets a notice), else the first of `names`."""
    requested = st.query_params.get("page")
    if requested is not None and requested not in names:
        _notice("page", requested, t("shell.url_choice", choices=", ".join(names)))
    return requested if requested in names else names[0]


def check_url(page) -> None:
    """Once per session, before any widget: notices for bad values; if the address needs rewriting (a bad
    or old-style value), reopen `page` with the cleaned address so the bound widgets read only good values."""
    ss = st.session_state
    if ss.get(_CHECKED):
        return
    ss[_CHECKED] = True
    cleaned, changed = clean_query()
    if changed:
        st.switch_page(page, query_params=cleaned)


def publish(keys, values: dict | None = None) -> None:
    """Unbound `keys` (current session values, or `values`) -> the address, touching changed keys only."""
    for key in keys:
        value = (values or {}).get(key, st.session_state.get(key, BY_KEY[key].default))
        text = BY_KEY[key].url_text(value)
        if st.query_params.get(key) != text:
            st.query_params[key] = text


def switch_page(page) -> None:
    """``st.switch_page`` from a page (its widgets drawn): only the language is handed over. Bound values
    cannot be passed, and need not be: Streamlit writes them back to the new page's address itself."""
    st.switch_page(page, query_params={"lang": current_lang()})


def show_url_notices() -> None:
    """Warn (once) about query parameters that were ignored."""
    for notice in st.session_state.pop(_NOTICES, []):
        st.warning(notice, icon="🔗")


# -------------------------------------------------------------------------------------------- widgets
def draw(container, p: Param, label: str | None = None, **extra):
    """The widget of `p` in `container` (bound to the URL and kept across pages unless ``p.bound`` is off)."""
    kw = dict(key=p.key, **extra)
    if p.bound:
        kw.update(bind="query-params", persist_state="session")
    label = label or p.key
    if p.widget == "slider":
        return container.slider(label, p.lo, p.hi, value=p.default, step=p.step, **kw)
    if p.widget == "toggle":
        return container.toggle(label, value=p.default, **kw)
    if p.widget == "number":
        return container.number_input(label, int(p.lo), int(p.hi), value=p.default, step=int(p.step or 1), **kw)
    if p.widget == "text":
        return container.text_input(label, value=p.default, max_chars=p.max_len, **kw)
    raise ValueError(p.widget)


def _reassert_bound() -> None:
    """A page switch clicked right after a link opened can reach the server before the browser knew the
    bindings, so the new address lacks the linked values (the widgets keep them). Assigning a value to its
    own key before the widget is drawn makes Streamlit write it back to the address."""
    ss = st.session_state
    for p in PARAMS:
        if p.bound and p.area in ("model", "input") and p.key in ss and ss[p.key] != p.default:
            if st.query_params.get(p.key) != p.url_text(ss[p.key]):
                ss[p.key] = ss[p.key]


# pages that build their own model and do not read the sidebar's nn.LSTM settings (a note in the sidebar says so)
OWN_MODEL = ("learn", "quiz", "sentiment")


def render_sidebar() -> AppConfig:
    """Draw the language selector and the nn.LSTM arguments from `PARAMS`; validate; keep the last valid."""
    sb, ss = st.sidebar, st.session_state
    if ss.get("lang") not in LANGS:  # a new session: the address (every hand-over writes ?lang=), else the
        asked = st.query_params.get("lang")  # browser's language
        ss["lang"] = asked if asked in LANGS else browser_lang()
    # Streamlit keeps it across page switches (without, leaving the Stepper lost it in 1 of 3 new sessions)
    sb.selectbox(t("shell.language"), LANGS, key="lang", format_func=LANG_NAMES.get, persist_state="session")
    _reassert_bound()
    lock = model_source.locked()  # a trained/uploaded model fixes the architecture widgets
    for area in ("model", "input"):
        sb.subheader(t(f"shell.sidebar.{area}"))
        if area == "model":
            if st.query_params.get("page") in OWN_MODEL:  # this page builds its own model: say so where it shows
                sb.info(t(f"shell.sidebar.own_model.{st.query_params['page']}"), icon="ℹ️")
            model_source.render_switch(sb)  # random / trained / uploaded weights (the Learn page)
        for p in PARAMS:
            if p.area == area:
                draw(sb, p, help=t(f"shell.help.{p.key}"), disabled=lock and p.lock)

    candidate = _config({k: ss.get(k, BY_KEY[k].default) for k in SIDEBAR_KEYS})
    try:
        candidate.lstm.validate()
        limits.check_limits(candidate.lstm, candidate.batch_size, candidate.seq_len)
    except limits.LimitError as err:  # valid for torch, too big to show interactively
        ss[_PROBLEM] = t("shell.too_big", limit=err.limit, value=f"{err.value:,}", maximum=f"{err.maximum:,}")
    except (ValueError, TypeError) as err:  # torch's own message
        ss[_PROBLEM] = t("shell.invalid_config", error=str(err))
    else:
        ss[_PROBLEM] = None
        ss[_LAST_VALID] = candidate
    cfg = get_config()
    sb.code(torch_call(cfg.lstm), language="python", wrap_lines=True)
    sb.caption(t("shell.engine", engine=engine_name()))  # which path computes every number
    return cfg


def show_config_problem() -> None:
    """Main-area message when the sidebar holds a combination torch rejects (it is not applied)."""
    problem = st.session_state.get(_PROBLEM)
    if problem:
        st.error(problem + " " + t("shell.not_applied", applied=torch_call(get_config().lstm)), icon="⛔")
    cfg = get_config().lstm
    if cfg.dropout > 0 and cfg.num_layers == 1:
        st.info(t("shell.dropout_single_layer"), icon="ℹ️")


# ------------------------------------------------------------------------------------- what pages read
def get_config() -> AppConfig:
    """The applied (always valid) configuration: the sidebar's, or the last valid one if it is invalid."""
    return st.session_state.get(_LAST_VALID, DEFAULT)


@st.cache_resource(max_entries=64, show_spinner=False)
def _build(kwargs: tuple, seed: int):
    model = LSTMConfig(**dict(kwargs)).build(seed=seed, dtype=torch.float32)
    return model.eval()


def get_model():
    """``cfg.lstm.build(seed)`` in eval mode, float32. A private copy: train or mutate it freely.

    When the sidebar switch selects a trained or uploaded model, that model (ui/model_source.py); caches
    keyed on (config, seed) should add ``model_source.model_key()``.
    """
    cfg = get_config()
    chosen = model_source.active_model(cfg.lstm)
    if chosen is not None:
        return chosen
    return copy.deepcopy(_build(tuple(cfg.lstm.kwargs().items()), cfg.seed))


def get_input() -> InputBatch:
    """The current input: ``st.session_state["input_batch"]`` (set by the input panel) when it is an
    InputBatch with ``input_size`` features, else seeded random (batch_size, seq_len, input_size).

    B and T are those of the returned batch — use ``batch.data.shape``, not the sidebar values. While a stored
    model that brought its own input is active (the Sentiment page's classifier), that input instead.
    """
    cfg = get_config()
    brought = model_source.active_input(cfg.lstm)
    if brought is not None:
        return brought
    chosen = st.session_state.get("input_batch")
    if (
        isinstance(chosen, InputBatch)
        and chosen.data.dim() == 3
        and chosen.data.shape[-1] == cfg.lstm.input_size
    ):
        return chosen
    return random_batch(cfg.batch_size, cfg.seq_len, cfg.lstm.input_size, cfg.seed)
