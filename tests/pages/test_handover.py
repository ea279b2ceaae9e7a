"""The language survives every hand-over between pages: a button that switches page (Learn's "open an example
in the Stepper", the tutorial-examples menu), the sidebar's navigation, and every link a page writes
(Start's stops and examples, Proof's case links) — in 中文, on arrival and on the next run."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.helpers import finish_training
from ui.i18n import translate


def still_chinese(at, page: str) -> None:
    assert at.session_state["lang"] == "zh" and at.query_params["lang"] == "zh"
    assert at.title[0].value == translate("zh", f"{page}.title")
    assert at.selectbox(key="lang").value == "zh"


def test_learn_example_opens_the_stepper_in_chinese_and_it_stays(run_app, assert_app_ok):
    at = run_app(page="learn", lang="zh")
    at.number_input(key="learn_steps").set_value(5)
    finish_training(at.button(key="learn_train").click().run(), "learn_run")
    at.button(key="learn_example").click().run()
    assert_app_ok(at)
    assert at.query_params["page"] == "stepper"
    still_chinese(at, "stepper")
    at.run()  # the next interaction: the address must not fall back to English
    still_chinese(at, "stepper")


@pytest.mark.parametrize("name", ["woaizhongguo", "seed002"])
def test_tutorial_example_menu_keeps_chinese(run_app, assert_app_ok, name):
    from lessons.start import PRESETS

    at = run_app(page="weights", lang="zh")
    at.button(key=f"preset_{name}").click().run()
    assert_app_ok(at)
    page = str(PRESETS[name]["page"])
    still_chinese(at, page)
    at.run()
    still_chinese(at, page)


def test_sidebar_navigation_keeps_chinese(run_app, assert_app_ok):
    at = run_app(page="pitfalls", lang="zh")
    for page in ("quiz", "gradients", "whatif"):
        at.switch_page(f"pages/{page}.py").run()
        assert_app_ok(at)
        still_chinese(at, page)


def links(at) -> list[str]:
    """Every in-app link a page wrote (markdown anchors and [text](?query) links)."""
    found = []
    for m in at.markdown:
        found += re.findall(r'href="([^"]+)"', m.value) + re.findall(r"\]\((\?[^)]+)\)", m.value)
    return [h.replace("&amp;", "&") for h in found]


def test_every_start_link_carries_chinese_and_opens_in_chinese(run_app, assert_app_ok):
    at = run_app(page="start", lang="zh")
    assert_app_ok(at)
    hrefs = links(at)
    assert len(hrefs) >= 3  # the first stop's link and the tutorials' examples
    for h in hrefs:
        url = urlparse(h)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert query.get("lang") == "zh", h
    page, query = urlparse(hrefs[0]).path, {k: v[0] for k, v in parse_qs(urlparse(hrefs[0]).query).items()}
    arrived = run_app(page=page, lang=None, query=query)
    assert_app_ok(arrived)
    still_chinese(arrived, page)
