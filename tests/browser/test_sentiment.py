"""Sentiment page in a real browser: training shows its progress and resumes, the typed sentence is drawn
token by token, the trained LSTM becomes the model the Stepper shows, in both languages, and no exception
reaches the page."""

import pytest

from tests.browser.conftest import open_menu_page

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


SENTENCE = "the plot was dull but the acting was great"  # the page's first example (nine words)
STEPPER = "[data-testid=lstm-stepper]"


@pytest.mark.parametrize("lang,title,button,use,stepper", [
    ("en", "Sentiment, the tutorials' way", "Train", "Use this LSTM on every page", "Step through time"),
    ("zh", "情感分类：教程里的做法", "训练", "在所有页面使用这个 LSTM", "逐步运行")])
def test_sentiment_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title, button, use,
                        stepper):
    goto("sentiment", lang=lang)
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 1")  # the token colours
    page.get_by_test_id("stMain").get_by_role("button", name=button, exact=True).click()  # not the menu's "Train"
    page.locator("[data-testid=stProgress]").first.wait_for(timeout=60_000)  # the progress bar while training
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 2", timeout=180_000)  # loss curve
    wait_idle(page, timeout=180_000)
    assert_no_exception(page)
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "60" in text  # steps trained
    screenshot(page, f"sentiment-{lang}")
    page.locator("[data-testid=stHeading]", has_text="2 ·").first.scroll_into_view_if_needed()
    screenshot(page, f"sentiment-read-{lang}")

    # The trained LSTM, reading the typed sentence, becomes what the Stepper shows (same session: menu link)
    assert page.locator("[data-testid=stTextInput] input").first.input_value() == SENTENCE
    page.get_by_role("button", name=use).click()
    wait_idle(page)
    assert_no_exception(page)
    open_menu_page(page, "stepper")
    page.wait_for_selector(f"{STEPPER}[data-drawn]", timeout=60_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_attribute(STEPPER, "data-steps") == str(len(SENTENCE.split()))  # one step per word
    sidebar = page.locator("[data-testid=stSidebar]")
    assert sidebar.locator(".st-key-input_size input[type=range]").input_value() == "16"  # the embedding size
    assert sidebar.locator(".st-key-hidden_size input[type=range]").is_disabled()  # locked to the weights
    assert "«the»" in page.locator(STEPPER).inner_text()  # step 0 is named by its word
    screenshot(page, f"sentiment-stepper-{lang}")
