"""The app-wide state every page shares: the sidebar model configuration, the model, the input, the URL.

``app.py`` calls `restore_url()` first, then `render_sidebar()` and `publish_url(page)` each run. Pages only
read, through three functions:

    cfg = get_config()    # AppConfig(lstm: LSTMConfig, batch_size, seq_len, seed) — always a valid one
    model = get_model()   # lstm_core.LSTM built from cfg with `seed` (eval mode, float32); a private copy
    batch = get_input()   # InputBatch (B, T, I), batch-major; batch.model_input(cfg.lstm) feeds the model

Sidebar widget keys (tests and links rely on them; AppTest: ``at.slider(key=...)``, ``at.toggle(key=...)``,
``at.number_input(key="seed")``, ``at.selectbox(key="lang")``):
sliders ``input_size hidden_size num_layers proj_size batch_size seq_len dropout``; toggles ``bias
batch_first bidirectional``; number input ``seed``. An invalid combination (torch's own ValueError, e.g.
proj_size >= hidden_size) is shown with an explanation and NOT applied: `get_config()` keeps returning the
last valid configuration.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import streamlit as st
import torch

from lessons.sources import InputBatch
from lstm_core import LSTMConfig, limits
from ui import model_source, urlstate
from ui.i18n import LANG_NAMES, LANGS, browser_lang, t

MAX_SEED = 2**31 - 1
_LAST_VALID = "_last_valid_config"
_PROBLEM = "_config_problem"  # translated message about the current widget values, or None
_NOTICES = "_url_notices"


@dataclass(frozen=True)
class AppConfig:
    lstm: LSTMConfig
    batch_size: int
    seq_len: int
    seed: int


DEFAULT = AppConfig(LSTMConfig(input_size=4, hidden_size=6), batch_size=2, seq_len=5, seed=0)

# The sidebar parameters, as they appear in the URL (same names as the widget keys).
SIDEBAR_PARAMS = [
    urlstate.int_param("input_size", 4, 1, limits.MAX_INPUT_SIZE),
    urlstate.int_param("hidden_size", 6, 1, limits.MAX_HIDDEN_SIZE),
    urlstate.int_param("num_layers", 1, 1, limits.MAX_NUM_LAYERS),
    urlstate.bool_param("bidirectional", False),
    urlstate.bool_param("batch_first", False),
    urlstate.bool_param("bias", True),
    urlstate.float_param("dropout", 0.0, 0.0, 1.0),
    urlstate.int_param("proj_size", 0, 0, limits.MAX_HIDDEN_SIZE - 1),
    urlstate.int_param("batch_size", 2, 1, limits.MAX_BATCH_SIZE),
    urlstate.int_param("seq_len", 5, 1, limits.MAX_SEQ_LEN),
    urlstate.int_param("seed", 0, 0, MAX_SEED),
]
SIDEBAR_KEYS = [p.key for p in SIDEBAR_PARAMS]


def restore_url() -> None:
    """First run of a session: URL -> session state for `lang` and the sidebar keys; keep notices."""
    lang_param = urlstate.choice_param("lang", browser_lang(), LANGS)
    notices = urlstate.restore([lang_param, *SIDEBAR_PARAMS])
    if notices:
        st.session_state[_NOTICES] = notices


def requested_page(names: list[str]) -> str:
    """The page named by ``?page=<name>`` (an unknown name gets a notice), else the first of `names`."""
    requested = st.query_params.get("page")
    if requested is not None and requested not in names:
        reason = t("shell.url_choice", choices=", ".join(names))
        notice = t("shell.url_ignored", key="page", value=requested, reason=reason)
        st.session_state.setdefault(_NOTICES, []).append(notice)
    return requested if requested in names else names[0]


def publish_url(page: str | None = None) -> None:
    """Current `lang`, applied sidebar values and the page -> ``st.query_params``."""
    cfg = get_config()
    applied = {**cfg.lstm.kwargs(), "batch_size": cfg.batch_size, "seq_len": cfg.seq_len, "seed": cfg.seed}
    urlstate.publish([urlstate.choice_param("lang", "en", LANGS), *SIDEBAR_PARAMS], applied)
    if page and st.query_params.get("page") != page:
        st.query_params["page"] = page


def show_url_notices() -> None:
    """Warn (once) about query parameters that were ignored."""
    for notice in st.session_state.pop(_NOTICES, []):
        st.warning(notice, icon="🔗")


def render_sidebar() -> AppConfig:
    """Draw the language selector and the nn.LSTM arguments; validate; remember the last valid config."""
    sb = st.sidebar
    sb.selectbox(t("shell.language"), LANGS, key="lang", format_func=LANG_NAMES.get)
    sb.subheader(t("shell.sidebar.model"))
    model_source.render_switch(sb)  # random / trained / uploaded weights (the Learn page)
    lock = model_source.locked()  # a trained/uploaded model fixes the architecture widgets
    sb.slider("input_size", 1, limits.MAX_INPUT_SIZE, key="input_size", help=t("shell.help.input_size"),
              disabled=lock)
    sb.slider("hidden_size", 1, limits.MAX_HIDDEN_SIZE, key="hidden_size", help=t("shell.help.hidden_size"),
              disabled=lock)
    sb.slider("num_layers", 1, limits.MAX_NUM_LAYERS, key="num_layers", help=t("shell.help.num_layers"),
              disabled=lock)
    sb.toggle("bias", key="bias", help=t("shell.help.bias"), disabled=lock)
    sb.toggle("batch_first", key="batch_first", help=t("shell.help.batch_first"))
    sb.slider("dropout", 0.0, 1.0, step=0.05, key="dropout", help=t("shell.help.dropout"))
    sb.toggle("bidirectional", key="bidirectional", help=t("shell.help.bidirectional"), disabled=lock)
    sb.slider("proj_size", 0, limits.MAX_HIDDEN_SIZE - 1, key="proj_size", help=t("shell.help.proj_size"),
              disabled=lock)
    sb.subheader(t("shell.sidebar.input"))
    sb.slider("batch_size", 1, limits.MAX_BATCH_SIZE, key="batch_size", help=t("shell.help.batch_size"))
    sb.slider("seq_len", 1, limits.MAX_SEQ_LEN, key="seq_len", help=t("shell.help.seq_len"))
    sb.number_input("seed", 0, MAX_SEED, step=1, key="seed", help=t("shell.help.seed"))

    candidate = _from_widgets()
    try:
        candidate.lstm.validate()
        limits.check_limits(candidate.lstm, candidate.batch_size, candidate.seq_len)
    except limits.LimitError as err:  # valid for torch, too big to show interactively
        st.session_state[_PROBLEM] = t("shell.too_big", limit=err.limit, value=f"{err.value:,}",
                                       maximum=f"{err.maximum:,}")
    except (ValueError, TypeError) as err:  # torch's own message
        st.session_state[_PROBLEM] = t("shell.invalid_config", error=str(err))
    else:
        st.session_state[_PROBLEM] = None
        st.session_state[_LAST_VALID] = candidate
    cfg = get_config()
    sb.code(torch_call(cfg.lstm), language="python", wrap_lines=True)
    return cfg


def show_config_problem() -> None:
    """Main-area message when the sidebar holds a combination torch rejects (it is not applied)."""
    problem = st.session_state.get(_PROBLEM)
    if problem:
        st.error(problem + " " + t("shell.not_applied", applied=torch_call(get_config().lstm)), icon="⛔")
    cfg = get_config().lstm
    if cfg.dropout > 0 and cfg.num_layers == 1:
        st.info(t("shell.dropout_single_layer"), icon="ℹ️")


def torch_call(cfg: LSTMConfig) -> str:
    """The ``nn.LSTM(...)`` call for `cfg`, naming only the arguments that differ from torch's defaults."""
    args = [f"input_size={cfg.input_size}", f"hidden_size={cfg.hidden_size}"]
    defaults = LSTMConfig(input_size=cfg.input_size, hidden_size=cfg.hidden_size)
    for name, value in cfg.kwargs().items():
        if name not in ("input_size", "hidden_size") and value != getattr(defaults, name):
            args.append(f"{name}={value!r}")
    return f"nn.LSTM({', '.join(args)})"


def _from_widgets() -> AppConfig:
    ss = st.session_state
    get = {p.key: ss.get(p.key, p.default) for p in SIDEBAR_PARAMS}
    lstm = LSTMConfig(
        input_size=int(get["input_size"]), hidden_size=int(get["hidden_size"]),
        num_layers=int(get["num_layers"]), bias=bool(get["bias"]), batch_first=bool(get["batch_first"]),
        dropout=round(float(get["dropout"]), 4), bidirectional=bool(get["bidirectional"]),
        proj_size=int(get["proj_size"]),
    )
    return AppConfig(lstm, int(get["batch_size"]), int(get["seq_len"]), int(get["seed"]))


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


def random_input(batch_size: int, seq_len: int, input_size: int, seed: int) -> InputBatch:
    """Standard-normal (B, T, I) input drawn from a generator seeded with `seed` (global RNG untouched)."""
    gen = torch.Generator().manual_seed(seed)
    return InputBatch(data=torch.randn(batch_size, seq_len, input_size, generator=gen))


def get_input() -> InputBatch:
    """The current input: ``st.session_state["input_batch"]`` (set by the input panel) when it is an
    InputBatch with ``input_size`` features, else seeded random (batch_size, seq_len, input_size).

    B and T are those of the returned batch — use ``batch.data.shape``, not the sidebar values.
    """
    cfg = get_config()
    chosen = st.session_state.get("input_batch")
    if (
        isinstance(chosen, InputBatch)
        and chosen.data.dim() == 3
        and chosen.data.shape[-1] == cfg.lstm.input_size
    ):
        return chosen
    return random_input(cfg.batch_size, cfg.seq_len, cfg.lstm.input_size, cfg.seed)
