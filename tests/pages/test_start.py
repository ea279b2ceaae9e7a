"""Start page through app.py: every stop in both languages, the stop in the URL, keyboard-free buttons,
links that carry the configuration, numbers on the page equal to an independent computation."""

import ast
import json
import math
import re
import xml.etree.ElementTree as ET
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

    assert at.header[0].value == f"{n}. {translate(lang, f'start.{stop}.title')}"
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
        assert at.header[0].value.startswith(f"{n}. ")
    assert at.button(key="start_next").disabled
    at.button(key="start_prev").click().run()
    assert at.session_state["stop"] == len(lesson.STOPS) - 1


def test_bad_stop_in_the_url_falls_back_to_the_first(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": "nowhere"})
    assert_app_ok(at)
    assert at.header[0].value.startswith("1. ")


def pictures(at, last: bool = False) -> dict:
    """The chain views drawn on the page (st.markdown SVG), by view name, parsed: the first of each name (the
    stop's own picture), or with `last` the last one (the "your model" expander below the stop)."""
    out = {}
    for md in at.markdown:
        if 'class="lstm-chain"' in md.value:
            root = ET.fromstring(md.value)
            if last or root.get("data-view") not in out:
                out[root.get("data-view")] = root
    return out


def svg_cells(root, cls="chain-cell") -> list:
    return [e for e in root.iter() if e.tag.endswith("}g") and e.get("class") == cls]


def test_cell_sliders_drive_the_cell_picture(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": 2})
    at.slider(key="start_x").set_value(-1.5).run()
    at.slider(key="start_c").set_value(2.0).run()
    assert_app_ok(at)
    assert [s.label for s in at.slider if s.key in ("start_x", "start_h", "start_c")] == [
        "input $x_t$", "previous hidden state $h_{t-1}$", "previous cell state $c_{t-1}$"]  # rendered as math
    (cell,) = svg_cells(pictures(at)["cell"])
    drawn = {q: float(cell.get(f"data-{q}")) for q in ("i", "f", "g", "o", "c", "h")}
    # independent: torch.nn.LSTMCell with the same seed-0 weights
    torch.manual_seed(0)
    ref = torch.nn.LSTM(1, 1, dtype=torch.float64)  # the lesson builds in float64
    lstm_cell = torch.nn.LSTMCell(1, 1).double()
    lstm_cell.load_state_dict({k[:-3]: v for k, v in ref.state_dict().items()})
    x, h0, c0 = torch.tensor([[-1.5]]).double(), torch.tensor([[0.0]]).double(), torch.tensor([[2.0]]).double()
    with torch.no_grad():
        h1, c1 = lstm_cell(x, (h0, c0))
        pre = x @ ref.weight_ih_l0.T + h0 @ ref.weight_hh_l0.T + ref.bias_ih_l0 + ref.bias_hh_l0
    i, f, g, o = pre[0].chunk(4)
    expected = dict(i=torch.sigmoid(i), f=torch.sigmoid(f), g=torch.tanh(g), o=torch.sigmoid(o), c=c1, h=h1)
    assert drawn == pytest.approx({k: float(v) for k, v in expected.items()}, abs=1e-12)
    assert float(cell.get("data-x")) == -1.5 and float(cell.get("data-c-prev")) == 2.0


# stop -> (view drawn, num_layers, bidirectional, sentence): what each of stops 1, 3, 4, 5 pictures
CHAIN_STOPS = {1: ("unrolled", 1, False, lesson.SHORT_TEXT), 3: ("unrolled", 1, False, lesson.LONG_TEXT),
               4: ("stacked", 2, False, lesson.SHORT_TEXT), 5: ("bidirectional", 1, True, lesson.SHORT_TEXT)}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("n", sorted(CHAIN_STOPS))
def test_chain_stops_draw_the_engine_trace_and_follow_the_step(run_app, assert_app_ok, n, lang):
    view, L, bi, text = CHAIN_STOPS[n]
    stop = lesson.STOPS[n - 1]
    at = run_app(PAGE, query={"stop": n}, lang=lang, timeout=60)
    assert_app_ok(at)
    step = at.select_slider(key=f"start_t_{stop}")
    at = step.set_value(4).run()
    assert_app_ok(at)
    root = pictures(at)[view]
    # independent of the page: the engine's trace of the same sentence and model
    trn = lesson.demo(text, num_layers=L, bidirectional=bi).trace
    drawn = svg_cells(root)
    assert drawn and {int(c.get("data-t")) for c in drawn if c.get("data-current")} == {4}
    for c in drawn:
        layer, d, s = int(c.get("data-layer")), int(c.get("data-direction")), int(c.get("data-t"))
        assert float(c.get("data-c")) == trn[layer, d].c[s, 0, 0]
        assert float(c.get("data-h")) == trn[layer, d].h[s, 0, 0]
    if n == 5:  # h_n for each direction where it really is, rows layer·D + direction
        finals = {int(f.get("data-row")): int(f.get("data-at")) for f in svg_cells(root, "chain-final")}
        assert finals == {0: trn.T - 1, 1: 0}
    text_shown = " ".join(m.value for m in at.markdown)
    assert "⟦" not in text_shown and "_{" not in re.sub(r"\$[^$]*\$", "", text_shown)


def test_time_stop_shows_the_gradient_ratios_as_its_why(run_app, assert_app_ok):
    at = run_app(PAGE, query={"stop": 3})
    assert_app_ok(at)
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    curves = {tr["meta"]: tr["y"] for tr in fig["data"]}
    assert set(curves) == {"rnn", "lstm", "lstm_bias"}
    ratio = {k: v[0] / v[-1] for k, v in curves.items()}
    assert ratio["rnn"] < 1e-4 and ratio["lstm"] < 1e-4  # both vanish with random weights
    assert ratio["lstm_bias"] > 1e3 * ratio["lstm"]  # forget gates near 1 keep it
    assert math.isfinite(ratio["lstm_bias"])
    legend, x_title = fig["layout"]["legend"], fig["layout"]["xaxis"]["title"]
    assert legend["yanchor"] == "bottom" and legend["y"] > 1 and x_title  # the legend clears the axis title


def test_first_stop_opens_on_a_picture_not_a_chart(run_app, assert_app_ok):
    at = run_app(PAGE)
    assert_app_ok(at)
    assert "unrolled" in pictures(at) and not at.get("plotly_chart")


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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_your_model_beyond_one_cell_is_the_sidebar_model(run_app, assert_app_ok, app_text, lang):
    """chain_view.render on the learner's own configuration: each of the three views draws torch's numbers
    for the sidebar's model (nn.LSTM with the same seed) on the sidebar's input."""
    from lessons.sources import random_batch

    cfg = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "seq_len": 9, "seed": 3}
    at = run_app(PAGE, query=cfg, lang=lang, timeout=60)
    assert_app_ok(at)
    torch.manual_seed(3)
    ref = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    x = random_batch(2, 9, 3, 3).data.transpose(0, 1)  # the app's seeded input, time-major
    with torch.no_grad():
        out, (h_n, _) = ref(x)
    at.selectbox(key="start_own_unit").set_value(2).run()
    at.slider(key="start_own_t").set_value(7).run()
    # through time, top layer, backward: the cells' h are torch's output[t, 0, H + unit]
    at.selectbox(key="start_own_layer").set_value(1).run()
    at.selectbox(key="start_own_dir").set_value(1).run()
    cells = svg_cells(pictures(at, last=True)["unrolled"])
    assert {int(c.get("data-t")) for c in cells if c.get("data-current")} == {7}
    for c in cells:
        assert float(c.get("data-h")) == pytest.approx(float(out[int(c.get("data-t")), 0, 4 + 2]), abs=1e-5)
    # layers: the h_n rows layer·D + direction hold torch's h_n
    at.segmented_control(key="start_own_view").set_value("layers").run()
    assert_app_ok(at)
    finals = svg_cells(pictures(at, last=True)["stacked"], "chain-final")
    assert [int(f.get("data-row")) for f in finals] == [1, 3]
    for f in finals:
        assert float(f.get("data-h")) == pytest.approx(float(h_n[int(f.get("data-row")), 0, 2]), abs=1e-5)
    # directions: output[t] = [h→_t ; h←_t]
    at.segmented_control(key="start_own_view").set_value("directions").run()
    assert_app_ok(at)
    for g in svg_cells(pictures(at, last=True)["bidirectional"], "chain-concat"):
        s = int(g.get("data-t"))
        assert float(g.get("data-h-fwd")) == pytest.approx(float(out[s, 0, 2]), abs=1e-5)
        assert float(g.get("data-h-bwd")) == pytest.approx(float(out[s, 0, 6]), abs=1e-5)
    # one direction only: the directions view says what to switch on instead of drawing nothing
    at = run_app(PAGE, query={"num_layers": 1}, lang=lang)
    at.segmented_control(key="start_own_view").set_value("directions").run()
    from ui.i18n import translate

    assert translate(lang, "chain.one_direction") in [i.value for i in at.info]
