"""Start page in Chromium: every stop in English and 中文 (screenshots), the stop in the address, keyboard
navigation, a link that opens the deeper page configured."""

import re

import pytest

from lessons import start as lesson

pytestmark = pytest.mark.browser


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_stop_in_the_browser(page, goto, assert_no_exception, screenshot, lang):
    for n, stop in enumerate(lesson.STOPS, start=1):
        goto("start", stop=n, lang=lang)
        assert_no_exception(page)
        page.locator("[data-testid=stMain] h3").filter(has_text=re.compile(rf"^{n}\. ")).wait_for()
        assert "⟦" not in main_text(page)
        if lang == "zh":
            assert len(re.findall(r"[\u4e00-\u9fff]", main_text(page))) > 100
        screenshot(page, f"start-{n}-{stop}-{lang}")


def test_root_opens_start_and_keyboard_moves_on(page, goto, wait_idle, assert_no_exception):
    goto("", lang="en")
    assert_no_exception(page)
    assert "/start" in page.url
    page.locator("[data-testid=stMain] h3").filter(has_text="1. ").wait_for()
    nxt = page.get_by_role("button", name=re.compile("^Next"))
    nxt.focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    page.locator("[data-testid=stMain] h3").filter(has_text="2. ").wait_for()
    page.wait_for_function("() => location.search.includes('stop=2')")
    page.reload()
    page.locator("[data-testid=stMain] h3").filter(has_text="2. ").wait_for()  # the address keeps the stop


def test_deeper_link_opens_the_configured_page(page, goto, wait_idle, assert_no_exception):
    goto("start", stop=6, lang="zh")
    page.locator("a[target=_self]").filter(has_text="张量形状").first.click()
    page.wait_for_url(re.compile(r"/shapes\?"))
    page.wait_for_selector("[data-testid=stMain] h1")
    wait_idle(page)
    assert_no_exception(page)
    table = page.locator("[data-testid=stTable]").first.inner_text()
    assert "(2, 5, 12)" in table  # batch_first output: batch 2, 5 steps, 2 directions × 6
