"""Which model every page shows: random weights, the model trained on the Learn page, or an uploaded one.

``ui.state.get_model()`` asks `active_model(cfg)` first; the sidebar shows a switch (widget key
``model_source``: ``"random" | "trained" | "uploaded"``, only the available ones) drawn by `render_switch`.

The weights fix the architecture (input_size, hidden_size, num_layers, bias, bidirectional, proj_size), so
while a trained/uploaded model is active those sidebar widgets are set to its values and disabled
(`locked()`); batch_first and dropout are not stored in a state_dict and stay the learner's choice.
Switching back to random restores the sidebar values the learner had before.

A stored model may bring its own input (`Stored.batch`, e.g. the Sentiment page's embedded sentence): while
it is active `active_input` returns it and ``ui.state.get_input()`` hands it to every page; `Stored.title`
(an i18n key) names it in the switch and `Stored.note` (i18n key, format values) says what the input is.

Memory: a session keeps at most ``MAX_SESSION_BYTES`` of models (stored weights, the Learn page's trainer)
and input; `store` refuses beyond that with a translated message. `fingerprint(*parts)` is the app's one
cache-key digest (tensors, arrays, dicts, sequences, anything with a stable repr).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from lstm_core import LSTM, LSTMConfig
from ui.i18n import t

SOURCE = "model_source"
KINDS = ("random", "trained", "uploaded")
ARCH_KEYS = ("input_size", "hidden_size", "num_layers", "bias", "bidirectional", "proj_size")
_STORE = "_model_store"  # {"trained": Stored, "uploaded": Stored}
_SAVED = "_random_sidebar"  # the learner's architecture widget values, restored when back to random
WEIGHTS_ENV = "LSTM_EXPLORER_WEIGHTS"  # `lstm-explorer open FILE` (lstm_explorer/cli.py) names FILE here
_OPENED = "_opened_weights"  # per session: None once FILE's weights are the uploaded model, else why not
MAX_SESSION_BYTES = 32 * 2**20  # models + input one session may hold (the largest LSTM in limits: ~1.6 MB)


@dataclass(frozen=True)
class Stored:
    config: LSTMConfig
    state_dict: dict  # float32 tensors, torch.nn.LSTM names
    label: str  # task name or file name
    digest: str  # of the weights: part of cache keys
    title: str | None = None  # i18n key naming the model in the switch (default: the Learn task / file name)
    batch: object = None  # an InputBatch every page reads while this model is active, or None
    note: tuple | None = None  # (i18n key, format values): what that input is, shown under the switch

    def arch(self) -> dict:
        return {k: getattr(self.config, k) for k in ARCH_KEYS}


def _feed(h, part) -> None:
    if isinstance(part, torch.Tensor):
        flat = part.detach().cpu().contiguous().reshape(-1)
        h.update(repr(("tensor", str(part.dtype), tuple(part.shape))).encode())
        h.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    elif isinstance(part, np.ndarray):
        h.update(repr(("array", str(part.dtype), part.shape)).encode())
        h.update(np.ascontiguousarray(part).tobytes())
    elif isinstance(part, dict):
        h.update(b"{")
        for key in sorted(part, key=str):
            _feed(h, key)
            _feed(h, part[key])
        h.update(b"}")
    elif isinstance(part, (list, tuple)):
        h.update(b"(")
        for item in part:
            _feed(h, item)
        h.update(b")")
    else:
        h.update(repr(part).encode())
    h.update(b"\x1f")


def fingerprint(*parts) -> str:
    """A short stable digest of `parts` (tensors by dtype, shape and bytes): the app's cache keys."""
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()[:20]


def weights_digest(state_dict: dict) -> str:
    """`fingerprint` of a state_dict (kept for callers that name it so)."""
    return fingerprint(state_dict)


def _tensor_bytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, torch.nn.Module):
        return sum(_tensor_bytes(p) for p in obj.state_dict().values())
    return 0


def session_bytes(exclude: str | None = None) -> int:
    """Bytes of models and input this session holds (stored weights except `exclude`, trainer, input)."""
    ss = st.session_state
    total = sum(_tensor_bytes(item.state_dict) + _tensor_bytes(getattr(item.batch, "data", None))
                for kind, item in ss.get(_STORE, {}).items() if kind != exclude)
    trainer = ss.get("learn_trainer")
    if trainer is not None:  # model, its starting copy and Adam's two moments
        total += 4 * _tensor_bytes(getattr(trainer, "model", None))
    trainer = ss.get("sentiment_trainer")
    if trainer is not None:  # the Sentiment page's classifier and Adam's two moments
        total += 3 * _tensor_bytes(getattr(trainer, "model", None))
    batch = ss.get("input_batch")
    total += _tensor_bytes(getattr(batch, "data", None))
    return total


def store(kind: str, state_dict: dict, config: LSTMConfig, label: str, *, title: str | None = None,
          batch=None, note: tuple | None = None) -> str | None:
    """Keep a trained/uploaded model for this session (replacing the previous one of that kind), optionally
    with the input every page then reads (`batch`, an InputBatch of ``input_size`` features; kept as given).

    Returns None when kept, else the translated reason (the session's memory cap would be exceeded)."""
    sd = {k: v.detach().cpu().to(torch.float32).clone() for k, v in state_dict.items()}
    used = session_bytes(exclude=kind) + _tensor_bytes(sd) + _tensor_bytes(getattr(batch, "data", None))
    if used > MAX_SESSION_BYTES:
        return t("learn.err.session_full", used_mb=f"{used / 2**20:.1f}", limit_mb=f"{MAX_SESSION_BYTES / 2**20:g}")
    arch = LSTMConfig(**{**LSTMConfig().kwargs(), **{k: getattr(config, k) for k in ARCH_KEYS}})
    digest = fingerprint(sd)
    st.session_state.setdefault(_STORE, {})[kind] = Stored(arch, sd, label, digest, title, batch, note)
    return None


def stored(kind: str) -> Stored | None:
    return st.session_state.get(_STORE, {}).get(kind)


def current() -> str:
    open_from_env()  # `lstm-explorer open FILE`: a session's first question about the model loads FILE
    kind = st.session_state.get(SOURCE, "random")
    return kind if kind in KINDS and (kind == "random" or stored(kind) is not None) else "random"


def locked() -> bool:
    """True while the sidebar architecture widgets show (and must keep) an active model's values."""
    return current() != "random"


def activate(kind: str) -> None:
    """Make `kind` the app's model. Call from a widget callback (it sets sidebar widget values)."""
    ss = st.session_state
    if kind != "random" and stored(kind) is None:
        kind = "random"
    if kind != "random":
        if ss.get(_SAVED) is None:  # leaving random: remember the learner's own values
            ss[_SAVED] = {k: ss[k] for k in ARCH_KEYS if k in ss}
        for key, value in stored(kind).arch().items():
            ss[key] = value
    else:
        for key, value in (ss.pop(_SAVED, None) or {}).items():
            ss[key] = value
    ss[SOURCE] = kind


def _on_switch() -> None:
    activate(st.session_state.get(SOURCE, "random"))


def open_from_env() -> None:
    """``lstm-explorer open FILE``: at a session's first run, FILE becomes the uploaded model, active on every page
    — the Learn page's upload path (ui.parse.weights_file: same checks, same messages), read once per session."""
    path, ss = os.environ.get(WEIGHTS_ENV), st.session_state
    if not path or _OPENED in ss:
        return
    from ui import parse  # ui.parse -> lessons.weight_files; imported here, only when a file was named

    try:
        got = parse.weights_file(Path(path).read_bytes(), Path(path).name)
    except OSError as err:
        got = parse.bad(t("notebook.cli.unreadable", path=path, error=err.strerror or str(err)))
    name = Path(path).name
    ss[_OPENED] = (t("notebook.cli.refused", path=name, reason=got.problem) if not got.ok
                   else store("uploaded", got.value.state_dict, got.value.config, name))
    if ss[_OPENED] is None:
        activate("uploaded")


def render_switch(sb) -> None:
    """The sidebar radio "random weights / trained on <task> / uploaded <file>" (only when there is a choice)."""
    if st.session_state.get(_OPENED):  # `lstm-explorer open FILE` refused FILE: which file, the upload's message
        sb.error(st.session_state[_OPENED], icon="⛔")
    options = [k for k in KINDS if k == "random" or stored(k) is not None]
    if st.session_state.get(SOURCE) not in options:
        st.session_state[SOURCE] = "random"
        st.session_state.pop(_SAVED, None)
    if len(options) == 1:
        return

    labels = {"random": t("learn.source.random")}  # computed here: format_func must not need a run context
    for kind in options[1:]:
        labels[kind] = t(f"learn.source.{kind}", name=_name(stored(kind), kind))
    sb.radio(t("learn.source.title"), options, key=SOURCE, format_func=labels.__getitem__, on_change=_on_switch,
             help=t("learn.source.help"))
    if locked():
        sb.info(t("learn.source.locked"), icon="🔒")
        note = stored(current()).note
        if note is not None:
            sb.info(t(note[0], **note[1]), icon="📝")


def _name(item: Stored, kind: str) -> str:
    """What the switch calls a stored model: its title, else the Learn task's name, else the file name."""
    if item.title:
        return t(item.title)
    return t(f"learn.task.{item.label}") if kind == "trained" else item.label


def active_model(cfg: LSTMConfig) -> LSTM | None:
    """The trained/uploaded model laid out as `cfg` says (batch_first, dropout), or None for random weights.

    None too if the sidebar's architecture somehow differs from the stored weights (never mixes them).
    """
    kind = current()
    if kind == "random":
        return None
    item = stored(kind)
    if any(getattr(cfg, k) != v for k, v in item.arch().items()):
        return None
    model = LSTM(**cfg.kwargs())
    model.load_state_dict(item.state_dict, strict=True)
    return model.eval()


def active_input(cfg: LSTMConfig):
    """The InputBatch the active model brought with it (every page reads it), or None."""
    kind = current()
    batch = None if kind == "random" else stored(kind).batch
    if batch is None or batch.data.dim() != 3 or batch.data.shape[-1] != cfg.input_size:
        return None
    return batch


def model_key() -> str:
    """"random" or the active weights' digest: add it to cache keys that otherwise use (config, seed)."""
    kind = current()
    return "random" if kind == "random" else f"{kind}:{stored(kind).digest}"
