"""Shapes page in a real browser: no exception, a slider changes the table, 中文, URL, screenshots."""

import shutil

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser


def table_text(page) -> str:
    """Text of the first dataframe (the tensor table) — Glide data grid renders cells into a canvas,
    so read its accessible table instead."""
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for()
    return grid.locator("table").inner_text()


def test_shapes_page_in_english_and_chinese(page, goto, assert_no_exception, screenshot):
    goto("shapes", lang="en", num_layers=2, bidirectional=True)
    assert_no_exception(page)
    assert "(5, 2, 12)" in table_text(page)  # output: seq_len 5, batch 2, 2 directions × 6
    assert page.locator("[data-testid=stPlotlyChart]").count() >= 1
    shot = screenshot(page, "shapes-en")
    (ROOT / "assets").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "assets" / "screenshot.png")  # README picture, refreshed by this test

    goto("shapes", lang="zh", num_layers=2, bidirectional=True)
    assert_no_exception(page)
    assert "张量形状" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "shapes-zh")
    assert (ARTIFACTS / "shapes-zh.png").stat().st_size > 10_000
