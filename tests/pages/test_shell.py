"""The shell through app.py: every page runs in both languages, URL state round-trips, bad links are noticed."""

import ast
import re

import pytest

from tests.conftest import APP


def page_names() -> list[str]:
    """Names in app.py's PAGES list (read from the source, so a new page is tested automatically)."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PAGES":
            return [ast.literal_eval(item)[0] for item in node.value.elts]
    raise AssertionError("PAGES not found in app.py")


SIDEBAR = {"input_size": "3", "hidden_size": "5", "num_layers": "2", "bidirectional": "1", "batch_first": "1",
           "bias": "0", "dropout": "0.3", "proj_size": "2", "batch_size": "3", "seq_len": "4", "seed": "11"}
# The same values as Streamlit writes them once the widgets are bound to the URL (old "1"/"0" links still open)
WRITTEN = {**SIDEBAR, "bidirectional": "true", "batch_first": "true", "bias": "false"}


def test_pages_exist():
    names = page_names()
    assert names[0] == "start" and len(names) == len(set(names))
    for name in names:
        assert (APP.parent / "pages" / f"{name}.py").is_file()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", page_names())
def test_every_page_runs_in_both_languages(run_app, assert_app_ok, app_text, page, lang):
    at = run_app(page, lang=lang, timeout=60)
    assert_app_ok(at)
    assert at.query_params["page"] == page
    text = app_text(at)
    if lang == "zh":
        assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 20


def test_query_parameters_round_trip(run_app, assert_app_ok):
    at = run_app("shapes", query=SIDEBAR, lang="zh")
    assert_app_ok(at)
    assert not at.warning
    typed = {"bidirectional": True, "batch_first": True, "bias": False, "dropout": 0.3}
    for key, value in SIDEBAR.items():
        assert at.session_state[key] == typed.get(key, int(value) if value.isdigit() else value), key
    assert {k: at.query_params[k] for k in SIDEBAR} == WRITTEN
    assert at.query_params["lang"] == "zh" and at.query_params["page"] == "shapes"
    # The written address opens the same state again.
    again = run_app("shapes", query=dict(at.query_params), lang=None)
    assert {k: again.query_params[k] for k in SIDEBAR} == WRITTEN
    assert again.table[0].value.equals(at.table[0].value)
    assert again.title[0].value == "张量形状"


def test_sidebar_widgets_are_bound_to_the_url(run_app):
    """Streamlit itself keeps each sidebar value in the address (bind="query-params", key = URL name)."""
    at = run_app("shapes")
    kinds = {"slider": ["input_size", "hidden_size", "num_layers", "dropout", "proj_size", "batch_size",
                        "seq_len"], "toggle": ["bias", "batch_first", "bidirectional"], "number_input": ["seed"]}
    for kind, keys in kinds.items():
        for key in keys:
            assert getattr(at, kind)(key=key).proto.query_param_key == key, key


def test_a_page_switch_keeps_the_sidebar(run_app, assert_app_ok):
    at = run_app("shapes", query={"hidden_size": 9, "bidirectional": 1}, lang="zh")
    at.slider(key="seq_len").set_value(7).run()
    at.switch_page("pages/weights.py").run()
    assert_app_ok(at)
    assert at.title[0].value.startswith("权重")
    assert (at.slider(key="hidden_size").value, at.toggle(key="bidirectional").value) == (9, True)
    assert at.slider(key="seq_len").value == 7
    assert "weight_ih_l0_reverse" in at.table[0].value.iloc[:, 0].tolist()


@pytest.mark.parametrize("key,value", [("hidden_size", "abc"), ("hidden_size", "0"), ("seq_len", "100000"),
                                       ("bidirectional", "maybe"), ("dropout", "nan"), ("lang", "fr"),
                                       ("page", "nowhere"), ("seed", "-1"), ("hidden_size", "²"),
                                       ("num_layers", "①"), ("seed", "1e3"), ("dropout", "1e999")])
def test_bad_parameters_are_ignored_with_a_notice(run_app, assert_app_ok, key, value):
    at = run_app("shapes", query={key: value}, lang=None if key == "lang" else "en")
    assert_app_ok(at)
    notices = [w.value for w in at.warning]
    assert any(f"`{key}={value}`" in n for n in notices), notices
    written = {"lang": "en", "page": "start"}  # unbound: always written; bound: a default is left out
    assert at.query_params.get(key) == written.get(key)
    defaults = {"hidden_size": 6, "seq_len": 5, "bidirectional": False, "dropout": 0.0, "seed": 0, "num_layers": 1}
    if key in defaults:
        assert at.session_state[key] == defaults[key]
    at.run()  # the notice is shown once, not on every rerun
    assert not at.warning


def test_a_long_bad_value_is_quoted_short(run_app, assert_app_ok):
    at = run_app("shapes", query={"hidden_size": "9" * 5000})
    assert_app_ok(at)
    (notice,) = [w.value for w in at.warning]
    assert "`hidden_size=" + "9" * 59 + "…`" in notice and len(notice) < 300


def test_language_defaults_to_the_browser(run_app):
    at = run_app("shapes", lang=None)  # no ?lang: AppTest has no browser locale -> English
    assert at.session_state["lang"] == "en"
    at.selectbox(key="lang").set_value("zh").run()
    assert at.title[0].value == "张量形状" and at.query_params["lang"] == "zh"


def test_browser_language_is_detected(monkeypatch):
    import streamlit as st

    from ui import i18n

    class FakeContext:
        locale = None
        headers = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}

    monkeypatch.setattr(st, "context", FakeContext())
    assert i18n.browser_lang() == "zh"
    FakeContext.headers = {"Accept-Language": "de-DE,fr;q=0.5"}
    assert i18n.browser_lang() == "en"
    FakeContext.locale = "zh-TW"
    assert i18n.browser_lang() == "zh"


@pytest.mark.parametrize("page", ["heads", "weights", "whatif", "stepper"])
def test_translated_choices_survive_the_next_action_in_zh(run_app, assert_app_ok, page):
    """Selectors whose options are translated (sequence, direction) keep working on the next run in 中文.

    Found by the fuzz test: a format_func calling t() is evaluated by AppTest outside the script run, in
    English, and the zh option is then "not in list"; labels are computed during the run instead."""
    at = run_app(page, query={"bidirectional": "1", "batch_size": "2", "seq_len": "4"}, lang="zh", timeout=60)
    assert_app_ok(at)
    translated = [w for w in [*at.selectbox, *at.radio] if any("\u4e00" <= ch <= "\u9fff" for o in w.options
                                                                  for ch in o)]
    assert translated, "the page shows a selector with 中文 options"
    at.slider(key="hidden_size").set_value(3).run()
    assert_app_ok(at)
    assert at.session_state["hidden_size"] == 3



def test_first_run_pauses_after_the_title_later_runs_do_not(run_app, monkeypatch):
    """app.py sleeps FIRST_PAINT_PAUSE_S once per session, after the title: the browser gets the title in a render
    of its own (the order of what is sent is checked in Chromium by tests/browser/test_first_paint.py)."""
    import time

    tree = ast.parse(APP.read_text(encoding="utf-8"))
    pause = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", None) == "FIRST_PAINT_PAUSE_S")
    assert 0.03 <= pause <= 0.5
    sleep, pauses = time.sleep, []
    monkeypatch.setattr(time, "sleep", lambda s: (pauses.append(s) if s == pause else None, sleep(s))[1])
    at = run_app("weights")
    assert pauses == [pause]
    at.slider(key="hidden_size").set_value(4).run()
    at.switch_page("pages/shapes.py").run()
    assert not at.exception and pauses == [pause]
