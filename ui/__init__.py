"""Presentation layer shared by the pages (the only non-page code that imports streamlit).

One Streamlit quirk is handled here, because every page imports ``ui``: our page scripts live in ``pages/``,
and until the first ``st.navigation`` call of a server process Streamlit runs in its legacy "pages
directory" mode, in which a deep link such as ``/shapes`` executes ``pages/shapes.py`` ALONE (no app.py:
no sidebar, no language, no URL state). The first import of ``ui`` inside a script run switches that mode
off for the process and reruns, so the same address is then served through app.py's ``st.navigation``.
Nothing happens outside Streamlit (``ui.figures*`` stay importable without streamlit).
"""

import sys


def _leave_legacy_pages_mode() -> None:
    st = sys.modules.get("streamlit")
    if st is None:
        return
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if get_script_run_ctx() is not None:
            st.rerun()


_leave_legacy_pages_mode()
