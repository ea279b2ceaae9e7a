"""The Learn page in a real browser: train briefly, use the model in the app, upload a bad and a good
state_dict; no exception box anywhere; screenshots in English and Chinese."""

from __future__ import annotations

import re

import pytest
import torch
from playwright.sync_api import expect

from lessons.weight_files import load_weights
from lstm_core import LSTMConfig
from tests.browser.conftest import open_menu_page

pytestmark = pytest.mark.browser


def steps_trained(page) -> int:
    metric = page.locator("[data-testid=stMetric]").filter(has_text=re.compile("Steps trained|已训练步数"))
    return int(metric.locator("[data-testid=stMetricValue]").inner_text())


STEPS_METRIC = "[data-testid=stMetric]"


def train(page, wait_idle, n: int) -> None:
    """Train n more steps and wait until the page shows them: the run goes to the server's worker pool and the
    page polls it (between polls the script is idle), so wait on the steps metric, not on an idle script."""
    before = steps_trained(page) if page.locator(STEPS_METRIC).filter(
        has_text=re.compile("Steps trained|已训练步数")).count() else 0
    box = page.locator(".st-key-learn_steps input")
    box.fill(str(n))
    box.press("Enter")
    wait_idle(page)
    page.locator(".st-key-learn_train button").click()
    page.wait_for_function("""(want) => [...document.querySelectorAll('[data-testid=stMetric]')].some(m =>
        /Steps trained|已训练步数/.test(m.innerText) &&
        Number(m.querySelector('[data-testid=stMetricValue]').innerText) === want)""", arg=before + n,
                           timeout=90_000)
    wait_idle(page, timeout=90_000)


def test_train_use_and_upload(page, goto, wait_idle, assert_no_exception, screenshot, tmp_path):
    goto("learn", lang="en")
    assert_no_exception(page)
    train(page, wait_idle, 30)
    assert_no_exception(page)
    assert steps_trained(page) == 30
    assert page.locator("[data-testid=stPlotlyChart]").count() == 2  # training curve, memory unit
    train(page, wait_idle, 20)  # resume
    assert steps_trained(page) == 50
    screenshot(page, "learn-trained-en")

    # make it the app's model: the sidebar switch appears, the architecture is locked to (2, 8)
    page.locator(".st-key-learn_use button").click()
    wait_idle(page)
    assert_no_exception(page)
    sidebar = page.locator("[data-testid=stSidebar]")
    expect(sidebar.get_by_text(re.compile("trained: Remember the first value"))).to_have_count(1)  # waits for it
    assert "nn.LSTM(input_size=2, hidden_size=8)" in sidebar.locator("[data-testid=stCode]").inner_text()

    # bring your own weights: a whole pickled module is refused, a real state_dict is accepted
    page.get_by_role("tab", name=re.compile("Bring your own weights")).click()
    wait_idle(page)
    bad = tmp_path / "whole_model.pt"
    torch.save(torch.nn.LSTM(2, 3), bad)
    page.locator(".st-key-learn_upload input[type=file]").set_input_files(str(bad))
    wait_idle(page)
    assert_no_exception(page)
    error = page.locator("[data-testid=stAlertContentError]")
    assert error.count() == 1 and "not plain tensors" in error.inner_text()
    screenshot(page, "learn-upload-refused-en")

    good = tmp_path / "encoder.pt"
    torch.save({f"lstm.{k}": v for k, v in torch.nn.LSTM(3, 5, num_layers=2).state_dict().items()}, good)
    page.locator(".st-key-learn_upload input[type=file]").set_input_files(str(good))
    wait_idle(page)
    assert_no_exception(page)
    main_code = page.get_by_role("tabpanel").locator("[data-testid=stCode]")  # the open tab (Train has code too)
    assert "nn.LSTM(input_size=3, hidden_size=5, num_layers=2)" in main_code.first.inner_text()
    page.locator(".st-key-learn_use_upload button").click()
    wait_idle(page)
    assert sidebar.get_by_text(re.compile("uploaded: encoder.pt")).count() == 1

    # the download buttons give the uploaded model back, loadable into torch.nn.LSTM
    with page.expect_download() as info:
        page.locator(".st-key-learn_dl_pt button").click()
    back = load_weights(info.value.path().read_bytes(), "back.pt")
    assert back.config == LSTMConfig(input_size=3, hidden_size=5, num_layers=2)
    with page.expect_download() as info:
        page.locator(".st-key-learn_dl_st button").click()
    assert load_weights(info.value.path().read_bytes(), "back.safetensors").config == back.config

    # navigate in the same session (a page.goto would start a new one): the stepper shows the uploaded model
    open_menu_page(page, "stepper")
    wait_idle(page)
    assert_no_exception(page)
    assert page.url.split("?")[0].endswith("/stepper")
    assert sidebar.get_by_text(re.compile("uploaded: encoder.pt")).count() == 1
    assert "num_layers=2" in sidebar.locator("[data-testid=stCode]").inner_text()
    expect(page.locator("svg[data-testid=lstm-cell-diagram]")).to_have_count(1)
    screenshot(page, "learn-uploaded-in-stepper-en")


def test_stop_interrupts_training_and_keeps_the_steps(page, goto, wait_idle, assert_no_exception):
    goto("learn", lang="en")
    box = page.locator(".st-key-learn_steps input")
    box.fill("2000")
    box.press("Enter")
    wait_idle(page)
    page.locator(".st-key-learn_train button").click()
    page.wait_for_selector("[data-testid=stProgress]")
    # a chunk of 100 steps is done (the bar says so) and training goes on: the moment to interrupt it
    page.wait_for_function("""() => { const bar = document.querySelector('[data-testid=stProgress]');
        const m = bar && bar.innerText.match(/step (\\d+) of 2000/); return m && Number(m[1]) >= 100; }""",
                           timeout=60_000)
    page.locator(".st-key-learn_stop button").click()
    wait_idle(page, timeout=90_000)
    assert_no_exception(page)
    done = steps_trained(page)
    assert 0 < done < 2000 and done % 100 == 0  # stopped between two chunks of 2000 / 20 steps


def test_learn_page_in_chinese(page, goto, wait_idle, assert_no_exception, screenshot):
    goto("learn", lang="zh")
    page.locator(".st-key-learn_task [role=combobox]").click()
    page.get_by_role("option", name="迷你情感分类（英文 + 中文）").click()
    wait_idle(page)
    train(page, wait_idle, 20)
    assert_no_exception(page)
    assert steps_trained(page) == 20
    assert page.get_by_text("训练改变了什么").count() == 1
    assert page.get_by_text(re.compile(r"P\(正面\)")).count() == 1
    screenshot(page, "learn-sentiment-zh")


def test_example_opens_in_the_stepper_with_the_task_unit(page, goto, wait_idle, assert_no_exception, screenshot):
    goto("learn", lang="en")
    open_menu_page(page, "stepper")  # visit the Stepper first: its widgets exist in the session
    wait_idle(page)
    open_menu_page(page, "learn")
    wait_idle(page)
    train(page, wait_idle, 300)
    unit = int(re.search(r"memory unit: unit (\d+)", page.locator("[data-testid=stMain]").inner_text()).group(1))
    page.locator(".st-key-learn_example button").first.click()
    wait_idle(page)
    assert_no_exception(page)
    assert page.url.split("?")[0].endswith("/stepper")
    # the memory unit is selected, on a task sequence of T = 8 whose marker is set at t = 0
    page.get_by_text(re.compile(rf"sequence #0 · unit {unit}$")).wait_for(timeout=30_000)
    assert page.get_by_text(f"Unit {unit} of layer 0").count() == 1  # the cell diagram's title
    panel = page.locator("[data-testid=stExpander]").first.text_content()  # the (collapsed) input panel
    assert "batch of 2 sequence(s), 8 timesteps, 2 features" in panel
    diagram = page.locator("svg[data-testid=lstm-cell-diagram]").text_content()
    assert re.search(r"\[-?[0-9.]+, 1\.00\]", diagram)
    screenshot(page, "learn-example-in-stepper-en")
