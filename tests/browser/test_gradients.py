"""Gradient-flow and what-if pages in a real browser: they render their charts in both languages, react to
their controls, and never show an exception."""

import pytest

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


@pytest.mark.parametrize("lang,title", [("en", "Gradient flow"), ("zh", "梯度流")])
def test_gradients_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title):
    goto("gradients", lang=lang)
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 3")
    # the curves were drawn with data (log-axis lines have SVG paths)
    assert page.locator(f"{PLOTS} .scatterlayer .trace").count() >= 8
    screenshot(page, f"gradients-{lang}")
    label = "Truncated BPTT" if lang == "en" else "截断 BPTT"
    page.locator("[data-testid=stCheckbox]", has_text=label).locator("label").click()
    wait_idle(page)
    assert_no_exception(page)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert ("k = 10" in text) and ("t = 50" in text), text[:2000]
    screenshot(page, f"gradients-truncated-{lang}")


@pytest.mark.parametrize("lang,title", [("en", "What-if"), ("zh", "假如")])
def test_whatif_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title):
    goto("whatif", lang=lang, seq_len=16, hidden_size=8)
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 4")
    assert page.locator(f"{PLOTS} .heatmaplayer").count() >= 3 or page.locator(f"{PLOTS} canvas").count() >= 1
    screenshot(page, f"whatif-{lang}")
    # switch both default clamps off: a message replaces the charts
    for gate in ("f", "i"):
        label = {"en": {"f": "Clamp forget gate f", "i": "Clamp input gate i"},
                 "zh": {"f": "固定遗忘门 f", "i": "固定输入门 i"}}[lang][gate]
        page.locator("[data-testid=stCheckbox]", has_text=label).locator("label").click()
        wait_idle(page)
    assert_no_exception(page)
    assert page.locator(PLOTS).count() == 0
    assert page.locator("[data-testid=stAlert]").count() >= 1
