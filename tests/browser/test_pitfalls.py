"""Pitfalls and quiz pages in a real browser, English and 中文: all cards shown, the claims tab, a quiz question
answered right and wrong; no exception anywhere; screenshots under test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lessons import errata, pitfalls, quiz
from ui.i18n import translate

N_ERRORS = len(pitfalls.CLAIMS) + len(errata.KEYS)  # the claims tab counts the tutorial errors

pytestmark = pytest.mark.browser
# the machine is shared and slow at times: an element may appear seconds after the script looks idle
expect.set_options(timeout=30_000)


def test_pitfalls_page_en_and_zh(page, goto, wait_idle, assert_no_exception, screenshot):
    goto("pitfalls", lang="en", num_layers=2, bidirectional=True, hidden_size=5)
    assert_no_exception(page)
    for key in pitfalls.PITFALLS + pitfalls.CLAIMS:
        expect(page.locator(f".st-key-card_{key}")).to_have_count(1)
    card = page.locator(".st-key-card_hidden_batch")
    expect(card).to_contain_text("Expected hidden[0] size (4, 2, 5), got [4, 3, 5]")
    screenshot(page, "pitfalls-en")
    page.get_by_role("tab", name=translate("en", "pitfalls.tab_claims", n=N_ERRORS)).click()
    wait_idle(page)
    claim = page.locator(".st-key-card_claim_batch_first_default")
    claim.scroll_into_view_if_needed()
    expect(claim).to_be_visible()
    expect(claim).to_contain_text("batch_first is False")
    screenshot(page, "pitfalls-claims-en")

    goto("pitfalls", lang="zh")
    assert_no_exception(page)
    expect(page.locator("h1").first).to_contain_text("误区实验室")
    expect(page.locator(".st-key-card_padding")).to_contain_text("只填充不打包")
    screenshot(page, "pitfalls-zh")
    page.get_by_role("tab", name=translate("zh", "pitfalls.tab_claims", n=N_ERRORS)).click()
    wait_idle(page)
    expect(page.locator(".st-key-card_claim_batch_first_default")).to_contain_text("默认为 True")
    for key in errata.KEYS:  # every tutorial erratum, with torch's live answer
        expect(page.locator(f".st-key-erratum_{key}")).to_have_count(1)
    screenshot(page, "pitfalls-claims-zh")
    assert_no_exception(page)


def field(page, name):
    """The answer field of `name` (its key is quiz_<name>_<seed>)."""
    return page.locator(f"[class*='st-key-quiz_{name}_'] input")


def fill_and_check(page, wait_idle, answers: dict[str, str]) -> None:
    for name, text in answers.items():
        field(page, name).fill(text)
    page.locator("[data-testid=stFormSubmitButton] button").click()
    wait_idle(page)


def test_quiz_answered_in_browser(page, goto, wait_idle, assert_no_exception, screenshot):
    seed = 11
    q = quiz.random_question(seed)
    truth = quiz.true_shapes(q)
    goto("quiz", lang="en", quiz_seed=seed)
    assert_no_exception(page)
    metric = page.locator("[data-testid=stMetricValue]").first
    expect(metric).to_have_text("0 / 0")
    fill_and_check(page, wait_idle, {"output": str(truth["output"]), "h_n": f"torch.Size({list(truth['h_n'])})",
                                     "c_n": ", ".join(map(str, truth["c_n"]))})
    assert_no_exception(page)
    expect(metric).to_have_text("1 / 1")
    expect(page.get_by_text("All three right!")).to_have_count(1)
    screenshot(page, "quiz-en-right")

    page.locator(".st-key-quiz_new button").click()
    wait_idle(page)
    expect(field(page, "output")).to_have_value("")
    fill_and_check(page, wait_idle, {"output": "(1, 2, 3)", "h_n": "oops", "c_n": "(1, 2, 3)"})
    assert_no_exception(page)
    expect(page.get_by_text(re.compile("is not a shape"))).to_have_count(1)
    expect(metric).to_have_text("1 / 1")  # a malformed answer is not scored

    # 中文: a wrong c_n with projection
    seed = next(s for s in range(500) if quiz.random_question(s).config.proj_size and not
                quiz.random_question(s).unbatched)
    q = quiz.random_question(seed)
    truth = quiz.true_shapes(q)
    goto("quiz", lang="zh", quiz_seed=seed)
    assert_no_exception(page)
    fill_and_check(page, wait_idle, {"output": str(truth["output"]), "h_n": str(truth["h_n"]),
                                     "c_n": str(truth["h_n"])})
    assert_no_exception(page)
    expect(page.get_by_text(re.compile("细胞状态永远不投影"))).to_have_count(1)
    screenshot(page, "quiz-zh-wrong")
