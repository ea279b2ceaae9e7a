"""Accessibility, checked by an external standard: axe-core (Deque's WCAG rule engine, vendored from the npm
registry in tests/browser/vendor/axe-core) runs in Chromium over every page of the menu in both languages at
1366×768 (so this is also the test that every page opens, in each language, without an exception). No critical
or serious violation may remain, nor any of the rules in BLOCKING_RULES whatever their impact (headings that
skip a level: a screen reader's outline of the page); the other moderate and minor ones are listed at the end of
the run."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.pages.test_shell import page_names

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("critical", "serious")
BLOCKING_RULES = ("heading-order", "empty-table-header")  # moderate/minor in axe-core, blocking here


def blocks(violation: dict) -> bool:
    return violation["impact"] in BLOCKING or violation["id"] in BLOCKING_RULES


PAGES = page_names()


def test_every_page_of_the_menu_is_checked():
    assert len(PAGES) >= 14 and {p.stem for p in (ROOT / "pages").glob("*.py")} == set(PAGES)


def describe(violation: dict) -> list[str]:
    return [f"{violation['impact']:>8} {violation['id']}: {violation['help']} — {' '.join(map(str, node['target']))}"
            + (f" ({node['failureSummary'].splitlines()[-1].strip()})" if node.get("failureSummary") else "")
            for node in violation["nodes"]]


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", PAGES)
def test_no_blocking_violation(request, wide_page, server_url, wait_idle, assert_no_exception, name,
                                          lang):
    page = wide_page
    page.goto(f"{server_url}/{name}?{urlencode({'lang': lang})}")
    page.wait_for_selector("[data-testid=stMain] h1")
    wait_idle(page, timeout=240_000)  # Sentiment and Learn train on their first visit
    if page.locator("[data-testid=lstm-stepper]").count():
        # the Stepper reports its first view back (debounced) and the rerun that follows redraws it: check after
        page.wait_for_function("() => /[?&]timestep=/.test(location.search)")
        wait_idle(page)
        page.wait_for_selector("[data-testid=lstm-stepper][data-drawn]")  # hidden until drawn (stepper.css)
    assert_no_exception(page)
    assert f"page={name}" in page.url  # the page it was asked for (this test also opens every page, in en and zh)
    # every chart has drawn its SVG (axe checks what a learner sees, not a placeholder; wait_idle has waited for
    # the Stepper, which labels its controls when it draws)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
        .every(chart => chart.querySelector('.main-svg'))""")
    page.add_script_tag(content=AXE)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))}));
    }""")
    blocking = [line for v in result if blocks(v) for line in describe(v)]
    rest = [line for v in result if not blocks(v) for line in describe(v)]
    # listed at the end of the run (tests/conftest.py's terminal summary), also under xdist
    request.node.user_properties.extend(("a11y", f"{name} [{lang}] {line}") for line in rest)
    assert not blocking, (f"{name} [{lang}]: {len(blocking)} blocking axe-core violation(s) (critical, serious or "
                          f"{', '.join(BLOCKING_RULES)}):\n" + "\n".join(blocking))
