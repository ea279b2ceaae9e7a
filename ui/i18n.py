"""Translation: one function, `t(key, **fmt)`, and one catalog per language and area.

Catalogs live in ``assets/locales/<lang>/<area>.json`` as flat ``{"<area>.<name>": "text"}`` objects; all
files of a language are merged at load time (a key defined twice is an error). Each part of the app owns
its own area file (shell, shapes, stepper, ...), so parallel work never edits the same catalog.

    from ui.i18n import t
    st.header(t("shapes.title"))
    st.caption(t("shell.url_range", lo=1, hi=9))   # "{lo}" placeholders filled with str.format

A missing key renders as ``⟦key⟧`` (visible, never a crash); ``tests/test_i18n.py`` fails on it.
``translate(lang, key, **fmt)`` is the streamlit-free variant for code that knows its language.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import streamlit as st

LOCALES_DIR = Path(__file__).resolve().parent.parent / "assets" / "locales"
LANGS: tuple[str, ...] = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "中文"}
DEFAULT_LANG = "en"


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, str]:
    """All keys of one language, merged from every area file once per process (t() runs hundreds of times
    per page). Raises ValueError on a duplicate key."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.json")):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"duplicate i18n key {key!r} in {path}")
            merged[key] = value
    return merged


def translate(lang: str, key: str, /, **fmt: object) -> str:
    """Text of `key` in `lang` (falls back to English, then to a visible ``⟦key⟧`` marker)."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANG).get(key)
    if text is None:
        return f"⟦{key}⟧"
    return text.format(**fmt) if fmt else text


def browser_lang() -> str:
    """Language the browser asks for (st.context.locale, else the Accept-Language header), or English."""
    candidates: list[str] = []
    try:
        if st.context.locale:
            candidates.append(st.context.locale)
    except Exception:  # no browser context (bare script run)
        pass
    try:
        header = st.context.headers.get("Accept-Language") or ""
        candidates += [part.split(";")[0].strip() for part in header.split(",")]
    except Exception:
        pass
    for cand in candidates:
        code = cand.lower().split("-")[0].split("_")[0]
        if code in LANGS:
            return code
    return DEFAULT_LANG


def current_lang() -> str:
    """The language chosen in the sidebar (widget key ``lang``), else the address's ``?lang=`` (a session's
    first run draws the page titles before the sidebar exists), else the browser's language."""
    lang = st.session_state.get("lang")
    if lang in LANGS:
        return lang
    asked = st.query_params.get("lang")
    return asked if asked in LANGS else browser_lang()


def t(key: str, /, **fmt: object) -> str:
    """Text of `key` in the current language, with ``{name}`` placeholders filled from `fmt`."""
    return translate(current_lang(), key, **fmt)
