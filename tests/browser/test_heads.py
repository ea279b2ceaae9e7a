"""'Use the outputs' page in a real browser: every head renders with its charts in both languages, the
bidirectional packed case shows its merges, and no exception reaches the page."""

import pytest

pytestmark = pytest.mark.browser

PLOTS = ".js-plotly-plot"


@pytest.mark.parametrize("lang,title", [("en", "From output, h_n and c_n"), ("zh", "从 output、h_n 和 c_n")])
def test_heads_page(page, goto, wait_idle, assert_no_exception, screenshot, lang, title):
    goto("heads", lang=lang, bidirectional="true", num_layers=2, batch_size=3, input_lengths="5,2,4")
    assert_no_exception(page)
    assert title in page.locator("h1").first.inner_text()
    page.wait_for_function(f"document.querySelectorAll('{PLOTS}').length >= 4")
    assert page.locator(f"{PLOTS} .barlayer .trace").count() >= 8
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "torch.cat((h_n[-2], h_n[-1]), dim=-1)" in text
    assert "Expected hidden[0] size (6, 3, 6), got [4, 3, 6]" in text
    screenshot(page, f"heads-{lang}")
    page.locator("[data-testid=stHeading]", has_text="4 ·").first.scroll_into_view_if_needed()
    screenshot(page, f"heads-attention-{lang}")
