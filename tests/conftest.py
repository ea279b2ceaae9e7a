"""Shared fixtures for AppTest page tests (``tests/pages/``).

``run_app`` — run the whole app (``app.py``: sidebar, URL state, navigation) headlessly on one page::

    def test_my_page(run_app, app_text):
        at = run_app(page="stepper", query={"hidden_size": 3}, session={"timestep": 2})
        assert not at.exception
        at.slider(key="hidden_size").set_value(5).run()   # drive any widget by key, then rerun
        assert "⟦" not in app_text(at)                    # no missing translation

    * ``page``: the page name as in app.py's PAGES (``pages/<name>.py``), passed as ``?page=<name>``.
    * ``query``: URL query parameters (values converted with str; bools as "1"/"0").
    * ``session``: session-state entries set before the first run (widget keys, "lang", "input_batch", ...).
    * ``lang``: shortcut for ``query["lang"]`` ("en" or "zh"); default "en".
    * ``timeout``: seconds per run (default 30).
    Streamlit's caches are cleared first, so each call starts like a fresh server.

Sidebar widgets (ui/state.py): sliders input_size hidden_size num_layers proj_size batch_size seq_len
dropout; toggles bias batch_first bidirectional; number_input seed; selectbox lang.
Figures: ``json.loads(at.get("plotly_chart")[i].proto.spec)`` gives the Plotly figure dict.

``app_text(at)`` — every string the app rendered (all elements, main and sidebar), for "no ⟦missing key⟧"
and "Chinese text is shown" checks. ``assert_app_ok(at)`` — no exception element, no missing key.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

# The app's policy (app.py): one intra-op thread. Its tensors are tiny, and with xdist workers on 2 cores a
# second thread spinning at every op barrier made sequential LSTM steps 10-30x slower (measured).
torch.set_num_threads(1)
# Training workers default to the scheduler's idle class (lessons/jobs/worker.py): on a machine kept busy by other
# tests they would get no CPU at all. Tests (and the servers they start) give them nice 5, a share of a busy machine;
# tests/lessons/test_jobs.py checks the default itself.
os.environ.setdefault("LSTM_EXPLORER_WORKER_PRIORITY", "5")

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"


def _query_value(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _navigation_only_pages_manager():
    """PagesManager that never falls back to the legacy ``pages/`` directory mode.

    AppTest resets ``PagesManager.uses_pages_directory`` before every run; because our page scripts live in
    ``pages/``, Streamlit then re-enters the legacy mode and, from the second run on, executes the page
    script alone (no app.py, no sidebar). A real server switches the flag off for good at the first
    ``st.navigation`` call; this reproduces that.
    """
    from streamlit.runtime.pages_manager import PagesManager

    class NavigationOnly(PagesManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    return NavigationOnly


@pytest.fixture
def run_app(monkeypatch):
    """Factory: ``run_app(page="shapes", query=None, session=None, lang="en", timeout=30) -> AppTest``."""
    import streamlit as st
    import streamlit.testing.v1.app_test as app_test
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(app_test, "PagesManager", _navigation_only_pages_manager())

    def _run(page: str = "shapes", query: dict | None = None, session: dict | None = None,
             lang: str | None = "en", timeout: float = 30) -> AppTest:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(APP), default_timeout=timeout)
        params = {"page": page}
        if lang:
            params["lang"] = lang
        params.update({k: _query_value(v) for k, v in (query or {}).items()})
        at.query_params = params
        for key, value in (session or {}).items():
            at.session_state[key] = value
        return at.run()

    return _run


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def collect_text(at) -> str:
    """Concatenated protobuf text of every rendered element (labels, markdown, tables, figures, ...)."""
    from google.protobuf import text_format

    parts = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and not getattr(node, "children", None):
            parts.append(text_format.MessageToString(proto, as_utf8=True))
    return "\n".join(parts)


@pytest.fixture
def app_text():
    """``app_text(at) -> str``: all rendered text of an AppTest run (decoded, Chinese readable)."""
    return collect_text


@pytest.fixture
def assert_app_ok():
    """``assert_app_ok(at)``: the run raised no exception and shows no ``⟦missing.key⟧``."""

    def check(at):
        assert not at.exception, [e.value for e in at.exception]
        text = collect_text(at)
        assert "⟦" not in text, text[text.index("⟦") - 80 : text.index("⟦") + 80]

    return check


_A11Y_NOTES: list[str] = []


def pytest_runtest_logreport(report):
    """Collect what tests/browser/test_a11y.py records (user property "a11y"): xdist forwards each worker's
    reports, with their properties, to the process that prints the summary."""
    if report.when == "call":
        _A11Y_NOTES.extend(value for name, value in report.user_properties if name == "a11y")


def pytest_terminal_summary(terminalreporter):
    if _A11Y_NOTES:
        terminalreporter.section("accessibility: moderate and minor axe-core findings (not blocking)")
        for note in sorted(_A11Y_NOTES):
            terminalreporter.write_line(note)


@pytest.fixture(scope="session")
def browser():
    """Playwright Chromium (the system binary; Playwright's own browser download is not used). Defined here,
    once, so tests/browser and tests/deploy share ONE instance: a second sync_playwright in the same worker
    raises "using Playwright Sync API inside the asyncio loop". Every context it makes watches the app's script
    runs (tests.browser.conftest.RUN_WATCH), so ``wait_idle`` works on any page of any test. No test is retried:
    a flaky one fails."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, watch_runs

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        new_context = chromium.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            watch_runs(context)
            return context

        chromium.new_context = watched_context
        yield chromium
        chromium.close()
