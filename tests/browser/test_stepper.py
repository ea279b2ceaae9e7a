"""The stepper in a real browser: buttons, slider, play, selectors, a bad CSV upload; screenshots."""
from __future__ import annotations

import re

import numpy as np
import pytest

pytestmark = pytest.mark.browser


def where(page) -> str:
    """The "Step k → time t = …" line."""
    return page.locator("[data-testid=stMarkdown]").filter(has_text=re.compile(r"(Step|第) \d+")).first.inner_text()


def step_of(page) -> int:
    return int(re.search(r"(?:Step|第) (\d+)", where(page)).group(1))


def test_step_play_switch_and_upload(page, goto, wait_idle, assert_no_exception, screenshot, tmp_path):
    goto("stepper", hidden_size=3, seq_len=6, num_layers=2, bidirectional=True, lang="en")
    assert_no_exception(page)
    assert step_of(page) == 0
    assert page.locator("svg[data-testid=lstm-cell-diagram]").count() == 1
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    assert page.locator("[data-testid=stPlotlyChart]").count() == 3  # heatmaps, unit lines, concatenation

    page.locator(".st-key-step_next button").first.click()
    wait_idle(page)
    assert step_of(page) == 1
    page.locator(".st-key-step_next button").first.click()
    wait_idle(page)
    page.locator(".st-key-step_prev button").first.click()
    wait_idle(page)
    assert step_of(page) == 1

    thumb = page.locator(".st-key-timestep input[type=range]")
    thumb.focus()
    thumb.press("ArrowRight")
    wait_idle(page)
    assert step_of(page) == 2
    assert_no_exception(page)

    # play for a bit more than a second: the fragment advances on its own, then pause
    page.locator(".st-key-play label").click()
    page.wait_for_timeout(1800)
    page.locator(".st-key-play label").click()
    wait_idle(page)
    assert step_of(page) != 2
    assert_no_exception(page)

    # switch layer and direction; the backward cursor starts at the end
    page.locator(".st-key-layer [role=combobox]").click()
    page.get_by_role("option", name="1", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("backward")).click()
    wait_idle(page)
    page.locator(".st-key-timestep input[type=range]").focus()
    page.keyboard.press("Home")
    wait_idle(page)
    assert "t = 5" in where(page) and "layer 1" in where(page)
    assert "backward" in where(page)
    assert_no_exception(page)
    screenshot(page, "stepper-en-bidirectional")

    # upload a CSV with the wrong number of columns: message, previous sequence kept, no exception
    page.get_by_text("Input sequence", exact=True).click()
    page.get_by_role("radio", name="Your numbers (CSV)").click()
    wait_idle(page)
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3,4,5\n6,7,8,9,10\n", encoding="utf-8")
    page.locator(".st-key-csv_file input[type=file]").set_input_files(str(bad))
    wait_idle(page)
    alert = page.locator("[data-testid=stAlert]").filter(has_text="Row 1 has 5 values; expected 4")
    assert alert.count() == 1
    assert_no_exception(page)
    assert page.locator("svg[data-testid=lstm-cell-diagram]").count() == 1
    screenshot(page, "stepper-en-bad-csv")


def test_plotly_play_animates_without_the_server(page, goto, assert_no_exception):
    goto("stepper", seq_len=5)
    page.wait_for_selector(".js-plotly-plot", timeout=30_000)
    cursor_t = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(g => {
        const c = g.data.find(d => d.name === 'cursor'); return c ? c.x[0] : null; })"""
    assert page.evaluate(cursor_t)[1] == 0  # the unit line plot
    page.locator(".js-plotly-plot").nth(1).locator(".updatemenu-button").first.click()  # Plotly's own ▶
    page.wait_for_function(f"() => ({cursor_t})()[1] === 4", timeout=10_000)
    assert step_of(page) == 0  # the page itself did not rerun: the browser animated the frames
    assert_no_exception(page)


def test_trace_downloads(page, goto, tmp_path):
    goto("stepper", hidden_size=2, seq_len=3, batch_size=1, input_size=2)
    with page.expect_download() as info:
        page.locator(".st-key-dl_csv button").first.click()
    path = tmp_path / "trace.csv"
    info.value.save_as(path)
    rows = path.read_text().splitlines()
    assert rows[0] == "array,i0,i1,i2,value" and any(r.startswith("l0_d0_f,2,0,1,") for r in rows)
    with page.expect_download() as info:
        page.locator(".st-key-dl_npz button").first.click()
    info.value.save_as(tmp_path / "trace.npz")
    arrays = np.load(tmp_path / "trace.npz")
    assert arrays["l0_d0_f"].shape == (3, 1, 2) and arrays["output"].shape == (3, 1, 2)


def test_chinese_text_input(page, goto, assert_no_exception, screenshot):
    goto("stepper", lang="zh", input_source="text", hidden_size=4)
    assert_no_exception(page)
    assert "«我»" in where(page)
    assert page.get_by_text("遗忘门", exact=False).count() > 0
    screenshot(page, "stepper-zh-text")
