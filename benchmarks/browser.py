"""Benchmark in Chromium: the stepper's step latency, a configuration change, and each page's first paint.

    python -m benchmarks.browser [--steps N]

* step latency: a key press (ArrowRight on the stepper component) until the next step is drawn, measured in
  the page with performance.now() and requestAnimationFrame (the frame after the component drew the step),
  at the default and at the largest configuration; median and p95;
* configuration change: the sidebar's seed "+" clicked until the component shows the new trace (new payload
  id drawn), measured from Python; median and p95;
* first paint of each page on a warm server (its title drawn and the script idle), after one visit each.

Starts its own server (tests/browser/conftest.py's ``streamlit_server``) and /usr/bin/chromium. Prints,
never asserts. The machine may be shared: the load average is printed with the numbers.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from urllib.parse import urlencode

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server

ROOT_SEL = "[data-testid=lstm-stepper]"
CONFIGS = {
    "default": {},
    "largest view (I=64, H=64, L=4, bidirectional, B=2, T=200; layer 3 backward)": dict(
        input_size=64, hidden_size=64, num_layers=4, bidirectional=1, batch_size=2, seq_len=200, layer=3,
        direction=1),
}
PAGES = ["shapes", "stepper", "weights", "proof", "code", "gradients", "whatif", "pitfalls", "learn", "quiz"]

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
    out.push(performance.now() - t0);
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--changes", type=int, default=8)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores (a shared machine: numbers are noisy)")
    with streamlit_server() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        for name, query in CONFIGS.items():
            page.goto(f"{url}/stepper?" + urlencode({"lang": "en", **query}))
            page.wait_for_selector(f"{ROOT_SEL}[data-drawn]")
            idle(page)
            page.evaluate(STEP_JS, 5)  # warm-up
            ms = page.evaluate(STEP_JS, args.steps)
            print(f"step latency, {name}: {stats(ms)}")

        page.goto(f"{url}/stepper?lang=en")
        page.wait_for_selector(f"{ROOT_SEL}[data-drawn]")
        idle(page)
        change = []
        for _ in range(args.changes):
            before = page.get_attribute(ROOT_SEL, "data-id")
            start = time.perf_counter()
            page.locator(".st-key-seed button[data-testid=stNumberInputStepUp]").click()
            page.wait_for_function(f"(id) => document.querySelector('{ROOT_SEL}')?.dataset.id !== id", arg=before,
                                   polling="raf")
            change.append(1000 * (time.perf_counter() - start))
            idle(page)
        print(f"configuration change (seed +1 -> new view drawn), default config: {stats(change)}")

        for path in PAGES:  # warm: visit once, then time the second visit in a new tab
            page.goto(f"{url}/{path}?lang=en")
            idle(page)
        print("first paint on a warm server (title drawn / script idle):")
        for path in PAGES:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            tab.goto(f"{url}/{path}?lang=en")
            tab.wait_for_selector("[data-testid=stMain] h1", timeout=120_000)
            title = 1000 * (time.perf_counter() - start)
            idle(tab)
            done = 1000 * (time.perf_counter() - start)
            print(f"  /{path:<10} title {title:7.0f} ms   idle {done:7.0f} ms")
            tab.close()
        browser.close()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
