"""LSTM Explorer — entry point: page config, language, sidebar configuration, URL state, navigation.

Run with ``streamlit run app.py``. Every page in ``PAGES`` shares the sidebar configuration (ui/state.py).
"""

import time
from pathlib import Path

import streamlit as st
import torch

from ui import presets, state
from ui.i18n import current_lang, t

# The pages, in menu order: (name, title key, icon). The script is pages/<name>.py and its URL /<name>.
# Each page owner adds one line here and the title key to their own catalog.
PAGES = [
    ("start", "start.page_title", "🧭"),
    ("shapes", "shapes.page_title", "📐"),
    ("stepper", "stepper.page_title", "⏯️"),
    ("weights", "weights.page_title", "🧮"),
    ("proof", "proof.page_title", "✅"),
    ("code", "code.page_title", "🐍"),
    ("gradients", "gradients.page_title", "📉"),
    ("whatif", "whatif.page_title", "🗜️"),
    ("pitfalls", "pitfalls.page_title", "🪤"),
    ("learn", "learn.page_title", "🏋️"),
    ("quiz", "quiz.page_title", "🎯"),
    ("heads", "heads.page_title", "🔚"),
    ("gru", "gru.page_title", "🔁"),
    ("sentiment", "sentiment.page_title", "💬"),
]

FIRST_PAINT_PAUSE_S = 0.08
FIRST_RUN_DONE = "_first_run_done"

st.set_page_config(page_title=t("shell.app_title"), page_icon="🧠", layout="wide")
# The app's tensors are tiny chains of sequential ops: one intra-op thread beats torch's pool, whose threads
# spin at every op barrier (10-30x slower on a busy 2-core machine, measured); sessions run in parallel anyway.
torch.set_num_threads(1)
pages = {name: st.Page(f"pages/{name}.py", title=t(title), icon=icon, url_path=name) for name, title, icon in PAGES}


def home() -> None:
    """The root URL: open ``?page=<name>`` (else the first page) with the cleaned query. No widget exists
    yet on this run, so every parameter can be handed over (bound ones cannot be set once drawn)."""
    target = pages[state.requested_page(list(pages))]
    st.switch_page(target, query_params=state.clean_query()[0])


# The menu in sections (Learn the cell / Use nn.LSTM / Train), so that at 768 px tall the sidebar's nn.LSTM
# settings start above the fold; expanded: every entry, without Streamlit's untranslated "View more" button.
SECTIONS = {
    "": ("start",),
    "shell.nav.cell": ("stepper", "weights", "whatif", "gradients", "gru"),
    "shell.nav.use": ("shapes", "heads", "pitfalls", "quiz", "code", "proof"),
    "shell.nav.train": ("learn", "sentiment"),
}
assert sorted(n for names in SECTIONS.values() for n in names) == sorted(pages), "every page in one section"
menu = {(t(key) if key else ""): [pages[n] for n in names] for key, names in SECTIONS.items()}
menu[""].insert(0, st.Page(home, title="LSTM Explorer", default=True, visibility="hidden"))
page = st.navigation(menu, position="top")
if not page.url_path:
    page.run()  # the root only redirects
state.check_url(page)  # once per session, before any widget
# Unbound keys are written BEFORE the bound widgets register: a write after them would send the server's older
# copy of the address and drop the bound values the browser had just put back after a page switch.
state.publish(["lang"], {"lang": current_lang()})
if st.query_params.get("page") != page.url_path:
    st.query_params["page"] = page.url_path
# First paint: the page's title (every page's `<name>.title`) goes out before the sidebar and the page, and on a
# session's first run the rest follows FIRST_PAINT_PAUSE_S later. Without the pause all ~50 deltas of a page
# reach the browser within ~10 ms and the frontend applies them in ONE React render (~250 ms on this machine,
# plus the lazy chunks of every widget type) before the title shows; with it the title is drawn in a render of
# its own. Measured in Chromium (benchmarks.browser, first paint with cached scripts): the title ~250-450 ms
# sooner; pauses of 80, 120 and 500 ms drew it equally early, 30 ms less reliably. Later runs don't pause.
st.title(t(f"{page.url_path}.title"))
if not st.session_state.get(FIRST_RUN_DONE):
    st.session_state[FIRST_RUN_DONE] = True
    time.sleep(FIRST_PAINT_PAUSE_S)
presets.render(st.sidebar)  # the tutorials' examples, one click from every page (ui/presets.py)
state.render_sidebar()
state.show_url_notices()
state.show_config_problem()
st.html(Path(__file__).parent / "assets" / "a11y.css")  # code colours with contrast (why: the file)
page.run()
