"""Start page through app.py: every stop in both languages, the stop in the URL, keyboard-free buttons,
links that carry the configuration, numbers on the page equal to an independent computation."""

import ast
import json
import math
from urllib.parse import parse_qs, urlparse

import pytest
import torch

from lessons import start as lesson
from lstm_core import limits
from tests.conftest import APP
from ui import start_view
from ui.state import SIDEBAR_KEYS

PAGE = "start"


def links(at) -> list[str]:
    """The href of every same-tab link drawn with st.markdown."""
    out = []
    for md in at.markdown:
        if 'target="_self"' in md.value:
            out.append(md.value.split('href="')[1].split('"')[0].replace("&amp;", "&"))
    return out


def test_first_page_is_start_and_shortcuts_name_every_other_page():
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    pages = next(ast.literal_eval(n.value) for n in tree.body
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PAGES")
    names = [p[0] for p in pages]
    assert names[0] == PAGE
    assert tuple(names[1:]) == start_view.OTHER_PAGES


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("stop", lesson.STOPS)
def test_every_stop_in_both_languages(run_app, assert_app_ok, app_text, stop, lang):
    n = lesson.STOPS.index(stop) + 1
    at = run_app(PAGE, query={"stop": n}, lang=lang, timeout=60)
    assert_app_ok(at)
    assert at.session_state["stop"] == n
    from ui.i18n import translate

    assert at.subheader[0].value == f"{n}. {translate(lang, f'start.{stop}.title')}"
    page, query = lesson.DEEPER[stop]
    deeper = [h for h in links(at) if h.startswith(page + "?")]
    assert deeper, links(at)
    got = {k: v[0] for k, v in parse_qs(urlparse(deeper[0]).query).items()}
    assert got == {**{k: str(v) for k, v in query.items()}, "lang": lang}
    assert not at.error


def test_root_opens_start_and_buttons_move_through_the_stops(run_app, assert_app_ok):
    at = run_app(PAGE)
    assert_app_ok(at)
    assert at.session_state["stop"] == 1
    for n in range(2, len(lesson.STOPS) + 1):
        at.button(key="start_next").click().run()
        assert at.session_state["stop"] == n
        assert at.subheader[0].value.startswith(f"{n}. ")
    assert at.button(key="start_next").disabled
    at.button(key="start_prev").click().run()
    assert at.session_state["stop"] == len(lesson.STOPS) - 1


def test_bad_stop_in_the_url_falls_back_to_the_first(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": "nowhere"})
    assert_app_ok(at)
    assert at.subheader[0].value.startswith("1. ")


def test_cell_sliders_drive_the_gate_bars(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": 2})
    at.slider(key="start_x").set_value(-1.5).run()
    at.slider(key="start_c").set_value(2.0).run()
    assert_app_ok(at)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = fig["data"][0]["y"]
    # independent: torch.nn.LSTMCell with the same seed-0 weights
    torch.manual_seed(0)
    ref = torch.nn.LSTM(1, 1, dtype=torch.float64)  # the lesson builds in float64
    cell = torch.nn.LSTMCell(1, 1).double()
    cell.load_state_dict({k[:-3]: v for k, v in ref.state_dict().items()})
    x, h0, c0 = torch.tensor([[-1.5]]).double(), torch.tensor([[0.0]]).double(), torch.tensor([[2.0]]).double()
    with torch.no_grad():
        h1, c1 = cell(x, (h0, c0))
        pre = x @ ref.weight_ih_l0.T + h0 @ ref.weight_hh_l0.T + ref.bias_ih_l0 + ref.bias_hh_l0
    i, f, g, o = pre[0].chunk(4)
    expected = [torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o), c1, h1]
    assert bars == pytest.approx([float(v) for v in expected], abs=1e-12)


def test_why_shows_the_gradient_ratios(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": 1})
    assert_app_ok(at)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    curves = {tr["meta"]: tr["y"] for tr in fig["data"]}
    assert set(curves) == {"rnn", "lstm", "lstm_bias"}
    ratio = {k: v[0] / v[-1] for k, v in curves.items()}
    assert ratio["rnn"] < 1e-4 and ratio["lstm"] < 1e-4  # both vanish with random weights
    assert ratio["lstm_bias"] > 1e3 * ratio["lstm"]  # forget gates near 1 keep it
    assert math.isfinite(ratio["lstm_bias"])


def test_presets_fit_the_limits_and_the_url_names():
    known = set(SIDEBAR_KEYS) | {"page", "input_source", "input_text", "direction", "layer"}
    for name, preset in lesson.PRESETS.items():
        assert set(preset) <= known, name
        assert preset.get("input_size", 1) <= limits.MAX_INPUT_SIZE
        assert preset.get("hidden_size", 1) <= limits.MAX_HIDDEN_SIZE
    assert lesson.PRESETS["seed002"] | {} == {"page": "shapes", "input_size": 5, "hidden_size": 6, "num_layers": 2,
                                               "seq_len": 1, "batch_size": 3}
    assert lesson.preset_query("seed002", "zh")["lang"] == "zh"


def test_presets_are_links_with_their_settings(run_app, assert_app_ok):
    at = run_app(PAGE, lang="zh")
    assert_app_ok(at)
    hrefs = links(at)
    for name, preset in lesson.PRESETS.items():
        match = [h for h in hrefs if h.startswith(f"{preset['page']}?") and
                 {k: v[0] for k, v in parse_qs(urlparse(h).query).items()} == lesson.preset_query(name, "zh")]
        assert match, (name, hrefs)


def test_a_preset_link_opens_its_page_configured(run_app, assert_app_ok):
    query = lesson.preset_query("seed003_bidir")
    at = run_app("shapes", query=query)
    assert_app_ok(at)
    assert at.session_state["hidden_size"] == 64 and at.session_state["bidirectional"] is True
    assert "(4, 10, 128)" in at.table[0].value.to_string()  # batch_first output: 2 directions × 64


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_errata_cards_on_their_stops(run_app, assert_app_ok, app_text, lang):
    at = run_app(PAGE, query={"stop": 6}, lang=lang)
    assert_app_ok(at)
    text = app_text(at)
    assert "Expected hidden[0] size (1, 4, 512), got [2, 4, 512]" in text
    assert "(10, 24, 16)" in text
    at = run_app(PAGE, query={"stop": 8}, lang=lang)
    assert "must have the same dtype" in app_text(at)
