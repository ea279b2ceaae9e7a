"""Two replicas behind nginx on loopback, driven by Chromium: both serve, a session sticks to its replica,
and a killed replica costs its learners only a reconnect, with the configuration restored from the URL.

The replica of a session is read from the websocket's handshake (``/_stcore/stream``): nginx adds
``X-Upstream: <replica address>`` to every response, and Chromium's DevTools protocol reports the handshake
headers (Playwright's own WebSocket object has no headers).
"""

from __future__ import annotations

import re
import time
import urllib.request
from urllib.error import HTTPError

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from deploy.local import proxy, replicas
from lstm_core import LSTMConfig
from tests.browser.conftest import _wait_idle as wait_idle

FINISHED_SUCCESSFULLY = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY

pytestmark = [pytest.mark.browser, pytest.mark.deploy]
DEFAULT_HIDDEN = LSTMConfig().hidden_size


class Learner:
    """One browser (own context: own cookies, so own affinity cookie) on the proxy, with its websockets."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.sockets: list[str] = []  # replica address per websocket handshake, in order
        self.runs = 0  # script runs the server finished for this page (ForwardMsg script_finished)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._handshake)
        cdp.send("Network.enable")

    def _handshake(self, event) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        if event["response"]["status"] == 101:
            self.sockets.append(headers.get("x-upstream", "?"))

    def _frame(self, payload) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished == FINISHED_SUCCESSFULLY:
            self.runs += 1

    def wait_runs(self, n: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while self.runs < n:
            assert time.monotonic() < deadline, f"the server finished {self.runs} runs, not {n}"
            self.page.wait_for_timeout(100)  # lets Playwright deliver the frames

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("[data-testid=stMain] h1")
        wait_idle(self.page)
        assert self.sockets, "no websocket handshake seen"

    def replica(self) -> str:
        """The replica of the current websocket."""
        return self.sockets[-1]

    def cookie_replica(self) -> str:
        """Where nginx routes this browser's HTTP requests now (same cookie, so the same hash)."""
        return self.page.evaluate("async () => (await fetch('/_stcore/health')).headers.get('X-Upstream')")

    def sidebar_code(self) -> str:
        return self.page.locator("[data-testid=stSidebar] [data-testid=stCode]").inner_text()

    def no_exception(self) -> None:
        boxes = self.page.locator("[data-testid=stException]")
        assert not boxes.count(), boxes.all_inner_texts()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def cluster():
    with replicas(2) as apps, proxy([a.address for a in apps]) as front:
        yield apps, front


def no_redirect_get(url: str):
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        response = urllib.request.build_opener(Keep).open(url, timeout=30)
    except HTTPError as error:  # 3xx / 4xx arrive here when not followed
        response = error
    return response.status, response.headers


def spread(browser, base: str, addresses: set[str], learners: list) -> None:
    """Open learners until both replicas have one (each new learner lands on either with probability 1/2,
    so 12 fail to cover both with probability 2^-11). The k-th learner opens hidden_size=k."""
    while {lr.replica() for lr in learners} != addresses and len(learners) < 12:
        learner = Learner(browser, base)
        learners.append(learner)
        learner.open(f"/shapes?hidden_size={len(learners)}&num_layers=2&bidirectional=1&lang=en")
        learner.no_exception()
        assert learner.replica() in addresses
        assert learner.cookie_replica() == learner.replica()
    assert {lr.replica() for lr in learners} == addresses


def press_key(learner: Learner, key: str) -> None:
    thumb = learner.page.locator(".st-key-hidden_size input[type=range]")
    thumb.focus()
    thumb.press(key)


def press_hidden_size(learner: Learner, key: str, expected: int) -> None:
    """One interaction: the sidebar's hidden_size slider one step, and the rerun that shows the new value."""
    press_key(learner, key)
    learner.page.wait_for_function(
        "n => /hidden_size=(\\d+)/.exec(document.querySelector("
        "'[data-testid=stSidebar] [data-testid=stCode]')?.innerText || '')?.[1] === String(n)", arg=expected)
    wait_idle(learner.page)
    learner.no_exception()
    if expected == DEFAULT_HIDDEN:  # Streamlit's URL binding leaves a default value out of the address
        assert "hidden_size=" not in learner.page.url, learner.page.url
    else:
        assert re.search(rf"[?&]hidden_size={expected}(&|$)", learner.page.url), learner.page.url


def test_nested_page_paths_redirect_and_streamlit_paths_pass(cluster):
    apps, front = cluster
    addresses = {a.address for a in apps}
    status, headers = no_redirect_get(front.url + "/stepper/extra?hidden_size=3&lang=zh")
    assert (status, headers["Location"]) == (302, "/stepper?hidden_size=3&lang=zh")
    status, headers = no_redirect_get(front.url + "/stepper/")
    assert (status, headers["Location"]) == (302, "/stepper")
    # Streamlit's own nested paths reach a replica (X-Upstream) with the replica's own answer.
    with urllib.request.urlopen(front.url + "/") as index:
        asset = re.search(r'src="\./(static/js/[^"]+\.js)"', index.read().decode()).group(1)
    # The frontend's probes below a page name get Streamlit's own answer, not the redirect.
    for path in ("/stepper/_stcore/health", "/stepper/static/" + asset.split("/", 1)[1]):
        status, headers = no_redirect_get(front.url + path)
        assert status != 302 and headers["X-Upstream"] in addresses, path
    for path, expected in [("/" + asset, 200), ("/_stcore/health", 200), ("/_stcore/host-config", 200),
                           ("/media/missing.png", 404), ("/component/none/index.html", 404)]:
        status, headers = no_redirect_get(front.url + path)
        assert status == expected, path
        assert headers["X-Upstream"] in addresses, path


def test_a_nested_path_opens_the_page_in_chromium(cluster, browser):
    _, front = cluster
    learner = Learner(browser, front.url)
    try:
        learner.open("/stepper/extra?hidden_size=3&lang=en")
        learner.no_exception()
        assert re.search(r"/stepper\?", learner.page.url) and "hidden_size=3" in learner.page.url
        assert "hidden_size=3" in learner.sidebar_code()
    finally:
        learner.close()


def test_both_replicas_serve_and_a_session_sticks_for_20_interactions(cluster, browser):
    apps, front = cluster
    addresses = {a.address for a in apps}
    # Fresh browsers get random affinity cookies: open learners until both replicas have one (each new
    # learner lands on either with probability 1/2, so 12 fail to show both with probability 2^-11).
    learners: list[Learner] = []
    try:
        spread(browser, front.url, addresses, learners)

        # One learner, 20 interactions (each a script rerun on the server): always the same websocket.
        learner = learners[0]
        home = learner.replica()
        expected = 1
        for step in range(20):
            key, expected = ("ArrowRight", expected + 1) if step < 10 else ("ArrowLeft", expected - 1)
            press_hidden_size(learner, key, expected)
            assert learner.cookie_replica() == home
        assert learner.sockets == [home]  # no reconnect, no other replica, for all 20
        assert expected == 1
    finally:
        for learner in learners:
            learner.close()


def test_a_killed_replica_costs_its_learners_one_reconnect_with_the_url_configuration(browser):
    with replicas(2) as apps, proxy([a.address for a in apps]) as front:
        addresses = {a.address for a in apps}
        learners: list[Learner] = []
        try:
            spread(browser, front.url, addresses, learners)
            victim = learners[-1]  # the last one opened the replica the others had not reached
            survivor = next(lr for lr in learners if lr.replica() != victim.replica())
            before = len(learners)
            press_hidden_size(victim, "ArrowRight", before + 1)  # a setting made on the page, not by the link
            dead = next(a for a in apps if a.address == victim.replica())
            alive = next(a for a in apps if a is not dead)

            dead.kill()
            deadline = time.monotonic() + 90
            while len(victim.sockets) < 2:  # the frontend reconnects by itself; CDP reports the handshake
                assert time.monotonic() < deadline, "no reconnect within 90 s"
                victim.page.wait_for_timeout(200)
            wait_idle(victim.page, timeout=60_000)
            victim.no_exception()

            assert victim.sockets[-1] == alive.address and victim.cookie_replica() == alive.address
            # Streamlit's frontend keeps the old page on screen and runs nothing until the next action. That
            # action runs in a NEW session on the other replica, which takes the configuration from the URL (the
            # bound widgets); whether the move itself is applied too depends on when the frontend resends it.
            runs = victim.runs
            press_key(victim, "ArrowRight")
            victim.wait_runs(runs + 1)
            wait_idle(victim.page, timeout=60_000)
            victim.no_exception()
            code = victim.sidebar_code()
            assert "num_layers=2" in code and "bidirectional=True" in code  # restored from the URL
            now = int(re.search(r"hidden_size=(\d+)", code).group(1))
            assert now in (before + 1, before + 2)  # the setting made on the page survived the failover
            assert "page=shapes" in victim.page.url
            assert victim.page.locator(".st-key-hidden_size input[type=range]").input_value() == str(now)
            press_hidden_size(victim, "ArrowRight", now + 1)  # and from now on every action works there
            assert victim.sockets[1:] == [alive.address]

            # A learner on the surviving replica noticed nothing: same websocket, still answering.
            assert survivor.sockets == [alive.address]
            press_hidden_size(survivor, "ArrowRight", learners.index(survivor) + 2)
            assert survivor.sockets == [alive.address]
        finally:
            for learner in learners:
                learner.close()
