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

# A drawing wider than the screen scrolls sideways in its own box (`ui.figures.chain_svg._svg`): on a phone the
# lit step can sit off to the right. This script, installed once per page, brings the lit cell(s) of every chain
# to the middle of their box whenever the lit step changes (a new drawing or a new `data-current`), and leaves
# the box alone otherwise, so the learner can still scroll it by hand. Pure DOM, no library; st.html runs it in
# the page itself (no iframe) and the style hides the empty element it sits in.
SCROLL_SCRIPT = """<style>
[data-testid=stElementContainer]:has(#lstm-chain-scroll) {display: none}
</style><span id="lstm-chain-scroll" hidden></span><script>
(() => {
  if (window.__lstmChainScroll) { window.__lstmChainScroll(); return; }
  const sync = () => {
    for (const box of document.querySelectorAll(".lstm-chain")) {
      const lit = [...box.querySelectorAll("[data-current='1']")];
      if (!lit.length || !box.clientWidth) continue;
      const key = box.dataset.view + ":" + lit.map((e) => e.dataset.t).join(",");
      if (box.dataset.scrolledTo === key) continue;
      box.dataset.scrolledTo = key;
      if (box.scrollWidth <= box.clientWidth) continue;
      const frame = box.getBoundingClientRect(), rects = lit.map((e) => e.getBoundingClientRect());
      const middle = (Math.min(...rects.map((r) => r.left)) + Math.max(...rects.map((r) => r.right))) / 2;
      box.scrollLeft = Math.max(0, box.scrollLeft + middle - frame.left - box.clientWidth / 2);
    }
  };
  window.__lstmChainScroll = sync;
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; sync(); });
  }).observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ["data-current"]});
  sync();
})();
</script>"""


def chain_text() -> dict[str, str]:
    """The ``chain.*`` strings of the current language, without the prefix (what the builders take)."""
    return {k[len("chain."):]: v for k, v in catalog(current_lang()).items() if k.startswith("chain.")}


def show(svg: str) -> None:
    """One drawing, in the page's own DOM (no iframe): readable by screen readers and by tests. Markdown, as
    st.html's sanitiser drops <svg> elements. `SCROLL_SCRIPT` keeps its lit step in view."""
    st.html(SCROLL_SCRIPT, unsafe_allow_javascript=True)
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
