"""SHIM for ui/stepper_view.py until its rewrite binds its widgets to the URL (then delete this file).

Only what that module calls: ``int_param``, ``restore`` (first run of a session: URL -> session state,
notices for bad values) and ``publish`` (session state -> URL). Values are parsed by ui/parse.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import parse
from ui.i18n import t

_RESTORED = "_url_restored"


@dataclass(frozen=True)
class Param:
    key: str
    default: int
    lo: int
    hi: int


def int_param(key: str, default: int, lo: int, hi: int) -> Param:
    return Param(key, default, lo, hi)


def restore(params) -> list[str]:
    done: set[str] = st.session_state.setdefault(_RESTORED, set())
    notices = []
    for p in params:
        if p.key in done:
            continue
        done.add(p.key)
        raw = st.query_params.get(p.key)
        if raw is not None:
            got = parse.int_text(raw, p.lo, p.hi)
            if got.ok:
                st.session_state[p.key] = got.value
                continue
            notices.append(t("shell.url_ignored", key=p.key, value=parse.shown(raw), reason=got.problem))
        st.session_state.setdefault(p.key, p.default)
    return notices


def publish(params) -> None:
    for p in params:
        text = str(st.session_state.get(p.key, p.default))
        if st.query_params.get(p.key) != text:
            st.query_params[p.key] = text
