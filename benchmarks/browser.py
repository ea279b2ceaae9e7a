"""Benchmark in Chromium: the stepper's step latency, a configuration change, first paint, memory per session.

    python -m benchmarks.browser [--steps N] [--changes N] [--crowd 0 10 30] [--sessions 50]
    python -m benchmarks.browser --only first-paint [--pages start,shapes] [--visits 3]
    python -m benchmarks.browser --only cold [--pages start,stepper] [--visits 3]

* step latency: a key press (ArrowRight on the stepper component) until the next step is drawn, measured in
  the page with performance.now() and requestAnimationFrame (the frame after the component drew the step),
  at the default and at the largest configuration; median and p95 (and the time the component's draw() took);
* configuration change: the sidebar's seed "+" clicked until the component shows the new trace (new payload
  id drawn), measured from Python; median and p95;
* both alone and while a crowd of other sessions is active: real websocket sessions (benchmarks.crowd's
  learner, Streamlit's own protocol) on the stepper, each changing hidden_size every 8-12 s;
* first paint of each page on a warm server (its title drawn and the script idle, timed in the page from the
  navigation's start), after one visit each, with an empty browser cache and with the app's scripts cached;
* first paint on a cold server: a fresh server process (the engine's library already built, as `scripts/run`
  builds it before starting), its very first request, with an empty browser cache;
* server RSS on a warm idle server, after `--sessions` sessions open the stepper (each its own configuration)
  and leave, and once Streamlit has dropped them (server.disconnectedSessionTTL, 120 s, plus a margin).

Starts its own server (deploy.local.start_replica, the app's own config) and /usr/bin/chromium. Prints,
never asserts. The machine may be shared: the load average is printed with the numbers.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import os
import random
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from benchmarks.crowd import learner
from deploy.local import start_replica, stop_replica
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, IDLE

ROOT_SEL = "[data-testid=lstm-stepper]"
CONFIGS = {
    "default": {},
    "largest view (I=64, H=64, L=4, bidirectional, B=2, T=200; layer 3 backward)": dict(
        input_size=64, hidden_size=64, num_layers=4, bidirectional=1, batch_size=2, seq_len=200, layer=3,
        direction=1),
}
APP = Path(__file__).resolve().parents[1] / "app.py"
PAGES = [ast.literal_eval(e)[0] for n in ast.parse(APP.read_text(encoding="utf-8")).body
         if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PAGES" for e in n.value.elts]
SESSION_TTL_S = 120  # Streamlit's server.disconnectedSessionTTL (not changed in .streamlit/config.toml)

STEP_JS = """async (n) => {
  const root = document.querySelector('ROOT_SEL');
  const frame = () => new Promise(requestAnimationFrame);
  const T = Number(root.dataset.steps), out = [];
  for (let s = 0; s < n; s++) {
    const want = (Number(root.dataset.k) + 1) % T;
    const t0 = performance.now();
    root.dispatchEvent(new KeyboardEvent('keydown', { key: want === 0 ? 'Home' : 'ArrowRight', bubbles: true }));
    while (root.dataset.k !== String(want)) await frame();
    await frame();  // the frame that shows it
    out.push([performance.now() - t0, Number(root.dataset.drawMs)]);
  }
  return out;
}""".replace("ROOT_SEL", ROOT_SEL)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def stats(xs) -> str:
    return f"median {statistics.median(xs):7.1f} ms   p95 {pct(xs, 95):7.1f} ms   (n={len(xs)})"


def idle(page, timeout=120_000):
    page.wait_for_selector(IDLE, timeout=timeout)


class Crowd:
    """`n` websocket sessions on the stepper, each moving hidden_size every 8-12 s, in a background thread."""

    def __init__(self, url: str, n: int, seed: int = 0):
        self.latencies, self.errors, self.n = [], [], n
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(url, seed)), daemon=True)

    async def _run(self, url: str, seed: int) -> None:
        rng = random.Random(seed)
        tasks = []
        for i in range(self.n):  # arriving over ~3 s
            tasks.append(asyncio.create_task(learner(url, i, 10**6, self.latencies, self.errors,
                                                     random.Random(rng.random()), "stepper", (8.0, 12.0),
                                                     self._stop)))
            await asyncio.sleep(3.0 / self.n)
        await asyncio.gather(*tasks)

    def __enter__(self):
        if self.n:
            self._thread.start()
            deadline = time.monotonic() + 120  # every session has opened its page before measuring
            while sum(k == "open" for k, _ in self.latencies) + len(self.errors) < self.n:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.n:
            self._thread.join(timeout=60)

    def summary(self) -> str:
        acts = [s for k, s in self.latencies if k == "action"]
        if not acts:
            return "no crowd"
        return (f"crowd's own config changes: median {1000 * statistics.median(acts):.0f} ms, "
                f"p95 {1000 * pct(acts, 95):.0f} ms (n={len(acts)}), errors {len(self.errors)}")


def stepping(page, url: str, steps: int) -> None:
    """Step latency with the step's animation on (the dots along the wires, the gates filling: what a learner
    sees by default) and, for comparison, with prefers-reduced-motion (no animation)."""
    for motion in ("no-preference", "reduce"):
        page.emulate_media(reduced_motion=motion)
        label = "animation on" if motion == "no-preference" else "reduced motion (no animation)"
        for name, query in CONFIGS.items():
            page.goto(f"{url}/stepper?" + urlencode({"lang": "en", **query}))
            page.wait_for_selector(f"{ROOT_SEL}[data-drawn]")
            idle(page)
            page.evaluate(STEP_JS, 5)  # warm-up
            pairs = page.evaluate(STEP_JS, steps)
            print(f"  step latency, {label}, {name}: {stats([p[0] for p in pairs])}", flush=True)
            print(f"    of which the component's draw(): {stats([p[1] for p in pairs])}", flush=True)
    page.emulate_media(reduced_motion="no-preference")


def changing(page, url: str, changes: int) -> None:
    page.goto(f"{url}/stepper?lang=en")
    page.wait_for_selector(f"{ROOT_SEL}[data-drawn]")
    idle(page)
    change = []
    for _ in range(changes):
        before = page.get_attribute(ROOT_SEL, "data-id")
        start = time.perf_counter()
        page.locator(".st-key-seed button[data-testid=stNumberInputStepUp]").click()
        page.wait_for_function(f"(id) => document.querySelector('{ROOT_SEL}')?.dataset.id !== id", arg=before,
                               polling="raf")
        change.append(1000 * (time.perf_counter() - start))
        idle(page)
    print(f"  configuration change (seed +1 -> new view drawn), default config: {stats(change)}", flush=True)


# In the page from its start: the moment the page's title has text in the main area, then two animation frames
# (the frame that draws it has been produced); performance.now() counts from the navigation's start.
TITLE_DRAWN_JS = """(() => {
  const seen = () => {
    const h = document.querySelector('[data-testid=stMain] h1');
    if (!h || !h.textContent.trim()) return false;
    requestAnimationFrame(() => requestAnimationFrame(() => { window.__titleDrawn = performance.now(); }));
    return true;
  };
  const mo = new MutationObserver(() => { if (seen()) mo.disconnect(); });
  mo.observe(document, { childList: true, subtree: true, characterData: true });
})();"""


def first_paint(browser, page, url: str, visits: int = 3, pages=PAGES) -> None:
    """Each page opened in a new tab `visits` times: in a new browser context (an empty HTTP cache: a first
    visit) and in one shared context (the app's scripts already cached: a returning learner). Timed in the
    page from the navigation's start: the title drawn, and (in brackets) the script idle."""
    for path in pages:  # warm the server: every page once
        page.goto(f"{url}/{path}?lang=en")
        idle(page)

    def new_context():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(TITLE_DRAWN_JS)
        return context

    shared = new_context()
    print(f"first paint on a warm server, title drawn (script idle), median of {visits} visits:")
    for path in pages:
        row = []
        for cached in (False, True):
            titles, dones = [], []
            for _ in range(visits):
                context = shared if cached else new_context()
                tab = context.new_page()
                tab.goto(f"{url}/{path}?lang=en")
                tab.wait_for_function("window.__titleDrawn", timeout=120_000, polling=50)
                idle(tab)
                titles.append(tab.evaluate("window.__titleDrawn"))
                dones.append(tab.evaluate("performance.now()"))
                tab.close()
                if not cached:
                    context.close()
            row.append(f"{statistics.median(titles):5.0f} ms ({statistics.median(dones):5.0f})")
        print(f"  /{path:<10} empty cache {row[0]}   cached scripts {row[1]}", flush=True)
    shared.close()


def cold_first_paint(browser, pages, visits: int) -> None:
    """For each page, `visits` times: a new server process, then its first request in a new browser context."""
    print(f"first paint on a cold server (a new server process, its first request, empty browser cache), "
          f"median of {visits}:")
    for path in pages:
        titles = []
        for _ in range(visits):
            server = start_replica()
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.add_init_script(TITLE_DRAWN_JS)
                tab = context.new_page()
                tab.goto(f"{server.url}/{path}?lang=en")
                tab.wait_for_function("window.__titleDrawn", timeout=120_000, polling=50)
                titles.append(tab.evaluate("window.__titleDrawn"))
                context.close()
            finally:
                stop_replica(server)
        print(f"  /{path:<10} {statistics.median(titles):5.0f} ms (worst {max(titles):5.0f})", flush=True)


async def _visit_all(url: str, n: int, offset: int, latencies: list, errors: list) -> None:
    await asyncio.gather(*(learner(url, 7 * i + offset, 0, latencies, errors, random.Random(i), "stepper")
                           for i in range(n)))


def memory(server, n: int) -> None:
    """RSS warm and idle, after `n` sessions open the stepper and leave, and after Streamlit dropped them."""
    def mb() -> int:
        return round(server.rss_bytes() / 2**20)

    idle_mb = mb()
    for round_no in (1, 2):
        latencies, errors = [], []
        asyncio.run(_visit_all(server.url, n, round_no, latencies, errors))
        right_after = mb()
        time.sleep(SESSION_TTL_S + 30)
        print(f"  round {round_no}: {n} sessions opened the stepper and left ({len(errors)} errors): RSS "
              f"{right_after} MB right after, {mb()} MB once expired; warm idle server {idle_mb} MB", flush=True)


PARTS = ("first-paint", "cold", "stepping", "memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--changes", type=int, default=8)
    parser.add_argument("--crowd", type=int, nargs="+", default=[0, 10, 30], help="other sessions active")
    parser.add_argument("--sessions", type=int, default=50, help="sessions that come and go (0: skip)")
    parser.add_argument("--only", choices=PARTS, nargs="+", default=list(PARTS),
                        help="run only these parts (stepping: step latency and configuration change)")
    parser.add_argument("--pages", type=lambda v: v.split(","), default=PAGES,
                        help="first paint of these pages only, comma-separated (default: all)")
    parser.add_argument("--visits", type=int, default=3, help="first paint: visits per page and cache state")
    args = parser.parse_args()
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown page(s) {sorted(unknown)}; pages: {','.join(PAGES)}")
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores (a shared machine: numbers are noisy)")
    server = start_replica()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            if "first-paint" in args.only:
                first_paint(browser, page, server.url, args.visits, args.pages)
            if "cold" in args.only:
                cold_first_paint(browser, args.pages, args.visits)
            for n in args.crowd if "stepping" in args.only else []:
                print(f"with {n} other sessions active:" if n else "alone:", flush=True)
                with Crowd(server.url, n) as crowd:
                    stepping(page, server.url, args.steps)
                    changing(page, server.url, args.changes)
                if n:
                    print(f"  {crowd.summary()}", flush=True)
            browser.close()
        if args.sessions and "memory" in args.only:
            memory(server, args.sessions)
    finally:
        stop_replica(server)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
