"""Tutorial errata cards (`lessons.errata`): the tutorial's claim, our snippet, torch's real answer.

Used by the Start page's stops and the Pitfalls page: ``errata_view.render_cards(errata.KEYS)``.
Text: ``assets/locales/<lang>/errata.json`` under ``errata.<key>.{title,claim,verdict}``.
"""
from __future__ import annotations

import streamlit as st

from lessons import errata
from ui.i18n import t


@st.cache_data(max_entries=1, show_spinner=False)
def _all() -> dict:
    return errata.all_errata()


def result_text(e: errata.Erratum) -> str:
    """What torch printed or raised, as the page shows it."""
    if e.error is not None:
        return e.error
    return "\n".join(f"{k}: {v}" for k, v in e.actual.items())


def render_cards(keys=errata.KEYS) -> None:
    try:
        found = _all()
    except Exception as err:  # never a traceback on the page
        st.error(t("errata.failed", error=str(err)), icon="⛔")
        return
    for key in keys:
        e = found[key]
        with st.container(border=True):
            st.markdown(f"**{t('errata.badge', seed=e.seed)} · {t(f'errata.{key}.title')}**")
            st.markdown(t(f"errata.{key}.claim", **_fmt(e.claimed)))
            st.code(e.snippet, language="python")
            st.caption(t("errata.torch_says"))
            st.code(result_text(e), language="text")
            st.markdown(t(f"errata.{key}.verdict", **_fmt(e.actual)))


def _fmt(values: dict) -> dict:
    return {k: (f"{v:.3f}" if isinstance(v, float) else str(v)) for k, v in values.items()}
