"""Real-browser fixtures: a Streamlit server on a free port and Playwright driving the system Chromium.

Mark browser tests with ``pytestmark = pytest.mark.browser``. Typical test::

    pytestmark = pytest.mark.browser

    def test_stepper_in_browser(page, goto, wait_idle, assert_no_exception, screenshot):
        goto("stepper", hidden_size=3, lang="zh")   # opens <server>/stepper?hidden_size=3&lang=zh, waits
        assert_no_exception(page)
        page.get_by_role("slider").first.press("ArrowRight")
        wait_idle(page)                             # after every action that reruns the script
        screenshot(page, "stepper-zh")              # -> test-artifacts/stepper-zh.png (whole page)

Fixtures:
* ``server_url`` (session): ``streamlit run app.py --server.headless true`` on a free port, started once per
  pytest worker, stopped at the end; waits for ``/_stcore/health``. Server log: test-artifacts/server-*.log.
  ``streamlit_server()`` (a context manager, importable) starts a private one, e.g. for a fresh server.
* ``browser`` (session): Playwright Chromium at /usr/bin/chromium (env ``CHROMIUM`` overrides).
* ``page`` (function): a fresh context (1400×1000, English locale) and page; closed after the test.
* ``goto(page_path, **query)``: open ``/<page_path>?<query>`` on ``page`` and wait until the app is idle.
  ``page_path`` is the page name from app.py (``"shapes"``) or ``""`` for the default page.
* ``wait_idle(page, timeout=30_000)``: wait until the script finished running
  (``[data-testid=stApp][data-test-script-state=notRunning]``) and no element is stale, steadily for 0.6 s.
* ``assert_no_exception(page)``: fail, with the exception text, if any ``stException`` element is shown.
* ``screenshot(page, name)``: full-length PNG of the app under test-artifacts/; returns its Path.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlencode

import pytest

from deploy.local import start_replica, stop_replica

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


@contextlib.contextmanager
def streamlit_server():
    """Start ``streamlit run app.py`` on a free port (deploy.local's replica: the app's own settings); yield its
    base URL once healthy; stop it afterwards. Its log is test-artifacts/replica-<port>.log."""
    server = start_replica(timeout=90)
    try:
        yield server.url
    finally:
        stop_replica(server)


@pytest.fixture(scope="session")
def server_url():
    """Base URL of a Streamlit server running app.py (one per pytest worker)."""
    with streamlit_server() as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh browser page (own context: no shared cookies/session) in English, 1400×1000."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.set_default_timeout(30_000)
    pg = context.new_page()
    yield pg
    context.close()


def _wait_idle(page, timeout: float = 30_000, quiet_ms: int = 600) -> None:
    """Wait until the script is not running and nothing is stale, continuously for `quiet_ms`.

    The quiet period covers the gap between an action and the rerun it triggers, and back-to-back reruns
    (st.rerun), where the app is briefly "notRunning" between two runs.
    """
    page.wait_for_function(
        """([idle, quiet]) => {
            const calm = document.querySelector(idle) && !document.querySelector('[data-stale=true]');
            const now = performance.now();
            if (!calm) { window.__calmSince = undefined; return false; }
            if (window.__calmSince === undefined) window.__calmSince = now;
            return now - window.__calmSince >= quiet;
        }""",
        arg=[IDLE, quiet_ms],
        timeout=timeout,
        polling=100,
    )
    page.evaluate("() => { window.__calmSince = undefined; }")


@pytest.fixture
def wait_idle():
    """``wait_idle(page, timeout=30_000)``: block until the app finished its script run."""
    return _wait_idle


@pytest.fixture
def goto(page, server_url):
    """``goto(page_path, **query)``: open a page of the app with URL query parameters and wait until idle."""

    def _goto(page_path: str = "", **query):
        params = {k: ("1" if v is True else "0" if v is False else str(v)) for k, v in query.items()}
        url = f"{server_url}/{page_path}" + (f"?{urlencode(params)}" if params else "")
        page.goto(url)
        page.wait_for_selector("[data-testid=stApp]")
        page.wait_for_selector("[data-testid=stMain] h1")  # the script has started (every page has a title)
        _wait_idle(page)
        return page

    return _goto


@pytest.fixture
def assert_no_exception():
    """``assert_no_exception(page)``: no Streamlit exception box on the page."""

    def check(page):
        boxes = page.locator("[data-testid=stException]")
        if boxes.count():
            pytest.fail("Streamlit exception shown:\n" + "\n---\n".join(boxes.all_inner_texts()))

    return check


@pytest.fixture
def screenshot():
    """``screenshot(page, name) -> Path``: whole-app PNG at test-artifacts/<name>.png."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        # The main area scrolls inside its own container; grow the viewport to its full height first.
        height = page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]')"
            " || document.querySelector('section.main'); return m ? m.scrollHeight : document.body.scrollHeight; }"
        )
        size = page.viewport_size or {"width": 1400, "height": 1000}
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 12000))})
        # the page has laid itself out again at the new size: its height holds over two animation frames
        page.wait_for_function("""() => new Promise(done => {
            const m = document.querySelector('[data-testid=stMain]') || document.body, h = m.scrollHeight;
            requestAnimationFrame(() => requestAnimationFrame(() => done(m.scrollHeight === h)));
        })""")
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(size)
        return path

    return take


def open_menu_page(page, name: str) -> None:
    """Click the menu link of page ``name`` in the same session: the top navigation's section dropdowns on a wide
    window (app.py groups the menu), the sidebar's menu on a narrow one."""
    direct = page.locator(f"[data-testid=stSidebarNav] a[href$='/{name}'], [data-testid=stTopNavLinkContainer] "
                          f"a[href$='/{name}']")
    if direct.count():
        direct.first.click()
        return
    for section in page.locator("[data-testid=stTopNavSection]").all():
        section.click()
        link = page.locator(f"[data-testid=stTopNavPopover] a[href$='/{name}']")
        try:
            link.first.wait_for(timeout=2_000)
        except Exception:  # not in this section: close it, try the next
            page.keyboard.press("Escape")
            continue
        link.first.click()
        return
    raise AssertionError(f"no menu link to {name}")


@pytest.fixture
def open_page():
    """``open_page(page, "weights")``: follow the menu to another page, in the same session."""
    return open_menu_page
