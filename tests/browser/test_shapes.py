"""Shapes page in a real browser: no exception, a slider changes the table, 中文, URL, screenshots.

The README picture (assets/screenshot.png) is this page; tests write their copy to test-artifacts/ only.
``scripts/screenshot`` refreshes the tracked one with `readme_shot`, through the same server and Chromium.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
README_QUERY = dict(lang="en", num_layers=2, bidirectional=True)  # what the README picture shows


def readme_shot(page, path) -> None:
    """The README picture of the open Shapes page: table and blocks, 1400×1500."""
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.locator("[data-testid=stPlotlyChart]").first.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=stPlotlyChart] .main-svg') !== null")
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def table_text(page) -> str:
    """Text of the first static table (the tensor table)."""
    table = page.locator("[data-testid=stTable]").first
    table.wait_for()
    return table.inner_text()


def test_shapes_page_in_english_and_chinese(page, goto, assert_no_exception, screenshot):
    goto("shapes", **README_QUERY)
    assert_no_exception(page)
    # output: seq_len 5, batch 2, 2 directions × 6 (waits: a bound widget's rerun may still be redrawing the table)
    expect(page.locator("[data-testid=stTable]").first).to_contain_text("(5, 2, 12)")
    page.locator("[data-testid=stPlotlyChart]").first.wait_for()  # the block picture is drawn
    readme_shot(page, ARTIFACTS / "readme-screenshot.png")  # never the tracked assets/screenshot.png
    assert (ARTIFACTS / "readme-screenshot.png").stat().st_size > 10_000
    screenshot(page, "shapes-en")

    goto("shapes", lang="zh", num_layers=2, bidirectional=True)
    assert_no_exception(page)
    assert "张量形状" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "shapes-zh")
    assert (ARTIFACTS / "shapes-zh.png").stat().st_size > 10_000


def test_slider_changes_the_table_and_the_address(page, goto, wait_idle, assert_no_exception):
    goto("shapes", lang="en")
    expect(page.locator("[data-testid=stTable]").first).to_contain_text("(5, 2, 6)")  # output with hidden_size 6
    slider = page.locator("[data-testid=stSidebar] [data-testid=stSlider]").filter(has_text="hidden_size")
    slider.get_by_role("slider").press("ArrowRight")
    wait_idle(page)
    assert_no_exception(page)
    assert "(5, 2, 7)" in table_text(page) and "(5, 2, 6)" not in table_text(page)
    assert "hidden_size=7" in page.url


def test_invalid_combination_in_the_browser(page, goto, assert_no_exception):
    goto("shapes", hidden_size=3, proj_size=5, lang="en")
    assert_no_exception(page)
    alert = page.locator("[data-testid=stAlert]").filter(has_text="proj_size has to be smaller than hidden_size")
    expect(alert).to_have_count(1)
    # not applied: the default configuration is shown (waited for: under load a rerun can still be drawing it)
    expect(page.locator("[data-testid=stTable]").first).to_contain_text("(5, 2, 6)")
    assert "proj_size=5" in page.url  # the widget keeps what was asked (bound to the URL), the model does not
