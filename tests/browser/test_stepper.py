"""The stepper in a real browser: stepping is drawn by the client-side component (no rerun per step).

The component is mounted in the app's own DOM (``isolate_styles=False``: no iframe, no shadow root), so its
elements are found with ordinary selectors under ``[data-testid=lstm-stepper]``. The numbers it draws are
compared with an independent run of the engine (``lstm_core.trace``) on the same configuration and input.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lessons import sources as src
from lstm_core import LSTMConfig, trace
from ui.figures.stepper import fmt

pytestmark = pytest.mark.browser
ROOT = "[data-testid=lstm-stepper]"


def expected(batch_size: int, seq_len: int, input_size: int, seed: int = 0, **cfg):
    """The engine's trace for the app's random input (same seed as the page)."""
    model = LSTMConfig(input_size=input_size, **cfg).build(seed=seed, dtype=torch.float32).eval()
    batch = src.random_batch(batch_size, seq_len, input_size, seed)
    return trace(model, batch.model_input(model.config)).numpy()


def wait_step(page, k: int) -> None:
    page.wait_for_function(f"() => document.querySelector('{ROOT}')?.dataset.k === '{k}'", timeout=10_000)


def shown(page, selector: str) -> str:
    return page.locator(f"{ROOT} {selector}").first.inner_text().replace("−", "-")


def where(page) -> str:
    return page.locator(f"{ROOT} [data-role=where]").inner_text()


def test_key_press_draws_the_next_steps_numbers(page, goto, assert_no_exception, screenshot):
    goto("stepper", hidden_size=3, seq_len=6, input_size=2, batch_size=1, lang="en")
    assert_no_exception(page)
    wait_step(page, 0)
    tr = expected(1, 6, 2, hidden_size=3)[0, 0]
    page.locator(ROOT).focus()
    for k in (1, 2):
        page.keyboard.press("ArrowRight")
        wait_step(page, k)
        for q in ("i", "f", "g", "o", "c"):
            assert shown(page, f"[data-eq={q}] .val") == fmt(getattr(tr, q)[k, 0, 0]), (q, k)
        assert shown(page, "[data-eq=h] .val") == fmt(tr.h[k, 0, 0])
        for n, q in enumerate(("i", "f", "g", "o")):  # the gate's input share and memory share
            x_share = tr.x_proj[k, 0, n * 3]
            assert shown(page, f"[data-eq={q}] [data-part=x] .num") == fmt(x_share)
            assert shown(page, f"[data-eq={q}] [data-part=h] .num").strip("()") == fmt(tr.pre[k, 0, n * 3] - x_share)
        diagram = page.locator(f"{ROOT} svg[data-testid=lstm-cell-diagram]").text_content().replace("−", "-")
        assert fmt(tr.c[k, 0, 0]) in diagram and f"t = {k}" in diagram
        assert f"Step {k}" in where(page)
    page.keyboard.press("End")
    wait_step(page, 5)
    page.keyboard.press("Home")
    wait_step(page, 0)
    # another unit, locally: the equations follow it
    page.locator(f"{ROOT} select[data-role=unit]").select_option("2")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.unit === '2'")
    assert shown(page, "[data-eq=f] .val") == fmt(tr.f[0, 0, 2])
    assert_no_exception(page)
    screenshot(page, "stepper-en-default")


def test_twenty_quick_presses_advance_twenty_steps(page, goto, assert_no_exception):
    goto("stepper", seq_len=40, lang="en")
    wait_step(page, 0)
    button = page.locator(f"{ROOT} button[data-role=next]")
    assert button.get_attribute("aria-label") == "Next step"
    for _ in range(20):
        button.click(delay=0)
    wait_step(page, 20)
    page.wait_for_timeout(300)  # nothing arrives late (no queued rerun moves the cursor further)
    assert page.locator(ROOT).get_attribute("data-k") == "20"
    assert_no_exception(page)


def test_reload_opens_the_same_step_and_unit(page, goto, wait_idle, assert_no_exception):
    goto("stepper", seq_len=8, hidden_size=4, batch_size=2, bidirectional=True, lang="en")
    wait_step(page, 0)
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("backward")).click()
    page.wait_for_function("() => /direction=1/.test(location.search)")
    wait_step(page, 0)
    page.locator(f"{ROOT} select[data-role=unit]").select_option("3")
    page.locator(ROOT).focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_step(page, 3)
    page.wait_for_function("() => /timestep=3/.test(location.search) && /unit=3/.test(location.search)")
    page.reload()
    page.wait_for_selector(ROOT)
    wait_step(page, 3)
    assert page.locator(ROOT).get_attribute("data-unit") == "3"
    assert page.locator(ROOT).get_attribute("data-t") == "4" and "backward" in where(page)  # t = T-1-k
    assert_no_exception(page)


def test_out_of_range_url_is_clamped(page, goto, assert_no_exception):
    goto("stepper", seq_len=5, hidden_size=2, timestep=99, unit=40, layer=7, lang="en")
    wait_step(page, 4)
    assert page.locator(ROOT).get_attribute("data-unit") == "1"
    assert "layer 0" in where(page)
    assert_no_exception(page)


def test_bidirectional_projection_two_layers_in_chinese(page, goto, wait_idle, assert_no_exception, screenshot):
    cfg = dict(hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    goto("stepper", seq_len=6, input_size=3, batch_size=2, lang="zh", **cfg)
    assert_no_exception(page)
    wait_step(page, 0)
    assert "第 0 步" in where(page)
    assert page.locator(f"{ROOT} section[data-role=concat]").is_visible()
    assert page.locator(f"{ROOT} section[data-role=proj]").is_visible()
    # layer 1, backward: its cursor starts at the end of the sequence
    page.locator(".st-key-layer [role=combobox]").click()
    page.get_by_role("option", name="1", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("反向")).click()
    wait_idle(page)
    wait_step(page, 0)
    assert page.locator(ROOT).get_attribute("data-t") == "5"
    tr = expected(2, 6, 3, **cfg)
    page.locator(ROOT).focus()
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    lt = tr[1, 1]
    assert shown(page, "[data-eq=c] .val") == fmt(lt.c[4, 0, 0])
    proj = shown(page, "[data-eq=proj]")
    assert fmt(lt.h[4, 0, 0]) in proj and fmt(lt.h[4, 0, 1]) in proj
    concat = shown(page, "[data-role=concat-eq]")
    assert fmt(tr[1, 0].h[4, 0, 0]) in concat and fmt(tr[1, 1].h[4, 0, 0]) in concat
    assert np.allclose(tr.output_padded[4, 0, :2], tr[1, 0].h[4, 0])
    assert_no_exception(page)
    screenshot(page, "stepper-zh-bidirectional-proj")


def test_padded_steps_are_drawn_empty(page, goto, assert_no_exception):
    goto("stepper", seq_len=5, batch_size=2, input_lengths="5,3", batch_index=1, lang="en")
    wait_step(page, 0)
    page.locator(ROOT).focus()
    page.keyboard.press("End")
    wait_step(page, 4)
    assert "t = 4 is padding" in shown(page, "[data-role=explain]")
    assert page.locator(f"{ROOT} [data-eq]").count() == 0
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
    wait_step(page, 0)
    assert "«我»" in where(page)
    assert page.get_by_text("遗忘门", exact=False).count() > 0
    screenshot(page, "stepper-zh-text")
