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
* ``wait_idle(page, timeout=30_000)``: wait until the app is idle — connected, the script not running
  (``[data-testid=stApp][data-test-script-state=notRunning]``), nothing stale or still loading, and every rerun
  the page asked for finished (the websocket watch ``RUN_WATCH``, installed in every context by the ``browser``
  fixture).
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


# Installed in every browser context (tests/conftest.py's `browser` fixture) before the app's own scripts: it
# watches Streamlit's websocket and counts, from the protobuf messages themselves, the rerun requests the page
# sends (BackMsg.rerun_script, field 11: its first byte is 0x5A) and the script runs the server starts
# (ForwardMsg.new_session, field 4) and ends (ForwardMsg.script_finished, field 6, except FINISHED_EARLY_FOR_RERUN
# = 2, which another run follows: st.rerun, st.switch_page). A file upload is a request for upload URLs on the
# websocket (BackMsg.file_urls_request, 16; answered by ForwardMsg.file_urls_response, 19), then an HTTP request
# to /_stcore/upload_file, then a rerun: while any of it is in flight the app is not idle, and each end counts
# as a rerun request (a run must finish after it).
RUN_WATCH = """(() => {
  if (window.__stRuns) return;
  const runs = window.__stRuns = {requested: -1, started: -1, finished: -1, uploads: 0};
  const UPLOAD = /_stcore\\/upload_file/;
  const uploadStarts = () => { runs.uploads++; runs.requested = performance.now(); };
  const uploadEnds = () => { runs.uploads--; runs.requested = performance.now(); };
  const open = XMLHttpRequest.prototype.open, xhrSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.__stUpload = UPLOAD.test(String(url));
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (...args) {
    if (this.__stUpload) { uploadStarts(); this.addEventListener("loadend", uploadEnds); }
    return xhrSend.apply(this, args);
  };
  const nativeFetch = window.fetch;
  window.fetch = function (input, init) {
    if (!UPLOAD.test(String(input instanceof Request ? input.url : input))) return nativeFetch.call(this, input, init);
    uploadStarts();
    return nativeFetch.call(this, input, init).finally(uploadEnds);
  };
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (bytes && bytes[0] === 0x5a) runs.requested = performance.now();
    if (bytes && bytes[0] === 0x82 && bytes[1] === 0x01) uploadStarts();  // file_urls_request (16): an upload begins
    return send.call(this, data);
  };
  const varint = (b, at) => {
    let v = 0, m = 1, x;
    do { x = b[at.i++]; v += (x & 127) * m; m *= 128; } while (x & 128);
    return v;
  };
  const inspect = (data) => {
    if (!(data instanceof ArrayBuffer)) return;
    const b = new Uint8Array(data), at = {i: 0};
    while (at.i < b.length) {
      const tag = varint(b, at), field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) {
        const value = varint(b, at);
        if (field === 6 && value !== 2) runs.finished = performance.now();
      } else if (wire === 2) {
        const n = varint(b, at);
        if (field === 4) runs.started = performance.now();
        if (field === 19) uploadEnds();  // file_urls_response: the browser now sends the file itself
        at.i += n;
      } else if (wire === 1) at.i += 8; else if (wire === 5) at.i += 4; else return;
    }
  };
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener("message", (event) => inspect(event.data));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();"""

IDLE_NOW = """(idle) => {
  const app = document.querySelector(idle);
  if (!app || document.querySelector('[data-stale=true]')) return false;
  // an element whose code Streamlit still loads (a table, a slider... the first time in a page) is a skeleton
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  if (app.closest('[data-test-connection-state]')?.dataset.testConnectionState !== 'CONNECTED') return false;
  // client-side components (st.components.v2) have put in their HTML, and the Stepper has drawn its step (it
  // sets data-k when it draws)
  if ([...document.querySelectorAll('[data-testid^=stBidiComponent]')].some(c => !c.querySelector('*'))) return false;
  if ([...document.querySelectorAll('[data-testid=lstm-stepper]')].some(s => s.dataset.k === undefined)) return false;
  const runs = window.__stRuns;
  // every rerun the page asked for and every run the server started has finished since
  return !runs || (runs.uploads === 0 && runs.finished > runs.started && runs.finished > runs.requested);
}"""


def watch_runs(context) -> None:
    """Let ``_wait_idle`` see the app's script runs on pages of `context` (call before opening a page)."""
    context.add_init_script(RUN_WATCH)


IDLE_FRAMES = 3


def _wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the app is idle: connected, its script not running, nothing stale or still loading (a
    skeleton: Streamlit fetches an element's code the first time a page shows it), no file upload in flight,
    every rerun the page requested and every run the server started finished (RUN_WATCH), and the Stepper
    component drawn — on IDLE_FRAMES animation frames in a row. No fixed pause: the frames let an event the test
    just sent reach the app's handlers (a widget sends its rerun request from React's effects, after the
    event), and let the frontend react to a finished run (a bound widget's new value can ask for one more run
    right after the last one ended)."""
    page.evaluate(f"() => {{ window.__idleNow = {IDLE_NOW}; window.__idleFrames = 0; }}")
    page.wait_for_function("""([idle, frames]) => {
        window.__idleFrames = window.__idleNow(idle) ? window.__idleFrames + 1 : 0;
        return window.__idleFrames >= frames;
    }""", arg=[IDLE, IDLE_FRAMES], timeout=timeout, polling="raf")


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
    clicked = page.evaluate("() => performance.now()")
    direct = page.locator(f"[data-testid=stSidebarNav] a[href$='/{name}'], [data-testid=stTopNavLinkContainer] "
                          f"a[href$='/{name}']")
    if direct.count():
        direct.first.click()
        _page_run_started(page, clicked)
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
        _page_run_started(page, clicked)
        return
    raise AssertionError(f"no menu link to {name}")


def _page_run_started(page, clicked: float) -> None:
    """Wait until the server has started the run of the page just clicked (RUN_WATCH saw its ``new_session``
    message after the click): until then the old page is still on screen and looks idle."""
    page.wait_for_function("(t) => window.__stRuns && window.__stRuns.started > t", arg=clicked, timeout=30_000)


@pytest.fixture
def open_page():
    """``open_page(page, "weights")``: follow the menu to another page, in the same session."""
    return open_menu_page
