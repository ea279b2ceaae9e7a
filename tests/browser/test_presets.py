"""The preset menu in Chromium, both languages: open it from another page, choose a tutorial example, land on
its page configured (the address carries the preset, so a reload keeps it), in the language chosen."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from lessons import start as lesson
from ui import presets
from ui.i18n import translate

pytestmark = pytest.mark.browser


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_choose_a_preset_from_another_page(page, goto, wait_idle, assert_no_exception, screenshot, lang):
    goto("weights", lang=lang, hidden_size=9)
    page.get_by_role("button", name=re.compile(translate(lang, "presets.menu"))).click()
    screenshot(page, f"presets-menu-{lang}")
    page.get_by_role("button", name=presets.label("woaizhongguo", lang)).click()
    page.get_by_role("heading", name=translate(lang, "stepper.title")).wait_for()
    wait_idle(page)
    assert_no_exception(page)
    page.wait_for_function("() => location.pathname.endsWith('/stepper')")
    page.wait_for_function("() => location.search.includes('input_source=text')")
    q = query(page)
    preset = lesson.preset_query("woaizhongguo")
    assert q["lang"] == lang and q["input_text"] == "我爱中国" and q["bidirectional"] == "true"
    assert q["input_size"] == preset["input_size"] and q["hidden_size"] == preset["hidden_size"]
    # the backward cursor starts at the last character: the stepper labels the step with it
    page.wait_for_function("() => document.querySelector('[data-testid=stMain]').innerText.includes('«国»')")
    page.get_by_role("button", name=re.compile(translate(lang, "presets.menu"))).wait_for()  # the menu closed
    assert not page.get_by_role("button", name=presets.label("seed002", lang)).is_visible()
    screenshot(page, f"presets-woaizhongguo-{lang}")
