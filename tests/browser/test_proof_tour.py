"""A real-browser tour of the weights, proof and code pages (English and 中文), with screenshots."""

import pytest

pytestmark = pytest.mark.browser

CONFIG = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "proj_size": 2}


def test_weights_hover_names_the_slice(page, goto, wait_idle, assert_no_exception, screenshot):
    goto("weights", lang="en", **CONFIG)
    assert_no_exception(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    # Plotly charts are rendered lazily after the script finished: wait for all ten
    page.wait_for_function("document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot').length >= 10",
                           timeout=60_000)
    assert charts.count() == 4 + 4 + 2  # weight_ih's four gate blocks, weight_hh's four, biases, weight_hr
    # hover the middle of the W_if block (the second chart) of weight_ih_l0
    second = charts.nth(1)
    second.scroll_into_view_if_needed()
    box = second.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator(".hoverlayer .hovertext")
    label.first.wait_for(timeout=10_000)
    text = label.first.text_content()
    assert "weight_ih_l0[4:8, :]" in text and "W_if" in text, text
    screenshot(page, "weights-en")
    goto("weights", lang="zh", **CONFIG)
    assert_no_exception(page)
    assert "两个偏置向量" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "weights-zh")


def test_proof_badge_and_check_many(page, goto, wait_idle, assert_no_exception, screenshot):
    goto("proof", lang="en", **CONFIG)
    assert_no_exception(page)
    main = page.locator("[data-testid=stMain]")
    assert "PASS — agrees with torch.nn.LSTM (float64)" in main.inner_text()
    number = page.get_by_label("Number of random configurations (N)")
    number.fill("8")
    number.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Check many").click()
    wait_idle(page, timeout=120_000)
    assert_no_exception(page)
    text = main.inner_text()
    assert "All 8 configurations agree with torch.nn.LSTM" in text, text[-2000:]
    link = main.locator("a[href*='case=']").first
    href = link.get_attribute("href")
    assert "page=proof" in href
    screenshot(page, "proof-en")
    # the worst-case link opens that exact case
    goto("proof", case=href.split("case=")[1].split("&")[0], lang="zh")
    assert_no_exception(page)
    assert "正在复现用例" in main.inner_text() and "通过" in main.inner_text()
    screenshot(page, "proof-zh")


def test_code_page_copy_and_download(page, goto, assert_no_exception, screenshot):
    goto("code", lang="en", **CONFIG)
    assert_no_exception(page)
    code = page.locator("[data-testid=stMain] [data-testid=stCode]").filter(has_text="nn.LSTM(").first
    code.wait_for(timeout=30_000)  # the highlighted code block renders lazily
    assert "nn.LSTM(" in code.inner_text() and "proj_size=2" in code.inner_text()
    assert page.locator("[data-testid=stDownloadButton]").count() == 1
    with page.expect_download() as info:
        page.get_by_role("button", name="Download lstm_snippet.py").click()
    content = open(info.value.path(), encoding="utf-8").read()
    assert content.startswith('"""LSTM Explorer') and "def cell_step(" in content  # standalone: the cell inside
    assert "import lstm_core" not in content and "from lstm_core" not in content
    screenshot(page, "code-en")
    goto("code", lang="zh", **CONFIG)
    assert_no_exception(page)
    assert "复制为 PyTorch" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "code-zh")


def test_case_link_above_the_limits_is_refused(page, goto, assert_no_exception, screenshot):  # issue 13
    for lang, words in (("en", "seq_len = 1000, the limit is 200"), ("zh", "seq_len = 1000，上限为 200")):
        goto("proof", lang=lang, case="i3_h4_n1_b1_bf0_do0_bi0_p0_B1_T1000_Fb_s0")
        assert_no_exception(page)
        alert = page.locator("[data-testid=stMain] [data-testid=stAlert]").filter(has_text=words)
        assert alert.count() == 1
        assert page.locator("[data-testid=stMain] [data-testid=stDataFrame]").count() == 0  # nothing ran
        screenshot(page, f"proof-limit-{lang}")
