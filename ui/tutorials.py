"""The tutorials by name: ``tutorial_title(number, lang)`` is the one way any page names one of the five
tutorials (catalog ``tutorials.<number>.title``; the quotes themselves are in `lessons.tutorials`).

Never "seed 004" or "种子教程 004": "seed" is the random-seed control in the sidebar.
"""
from __future__ import annotations

from lessons.tutorials import NUMBERS, QUOTES, Quote
from ui.i18n import current_lang, translate

__all__ = ["tutorial_title", "quote", "NUMBERS"]


def tutorial_title(number: str | int, lang: str | None = None) -> str:
    """The short title of tutorial ``number`` (``"004"`` or ``4``) in ``lang`` (default: the page's)."""
    n = f"{int(number):03d}"
    if n not in NUMBERS:
        raise KeyError(f"no tutorial {number!r}")
    return translate(lang or current_lang(), f"tutorials.{n}.title")


def quote(key: str) -> Quote:
    """The tutorial's own words for a claim or erratum ``key`` (verbatim)."""
    return QUOTES[key]
