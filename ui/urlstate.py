"""URL state: widget values <-> ``st.query_params``, so an address reproduces what the learner sees.

A `Param` says how one widget key is written to and parsed from the URL. On a session's first run,
`restore` copies valid query parameters into ``st.session_state`` (before the widgets are created, so the
widgets pick them up) and returns a notice for every malformed or out-of-range one (it is ignored). Each
run, `publish` writes the current values back. Pages with their own widgets can reuse this:

    from ui import urlstate
    MY_PARAMS = [urlstate.int_param("timestep", 0, 0, 99)]
    urlstate.restore(MY_PARAMS)      # before creating the widget with key="timestep"
    ...
    urlstate.publish(MY_PARAMS)      # after
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from ui.i18n import t

_RESTORED = "_url_restored"  # session-state set of keys already restored from the URL in this session


class BadParam(ValueError):
    """A query parameter that cannot be used; `reason` is an i18n key (shell.url_malformed/url_range)."""

    def __init__(self, reason: str, **fmt: object):
        super().__init__(reason)
        self.reason = reason
        self.fmt = fmt


@dataclass(frozen=True)
class Param:
    key: str
    default: object
    parse: Callable[[str], object]  # raises BadParam
    fmt: Callable[[object], str] = str


def _ranged(value, lo, hi):
    if not lo <= value <= hi:
        raise BadParam("shell.url_range", lo=lo, hi=hi)
    return value


def int_param(key: str, default: int, lo: int, hi: int) -> Param:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise BadParam("shell.url_malformed") from None
        return _ranged(value, lo, hi)

    return Param(key, default, parse)


def float_param(key: str, default: float, lo: float, hi: float) -> Param:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise BadParam("shell.url_malformed") from None
        if not math.isfinite(value):
            raise BadParam("shell.url_malformed")
        return _ranged(value, lo, hi)

    return Param(key, default, parse, fmt=lambda v: f"{float(v):g}")


_TRUE, _FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no")


def bool_param(key: str, default: bool) -> Param:
    def parse(raw: str) -> bool:
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise BadParam("shell.url_malformed")

    return Param(key, default, parse, fmt=lambda v: "1" if v else "0")


def choice_param(key: str, default: str, choices: Sequence[str]) -> Param:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise BadParam("shell.url_choice", choices=", ".join(choices))
        return raw

    return Param(key, default, parse)


def restore(params: Sequence[Param]) -> list[str]:
    """First run of a session: query params -> session state (defaults when absent). Returns notices."""
    done: set[str] = st.session_state.setdefault(_RESTORED, set())
    notices = []
    for p in params:
        if p.key in done:
            continue
        done.add(p.key)
        raw = st.query_params.get(p.key)
        if raw is not None:
            try:
                st.session_state[p.key] = p.parse(raw)
                continue
            except BadParam as bad:
                reason = t(bad.reason, **bad.fmt)
                notices.append(t("shell.url_ignored", key=p.key, value=raw, reason=reason))
        st.session_state.setdefault(p.key, p.default)
    return notices


def publish(params: Sequence[Param], values: dict[str, object] | None = None) -> None:
    """Write current values (from `values`, else session state) to the URL, touching changed keys only."""
    for p in params:
        value = (values or {}).get(p.key, st.session_state.get(p.key, p.default))
        text = p.fmt(value)
        if st.query_params.get(p.key) != text:
            st.query_params[p.key] = text
