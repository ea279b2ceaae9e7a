"""What-if page through app.py: the plotted Δ heatmaps and unit lines are the engine's clamped − plain trace,
and moving the clamp controls changes them accordingly."""


import json

import numpy as np
import pytest

from lessons.sources import random_batch
from lessons.whatif import make_clamps, what_if
from lstm_core import LSTMConfig
from tests.helpers import traces_by_meta

charts = traces_by_meta


def z(trace) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in trace["z"]], dtype=float)


def catalog(lang: str) -> dict:
    from ui.i18n import LOCALES_DIR

    return json.loads((LOCALES_DIR / lang / "whatif.json").read_text(encoding="utf-8"))


def expected(cfg, seed, B, T, values, units, steps, layer=0, direction=0):
    model = cfg.build(seed=seed)
    batch = random_batch(B, T, cfg.input_size, seed)
    return what_if(model, batch.model_input(cfg), make_clamps(values, layer, direction, units, steps))


def test_default_freezes_unit_0_and_plots_the_exact_deltas(run_app, assert_app_ok):
    at = run_app(page="whatif", query={"seq_len": 9})
    assert_app_ok(at)
    w = expected(LSTMConfig(4, 6), 0, 2, 9, {"f": 1.0, "i": 0.0}, [0], range(1, 9))
    tr = charts(at)
    assert np.allclose(z(tr["delta_c"]), w.delta("c")[:, 0].T, atol=1e-6, rtol=0)
    assert np.allclose(z(tr["delta_h"]), w.delta("h")[:, 0].T, atol=1e-6, rtol=0)
    assert np.allclose(z(tr["delta_out"]), w.output_delta[:, 0].T, atol=1e-6, rtol=0)
    c = np.array(tr["clamped_c"]["y"])
    assert np.all(c[1:] == c[0])  # f = 1, i = 0 from t = 1: the cell of unit 0 is frozen at c_0
    assert np.array_equal(np.array(tr["clamped_f"]["y"])[1:], np.ones(8))
    assert np.array_equal(np.array(tr["clamped_i"]["y"])[1:], np.zeros(8))
    assert np.all(z(tr["delta_c"])[:, 0] == 0)  # step 0 is before the clamp
    assert [m.value for m in at.metric][3] == "1"


def test_changing_the_clamp_changes_the_plotted_delta(run_app, assert_app_ok):
    at = run_app(page="whatif", query={"seq_len": 10, "hidden_size": 5})
    before = z(charts(at)["delta_c"])
    at.toggle(key="whatif_on_i").set_value(False)
    at.slider(key="whatif_value_f").set_value(0.0)
    at.multiselect(key="whatif_units").set_value([1, 3])
    at.slider(key="whatif_steps").set_value((4, 6)).run()
    assert_app_ok(at)
    w = expected(LSTMConfig(4, 5), 0, 2, 10, {"f": 0.0}, [1, 3], range(4, 7))
    after = z(charts(at)["delta_c"])
    assert not np.allclose(before, after)
    assert np.allclose(after, w.delta("c")[:, 0].T, atol=1e-6, rtol=0)
    assert np.all(after[:, :4] == 0)
    assert [m.value for m in at.metric][3] == "4"


def test_batch_element_layer_and_direction(run_app, assert_app_ok):
    at = run_app(page="whatif", query={"seq_len": 6, "num_layers": 2, "bidirectional": True, "batch_size": 3})
    assert_app_ok(at)
    at.selectbox(key="whatif_layer").set_value(1)
    at.selectbox(key="whatif_direction").set_value(1)
    at.selectbox(key="whatif_batch").set_value(2).run()
    assert_app_ok(at)
    cfg = LSTMConfig(4, 6, num_layers=2, bidirectional=True)
    w = expected(cfg, 0, 3, 6, {"f": 1.0, "i": 0.0}, [0], range(1, 6), layer=1, direction=1)
    tr = charts(at)
    assert np.allclose(z(tr["delta_h"]), w.delta("h", 1, 1)[:, 2].T, atol=1e-6, rtol=0)
    assert np.allclose(z(tr["delta_out"]), w.output_delta[:, 2].T, atol=1e-6, rtol=0)
    assert np.all(z(tr["delta_out"])[:6] == 0)  # the forward half of the output never sees it


def test_no_gate_or_no_unit_gives_a_message_not_a_chart(run_app, assert_app_ok):
    at = run_app(page="whatif")
    at.toggle(key="whatif_on_f").set_value(False)
    at.toggle(key="whatif_on_i").set_value(False).run()
    assert_app_ok(at)
    assert len(at.get("plotly_chart")) == 0 and len(at.info) >= 1
    at.toggle(key="whatif_on_o").set_value(True)
    at.multiselect(key="whatif_units").set_value([]).run()
    assert_app_ok(at)
    assert len(at.get("plotly_chart")) == 0 and len(at.warning) >= 1


def test_projection_model_runs(run_app, assert_app_ok):
    at = run_app(page="whatif", query={"proj_size": 3, "seq_len": 7})
    assert_app_ok(at)
    at.selectbox(key="whatif_unit").set_value(5).run()
    assert_app_ok(at)
    w = expected(LSTMConfig(4, 6, proj_size=3), 0, 2, 7, {"f": 1.0, "i": 0.0}, [0], range(1, 7))
    assert np.allclose(z(charts(at)["delta_h"]), w.delta("h")[:, 0].T, atol=1e-6, rtol=0)


@pytest.mark.parametrize("lang,word", [("en", "clamp a gate"), ("zh", "把一个门固定")])
def test_both_languages(run_app, assert_app_ok, app_text, lang, word):
    at = run_app(page="whatif", lang=lang)
    assert_app_ok(at)
    assert word in app_text(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_backward_clamp_reaches_the_earlier_steps_and_the_page_says_so(run_app, assert_app_ok, app_text, lang):
    """Clamping steps 3-4 of the backward direction changes its h at steps 0-4 and leaves step 5 alone
    (recomputed here); the page explains the backward direction and states those very steps."""
    at = run_app(page="whatif", lang=lang, query={"seq_len": 6, "bidirectional": True})
    at.selectbox(key="whatif_direction").set_value(1)
    at.slider(key="whatif_steps").set_value((3, 4)).run()
    assert_app_ok(at)
    w = expected(LSTMConfig(4, 6, bidirectional=True), 0, 2, 6, {"f": 1.0, "i": 0.0}, [0], range(3, 5),
                 direction=1)
    moved = np.abs(w.delta("h", 0, 1)[:, 0]).max(axis=1) > 0
    assert list(np.flatnonzero(moved)) == [0, 1, 2, 3, 4] and not moved[5]
    text = app_text(at)
    cat = catalog(lang)
    assert cat["whatif.explain_backward"][:30] in text
    assert cat["whatif.measured"].format(layer=0, direction=cat["whatif.dir1"], still="5", moved="0–4") in text
