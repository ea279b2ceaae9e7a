"""The preset menu at the top of the sidebar: the tutorials' own examples (`lessons.start.PRESETS`), one click
away from every page. The Start page lists the same presets as links (ui/start_view.py).

A click (a widget callback, so before any widget of the next run is drawn) sets the whole configuration to the
preset's: every value of ui/state.py's `PARAMS` (sidebar and input panel) and the page's own selectors take the
preset's value, or their default when the preset leaves them out; a trained or uploaded model gives way to
random weights (the preset names an architecture). The next run then opens the preset's page; the bound
widgets write their new values into the address themselves, the input panel writes its source and text.

    presets.render(st.sidebar)    # app.py, before state.render_sidebar()

Widget keys: ``preset_menu`` (the popover), ``preset_<name>`` (its buttons).
"""
from __future__ import annotations

import streamlit as st

from lessons.start import PRESETS
from ui import model_source, state
from ui.i18n import t

# Selectors of the pages a preset opens (the Stepper's), with their values when the preset does not set them.
PAGE_KEYS = {"layer": 0, "direction": 0, "batch_index": 0, "timestep": 0, "unit": 0}
_GOTO = "_preset_goto"
MENU = "preset_menu"  # the popover's open state (it tracks it, so a choice can close it)


def values(name: str) -> dict[str, object]:
    """Every value preset `name` sets, typed as the widgets hold them (defaults for what it leaves out)."""
    preset = PRESETS[name]
    out: dict[str, object] = {}
    for p in state.PARAMS:
        if p.key == "lang":
            continue
        out[p.key] = p.default
        if p.key in preset:
            got = p.parse(str(preset[p.key]))  # tests/pages/test_presets.py: every value parses
            out[p.key] = got.value if got.ok else p.default
    for key, default in PAGE_KEYS.items():
        out[key] = int(preset.get(key, default))  # type: ignore[arg-type]
    return out


def apply(name: str) -> None:
    """Widget callback: set preset `name` and ask the next run to open its page."""
    ss = st.session_state
    if model_source.locked():
        model_source.activate("random")
    for key, value in values(name).items():
        ss[key] = value
    for key in ("input_batch", "input_tokens", "_stepper_payload"):  # rebuilt from the new values
        ss.pop(key, None)
    ss[_GOTO] = str(PRESETS[name]["page"])
    ss[MENU] = False  # close the menu: the page it opens should be seen


# which tutorial each preset comes from (lessons.start.PRESETS)
TUTORIAL = {"woaizhongguo": "002", "seed002": "002", "seed003_bidir": "003"}


def label(name: str, lang: str | None = None) -> str:
    """A preset's label, naming its tutorial by title (``ui.tutorials.tutorial_title``)."""
    from ui.i18n import current_lang, translate
    from ui.tutorials import tutorial_title

    lang = lang or current_lang()
    return translate(lang, f"presets.label.{name}", tutorial=tutorial_title(TUTORIAL[name], lang))


def render(sb) -> None:
    """The popover of presets; after a click, open the preset's page (before the sidebar's widgets are drawn)."""
    ss = st.session_state
    goto = ss.pop(_GOTO, None)
    if goto:
        if ss.get("lang"):  # the language selector is not drawn on this run: keep its value for the next page
            ss["lang"] = ss["lang"]
        state.switch_page(f"pages/{goto}.py")
    with sb.popover(t("presets.menu"), icon="📚", width="stretch", key=MENU, on_change="rerun"):
        st.caption(t("presets.intro"))
        for name in PRESETS:
            st.button(label(name), key=f"preset_{name}", on_click=apply, args=(name,),
                      width="stretch")
