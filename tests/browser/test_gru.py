"""'GRU beside LSTM' page in a real browser: structure, gate bars and seed 001's mapping render in both
languages; training both models draws the two loss curves; no exception reaches the page."""

import pytest

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


@pytest.mark.parametrize("lang,title,button", [("en", "GRU beside LSTM", "Train both"),
                                                ("zh", "GRU 与 LSTM 对照", "训练两个模型")])
def test_gru_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title, button):
    goto("gru", lang=lang, bidirectional="true")
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 1")
    assert page.locator(f"{PLOTS} .barlayer .trace").count() >= 10  # i f g o c h + r z n h
    screenshot(page, f"gru-{lang}")
    page.get_by_role("button", name=button).click()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 2", timeout=120_000)
    wait_idle(page, timeout=120_000)
    assert_no_exception(page)
    assert page.locator(f"{PLOTS} .scatterlayer .trace").count() >= 2
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "cuDNN" in text
    page.locator("[data-testid=stHeading]", has_text="3 ·").first.scroll_into_view_if_needed()
    screenshot(page, f"gru-race-{lang}")
