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
        page.locator("[data-testid=stMain] h2").filter(has_text=re.compile(rf"^{n}\. ")).wait_for()
        assert "⟦" not in main_text(page)
        if lang == "zh":
            assert len(re.findall(r"[\u4e00-\u9fff]", main_text(page))) > 100
        screenshot(page, f"start-{n}-{stop}-{lang}")


# the view each of stops 1-5 pictures (data-testid of its SVG)
PICTURES = {1: "chain-unrolled", 2: "chain-cell", 3: "chain-unrolled", 4: "chain-stacked", 5: "chain-bidirectional"}

# Rendered size of every text of a picture: its font size (user units) times the drawing's scale on screen;
# whether the drawing is visible, inside the window's width, and labelled for screen readers.
MEASURE = """(svg) => {
    const box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll('text, tspan')].filter(e => e.textContent.trim())
        .map(e => parseFloat(getComputedStyle(e).fontSize) * scale);
    return {min: Math.min(...sizes), n: sizes.length, width: box.width, height: box.height, scale,
            role: svg.getAttribute('role'), label: svg.getAttribute('aria-label') || '',
            title: (svg.querySelector('title') || {}).textContent || ''};
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stops_1_to_5_show_their_picture_readable_at_1366(page, goto, wait_idle, assert_no_exception, lang):
    page.set_viewport_size({"width": 1366, "height": 768})
    for n, testid in PICTURES.items():
        goto("start", stop=n, lang=lang)
        assert_no_exception(page)
        svg = page.locator(f"[data-testid=stMain] svg[data-testid={testid}]").first  # the stop's own
        svg.wait_for(state="visible")
        got = svg.evaluate(MEASURE)
        assert got["n"] > 10 and got["height"] > 150, (n, got)
        assert got["min"] >= 13 - 0.01, (n, got)  # every label at least 13 px at 1366 wide
        assert got["role"] == "img" and got["label"] and got["title"] == got["label"]
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]", got["label"]), got["label"]
        # the whole picture fits the main column at 1366: nothing to scroll sideways
        assert svg.evaluate("s => s.parentElement.scrollWidth <= s.parentElement.clientWidth + 1"), (n, got)
    # the picture follows the step slider (stop 5: the lit cell moves to t = 3 in both chains)
    slider = page.locator("[data-testid=stMain]").get_by_role("slider").first
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    lit = page.locator("svg[data-testid=chain-bidirectional] g.chain-cell[data-current='1']")
    assert sorted(lit.evaluate_all("els => els.map(e => e.dataset.t)")) == ["3", "3"]
    assert_no_exception(page)


def test_pictures_scroll_sideways_on_a_phone_and_keep_13px(page, goto, assert_no_exception):
    page.set_viewport_size({"width": 390, "height": 844})
    goto("start", stop=5, lang="zh")
    assert_no_exception(page)
    svg = page.locator("svg[data-testid=chain-bidirectional]").first
    svg.wait_for(state="visible")
    assert svg.evaluate(MEASURE)["min"] >= 13 - 0.01
    assert svg.evaluate("s => s.parentElement.scrollWidth > s.parentElement.clientWidth")  # scrolls, not shrinks


def test_root_opens_start_and_keyboard_moves_on(page, goto, wait_idle, assert_no_exception):
    goto("", lang="en")
    assert_no_exception(page)
    assert "/start" in page.url
    page.locator("[data-testid=stMain] h2").filter(has_text="1. ").wait_for()
    nxt = page.get_by_role("button", name=re.compile("^Next"))
    nxt.focus()
    page.keyboard.press("Enter")
    wait_idle(page)
    page.locator("[data-testid=stMain] h2").filter(has_text="2. ").wait_for()
    page.wait_for_function("() => location.search.includes('stop=2')")
    page.reload()
    page.locator("[data-testid=stMain] h2").filter(has_text="2. ").wait_for()  # the address keeps the stop


def test_deeper_link_opens_the_configured_page(page, goto, wait_idle, assert_no_exception):
    goto("start", stop=6, lang="zh")
    page.locator("a[target=_self]").filter(has_text="张量形状").first.click()
    page.wait_for_url(re.compile(r"/shapes\?"))
    page.wait_for_selector("[data-testid=stMain] h1")
    wait_idle(page)
    assert_no_exception(page)
    table = page.locator("[data-testid=stTable]").first.inner_text()
    assert "(2, 5, 12)" in table  # batch_first output: batch 2, 5 steps, 2 directions × 6
