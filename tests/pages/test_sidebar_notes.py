"""Pages that build their own model (Learn, Quiz, Sentiment) say in the sidebar that its nn.LSTM settings are
not theirs; the pages that use the sidebar's model show no such note."""

import pytest

from ui.i18n import translate


def sidebar_infos(at) -> list[str]:
    return [el.value for el in at.sidebar.info]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", ["learn", "quiz", "sentiment"])
def test_own_model_pages_say_so(run_app, assert_app_ok, page, lang):
    at = run_app(page=page, lang=lang, timeout=90)
    assert_app_ok(at)
    assert translate(lang, f"shell.sidebar.own_model.{page}") in sidebar_infos(at)


@pytest.mark.parametrize("page", ["shapes", "stepper"])
def test_sidebar_pages_have_no_note(run_app, assert_app_ok, page):
    at = run_app(page=page)
    assert_app_ok(at)
    assert not any(translate("en", f"shell.sidebar.own_model.{p}") in sidebar_infos(at)
                   for p in ("learn", "quiz", "sentiment"))
