"""LSTM Explorer — entry point: page config, language, sidebar configuration, URL state, navigation.

Run with ``streamlit run app.py``. Every page in ``PAGES`` shares the sidebar configuration (ui/state.py).
"""

import streamlit as st
import torch

from ui import state
from ui.i18n import t

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
]

state.restore_url()
st.set_page_config(page_title=t("shell.app_title"), page_icon="🧠", layout="wide")
# The app's tensors are tiny chains of sequential ops: one intra-op thread beats torch's pool, whose threads
# spin at every op barrier (10-30x slower on a busy 2-core machine, measured); sessions run in parallel anyway.
torch.set_num_threads(1)
pages = {name: st.Page(f"pages/{name}.py", title=t(title), icon=icon, url_path=name) for name, title, icon in PAGES}


def home() -> None:
    """The root URL: open ``?page=<name>`` (else the first page), keeping every other query parameter."""
    st.switch_page(pages[state.requested_page(list(pages))], query_params=st.query_params.to_dict())


page = st.navigation([st.Page(home, title="LSTM Explorer", default=True, visibility="hidden"), *pages.values()])
state.render_sidebar()
if page.url_path:  # a real page (the root only redirects)
    state.publish_url(page.url_path)
    state.show_url_notices()
    state.show_config_problem()
page.run()
