"""The Learn page's training loop and initialisation comparison in a real browser: the code under the run follows
the settings, the comparison's runs train in the server's pool and their curves, table and sentences appear;
no exception box; screenshots in English and Chinese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LEAD = {"en": "Orthogonal W_hh vs torch's default", "zh": "正交 W_hh 与 torch 默认初始化对比"}
CODE_TITLE = {"en": "The training loop in plain PyTorch", "zh": "用纯 PyTorch 写出的训练循环"}


def smallest_model(page, wait_idle) -> None:
    """T = 2 and hidden_size = 1 (each slider's Home key): the comparison's twelve runs are quick."""
    for key in ("learn_seq_len", "learn_hidden"):
        page.locator(f".st-key-{key}").get_by_role("slider").press("Home")
        wait_idle(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_loop_code_and_init_comparison(page, goto, wait_idle, assert_no_exception, screenshot, lang):
    goto("learn", lang=lang)
    assert_no_exception(page)
    page.get_by_text(CODE_TITLE[lang]).click()  # open the expander
    loop = page.locator("[data-testid=stExpander] [data-testid=stCode]").filter(has_text="for step in range(STEPS)")
    expect(loop).to_contain_text("SEED, STEPS = 0, 300")
    expect(loop).to_contain_text("optimizer.step()")
    assert "orthogonal_hh_" not in loop.inner_text()
    page.locator(".st-key-learn_orthogonal label").click()
    wait_idle(page)
    expect(loop).to_contain_text("orthogonal_hh_(lstm)")
    smallest_model(page, wait_idle)
    expect(loop).to_contain_text("LSTM(input_size=2, hidden_size=1)")
    expect(loop).to_contain_text("seq_len=2")

    measure = page.locator(".st-key-learn_init_measure button")
    if measure.count():  # the English test measured these settings before: the server kept the comparison
        measure.click()
    lead = page.get_by_text(re.compile(re.escape(LEAD[lang])))
    expect(lead).to_have_count(1, timeout=120_000)
    wait_idle(page)
    assert_no_exception(page)
    # the (empty) training curve, then the comparison's loss and quality curves; the comparison's table
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(3)
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(1)
    assert_no_exception(page)
    screenshot(page, f"learn-init-{lang}")
