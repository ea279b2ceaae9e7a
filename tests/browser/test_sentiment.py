"""Sentiment page in a real browser: training shows its progress and resumes, the typed sentence is drawn
token by token, in both languages, and no exception reaches the page."""

import pytest

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


@pytest.mark.parametrize("lang,title,button", [("en", "Sentiment, the tutorials' way", "Train"),
                                                ("zh", "情感分类：教程里的做法", "训练")])
def test_sentiment_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title, button):
    goto("sentiment", lang=lang)
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 1")  # the token colours
    page.get_by_role("button", name=button, exact=True).click()
    page.locator("[data-testid=stProgress]").first.wait_for(timeout=60_000)  # the progress bar while training
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 2", timeout=180_000)  # loss curve
    wait_idle(page, timeout=180_000)
    assert_no_exception(page)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "60" in text  # steps trained
    screenshot(page, f"sentiment-{lang}")
    page.locator("[data-testid=stHeading]", has_text="2 ·").first.scroll_into_view_if_needed()
    screenshot(page, f"sentiment-read-{lang}")
