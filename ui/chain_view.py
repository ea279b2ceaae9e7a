"""Beyond one cell: the unrolled, stacked and bidirectional views of one selection of a trace (Streamlit side).

`render(trn, layer, direction, b, step, labels, unit=...)` draws a segmented control (through time / layers /
directions) and the chosen view from ``ui/figures/chain.py``; every number comes from the numpy trace passed
in (``ui.stepper_view.current_trace()`` on the Stepper, a small engine run on the Start page). ``step`` is a
real time index t (0 … T−1), not the order in which a direction visits the steps.
"""
from __future__ import annotations

import streamlit as st

from ui.figures import chain as fc
from ui.i18n import catalog, current_lang, t

VIEWS = ("time", "layers", "directions")


def chain_text() -> dict[str, str]:
    """The ``chain.*`` strings of the current language, without the prefix (what the builders take)."""
    return {k[len("chain."):]: v for k, v in catalog(current_lang()).items() if k.startswith("chain.")}


def show(svg: str) -> None:
    """One drawing, in the page's own DOM (no iframe): readable by screen readers and by tests. Markdown, as
    st.html's sanitiser drops <svg> elements."""
    st.markdown(svg, unsafe_allow_html=True)


def draw(view: str, trn, layer: int, direction: int, b: int, step: int, labels=None, unit: int = 0) -> None:
    """One of the three views (or a note saying what the configuration lacks for it)."""
    text = chain_text()
    cfg = trn.config
    unit = min(max(int(unit), 0), cfg.hidden_size - 1)
    try:
        if view == "time":
            show(fc.unrolled_svg(trn, layer, direction, b, unit, step, text, labels))
        elif view == "layers":
            if cfg.num_layers == 1:
                st.info(t("chain.one_layer"), icon="🧱")
            show(fc.stacked_svg(trn, direction, b, unit, step, text, labels))
        elif cfg.num_directions == 2:
            show(fc.bidirectional_svg(trn, layer, b, unit, step, text, labels))
        else:
            st.info(t("chain.one_direction"), icon="↔️")
    except (ValueError, IndexError) as err:  # never a traceback on the page
        st.error(t("chain.failed", error=str(err)), icon="⛔")


def render(trn, layer: int, direction: int, b: int, step: int, labels=None, *, unit: int = 0,
           key: str = "chain_view") -> str:
    """The segmented control and the chosen view; returns the view's name."""
    names = {v: t(f"chain.view_{v}") for v in VIEWS}
    chosen = st.segmented_control(t("chain.view_label"), VIEWS, default="time", key=key, required=True,
                                  format_func=names.__getitem__, help=t("chain.view_help"))
    view = chosen if chosen in VIEWS else "time"
    draw(view, trn, layer, direction, b, step, labels, unit)
    return view
