"""First paint in a real browser: a new session receives the page's title before anything else of the page and
the sidebar, and Chromium draws it as the first element of the main area; a rerun sends the title first too.
Checked on the websocket frames Chromium received (CDP Network events, decoded with Streamlit's ForwardMsg) and
on what Chromium drew; titles read from the catalogs. The pause after the title (app.FIRST_PAINT_PAUSE_S, first
run only) is checked in tests/pages/test_shell.py: the browser's frame timestamps move with the machine's load,
so a test here would assert on time."""

import base64
import json
import time
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.browser.conftest import IDLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

# Snapshot of the main area at the moment its first <h1> has text: the tags of main's element containers.
FIRST_DRAW_JS = """(() => {
  window.__firstDraw = null;
  const mo = new MutationObserver(() => {
    const h = document.querySelector('[data-testid=stMain] h1');
    if (window.__firstDraw || !h || !h.textContent.trim()) return;
    const main = [...document.querySelectorAll('[data-testid=stMain] [data-testid=stElementContainer]')];
    window.__firstDraw = {title: h.textContent.trim(), first: main.length ? !!main[0].querySelector('h1') : false,
                          sidebarWidgets: document.querySelectorAll('[data-testid=stSidebar] input').length};
    mo.disconnect();
  });
  mo.observe(document, {childList: true, subtree: true, characterData: true});
})();"""


def title_of(page_name: str, lang: str) -> str:
    return json.loads((ROOT / "assets" / "locales" / lang / f"{page_name}.json").read_text("utf-8"))[
        f"{page_name}.title"]


def deltas(frames):
    """(browser timestamp s, ForwardMsg) of every delta among the binary frames received."""
    out = []
    for ts, payload in frames:
        msg = ForwardMsg()
        msg.ParseFromString(base64.b64decode(payload))
        if msg.WhichOneof("type") == "delta":
            out.append((ts, msg))
    return out


def open_recording(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    context.add_init_script(FIRST_DRAW_JS)
    tab = context.new_page()
    frames = []
    cdp = context.new_cdp_session(tab)
    cdp.on("Network.webSocketFrameReceived",
           lambda e: e["response"]["opcode"] == 2 and frames.append((e["timestamp"], e["response"]["payloadData"])))
    cdp.send("Network.enable")
    tab.goto(url)
    tab.wait_for_function("window.__firstDraw", timeout=60_000)
    tab.wait_for_selector(IDLE, timeout=60_000)
    return context, tab, frames


def finished(payload: str) -> bool:
    msg = ForwardMsg()
    msg.ParseFromString(base64.b64decode(payload))
    return msg.WhichOneof("type") == "script_finished"


def wait_until(tab, condition, timeout_s: float = 30) -> None:
    """Poll `condition` (Python state fed by CDP events) while Playwright pumps those events."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        tab.wait_for_timeout(20)  # lets Playwright deliver the pending CDP events


def heading_text(msg) -> str:
    el = msg.delta.new_element
    return el.heading.body if el.WhichOneof("type") == "heading" else ""


@pytest.mark.parametrize("page_name,lang", [("weights", "en"), ("shapes", "zh"), ("start", "zh")])
def test_title_is_sent_and_drawn_first(browser, server_url, assert_no_exception, page_name, lang):
    title = title_of(page_name, lang)
    context, tab, frames = open_recording(browser, f"{server_url}/{page_name}?lang={lang}")
    try:
        assert_no_exception(tab)
        got = deltas(frames)
        assert len(got) > 10, f"only {len(got)} deltas recorded"
        (_, first), (_, second) = got[0], got[1]
        # The very first delta is the page's title, in the main area (delta path [0, 0]), in the page's language.
        assert heading_text(first) == title and list(first.metadata.delta_path) == [0, 0]
        # The rest follows, the sidebar first (delta path [1, ...]).
        assert list(second.metadata.delta_path)[0] == 1
        # What Chromium drew first: the title, as the first element of the main area.
        drawn = tab.evaluate("window.__firstDraw")
        assert drawn["title"] == title and drawn["first"], drawn
        # A rerun in the same session (the sidebar's seed +1) sends the title first too, without the pause.
        frames.clear()
        tab.locator(".st-key-seed button[data-testid=stNumberInputStepUp]").click()
        wait_until(tab, lambda: any(finished(payload) for _, payload in frames))
        again = deltas(frames)
        assert heading_text(again[0][1]) == title
    finally:
        context.close()
