"""Stepper page through app.py: the data handed to the browser component equals the engine's trace.

The component draws every step itself (tests/browser/test_stepper.py checks what it draws); here we check
what it receives, decoded with numpy.frombuffer, against an independent `lstm_core.trace` run.
"""
from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import torch

from lessons import sources as src
from lessons import stepper as trace_export
from lstm_core import LSTMConfig, trace

SMALL = {"hidden_size": 3, "seq_len": 4, "batch_size": 2, "input_size": 2}


def component(at) -> dict:
    """The JSON the stepper component receives (exactly one on the page)."""
    found = at.get("bidi_component")
    assert len(found) == 1, found
    return json.loads(found[0].proto.json)


def view(at) -> dict:
    return component(at)["view"]


def decoded(v: dict, name: str) -> np.ndarray:
    entry = v["arrays"][name]
    return np.frombuffer(base64.b64decode(entry["b64"]), dtype="<f4").reshape(entry["shape"]).astype(float)


def got(at, name: str) -> np.ndarray:
    return decoded(view(at), name)


def expected_trace(cfg_kwargs: dict, batch, seed: int = 0):
    cfg = LSTMConfig(**cfg_kwargs)
    model = cfg.build(seed=seed, dtype=torch.float32).eval()
    return trace(model, batch.model_input(cfg)).numpy()


def random_trace(q: dict, seed: int = 0):
    batch = src.random_batch(q["batch_size"], q["seq_len"], q["input_size"], seed)
    kw = {k: v for k, v in q.items() if k not in ("batch_size", "seq_len")}
    return expected_trace(kw, batch, seed)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_component_receives_every_gate_of_the_trace(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL)
    assert_app_ok(at)
    lt = random_trace(SMALL)[0, 0]
    v = view(at)
    assert (v["T"], v["H"], v["P"], v["D"], v["layer"], v["direction"], v["b"]) == (4, 3, 3, 1, 0, 0, 0)
    assert v["order"] == [0, 1, 2, 3] and v["valid"] == [True] * 4
    for q in ("i", "f", "g", "o", "c", "c_prev", "h_full", "h", "pre", "x_proj"):
        close(decoded(v, q), getattr(lt, q)[:, 0, :])
    close(decoded(v, "x"), lt.x[:, 0, :4])
    close(decoded(v, "h_prev"), lt.h_prev[:, 0, :4])


def test_input_share_is_torch_weight_ih_times_x_plus_both_biases(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL)
    lt = random_trace(SMALL)[0, 0]
    torch.manual_seed(0)
    ref = torch.nn.LSTM(2, 3)  # the same weights as the app's model (cfg.build(seed=0))
    x = torch.tensor(lt.x[:, 0])
    with torch.no_grad():
        xin = (x @ ref.weight_ih_l0.T + ref.bias_ih_l0 + ref.bias_hh_l0).numpy()
        h_prev = torch.tensor(lt.h_prev[:, 0])
        memory = (h_prev @ ref.weight_hh_l0.T).numpy()
    v = view(at)
    np.testing.assert_allclose(decoded(v, "x_proj"), xin, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(decoded(v, "pre") - decoded(v, "x_proj"), memory, rtol=1e-4, atol=1e-5)


def test_layer_direction_and_batch_selectors_pick_the_matching_slice(run_app, assert_app_ok):
    q = {**SMALL, "num_layers": 2, "bidirectional": True}
    at = run_app(page="stepper", query=q)
    at.selectbox(key="layer").set_value(1).run()
    at.selectbox(key="direction").set_value(1).run()
    at.selectbox(key="batch_index").set_value(1).run()
    assert_app_ok(at)
    tr = random_trace(q)
    v = view(at)
    assert (v["layer"], v["direction"], v["b"], v["D"], v["last_layer"]) == (1, 1, 1, 2, True)
    assert v["order"] == [3, 2, 1, 0]  # the backward cursor starts at the end of the sequence
    close(decoded(v, "f"), tr[1, 1].f[:, 1, :])
    both = np.concatenate([decoded(v, "h_dir0"), decoded(v, "h_dir1")], axis=1)
    close(both, np.concatenate([tr[1, 0].h[:, 1, :], tr[1, 1].h[:, 1, :]], axis=1))
    close(tr.output_padded[:, 1], both)  # output[t] = [h→_t ; h←_t] is the engine's real `output`
    # and the same selection from a link (Streamlit's own query-param binding of the three widgets)
    at = run_app(page="stepper", query={**q, "layer": 1, "direction": 1, "batch_index": 1})
    assert_app_ok(at)
    assert (view(at)["layer"], view(at)["direction"], view(at)["b"]) == (1, 1, 1)


def test_projection_step_is_sent(run_app, assert_app_ok):
    q = {**SMALL, "hidden_size": 4, "proj_size": 2}
    at = run_app(page="stepper", query=q)
    assert_app_ok(at)
    lt = random_trace(q)[0, 0]
    v = view(at)
    assert v["proj"] == 2 and v["P"] == 2 and v["H"] == 4
    close(decoded(v, "h_full"), lt.h_full[:, 0])
    close(decoded(v, "h"), lt.h[:, 0])
    assert decoded(v, "h").shape == (4, 2)


def test_text_source_is_packed_and_padded_steps_are_nan(run_app, assert_app_ok, app_text):
    at = run_app(page="stepper", query={**SMALL, "input_source": "text"})
    assert_app_ok(at)
    batch = src.text_batch(src_default_text(), 2, 0)
    assert batch.lengths == [4, 5]
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    v = view(at)
    f = decoded(v, "f")
    assert np.isnan(f[4]).all() and not np.isnan(f[:4]).any()  # "我爱中国" has 4 tokens of 5
    close(f[:4], tr[0, 0].f[:4, 0, :])
    assert v["valid"] == [True] * 4 + [False] and v["length"] == 4
    assert v["labels"][:4] == ["我", "爱", "中", "国"]
    assert "padding" in component(at)["strings"]["stepper.ex.padding"]
    at.selectbox(key="batch_index").set_value(1).run()
    assert view(at)["labels"][3] == "not"
    assert "PackedSequence" in app_text(at)
    # the choice is in the URL (small parameters of the chosen source only)
    assert at.query_params["input_source"] == "text" and at.query_params["input_text"] == src_default_text()
    assert "sine_freq" not in at.query_params


def src_default_text() -> str:
    from ui.inputs import DEFAULT_TEXT

    return DEFAULT_TEXT


def test_sine_and_csv_sources_feed_the_stepper(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "input_source": "sine", "sine_freq": "1, 2", "sine_noise": "0"})
    assert_app_ok(at)
    assert at.query_params["sine_freq"] == "1, 2" and "input_text" not in at.query_params
    batch = src.sine_batch(2, 4, 2, "1, 2", "0, 1.57", "0", 0)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    np.testing.assert_allclose(got(at, "c"), tr[0, 0].c[:, 0, :], rtol=1e-5, atol=1e-6)

    text = "1,2\n3,4\n5,6\n\n7,8\n"
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": text})
    assert_app_ok(at)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, src.csv_batch(text, 2))
    np.testing.assert_allclose(got(at, "i"), tr[0, 0].i[:, 0, :], rtol=1e-6, atol=1e-7)
    at.selectbox(key="batch_index").set_value(1).run()
    assert np.isnan(got(at, "i")[1:]).all() and view(at)["valid"] == [True, False, False]


BAD_CSVS = [
    (" \n\n", "The input is empty"),
    ("1,2\n3,4,5\n", "Row 2 has 3 values; expected 2"),
    ("1,2\n3,x\n", "Row 2, column 2: 'x' is not a number"),
    ("1,nan\n", "NaN and Inf are not allowed"),
    ("1,inf\n", "NaN and Inf are not allowed"),
    ("\n".join(["1,2"] * 201), "at most 200 are allowed"),
    ("\n\n".join(["1,2"] * 17), "17 sequences given; at most 16"),
]


@pytest.mark.parametrize("bad,message", BAD_CSVS)
def test_bad_csv_shows_the_message_and_keeps_the_previous_sequence(run_app, assert_app_ok, bad, message):
    good = "1,2\n3,4\n"
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": good})
    before = view(at)["arrays"]
    at.text_area(key="csv_text").set_value(bad).run()
    assert_app_ok(at)
    errors = [e.value for e in at.error]
    assert any(message in e for e in errors), errors
    assert any("previous input sequence is still in use" in e for e in errors)
    assert view(at)["arrays"] == before  # the previous sequence stays
    assert tuple(at.session_state["input_batch"].data.shape) == (1, 2, 2)


def test_bad_csv_message_in_chinese(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL, lang="zh", session={"input_source": "csv", "csv_text": "1,2,3\n"})
    assert_app_ok(at)
    assert any("第 1 行有 3 个值；应为 2 个" in e.value for e in at.error)
    assert "遗忘门" in component(at)["strings"]["stepper.q.f"]


def test_trace_download_contents():
    cfg = LSTMConfig(input_size=2, hidden_size=3, bidirectional=True)
    batch = src.text_batch("我爱中国\n你好", 2, 0)
    tr = trace(cfg.build(seed=0), batch.model_input(cfg))
    arrays = tr.arrays()
    npz = np.load(io.BytesIO(trace_export.to_npz(arrays)))
    np.testing.assert_array_equal(npz["l0_d1_f"], arrays["l0_d1_f"])
    rows = trace_export.to_csv(arrays).splitlines()
    assert rows[0] == "array,i0,i1,i2,value"
    assert f"l0_d1_f,2,0,1,{float(arrays['l0_d1_f'][2, 0, 1])!r}" in rows
    assert "l0_d0_c,3,1,0,nan" in rows  # padding of the 2-token sentence
    assert len(rows) == 1 + sum(np.asarray(a).size for a in arrays.values())


@pytest.mark.parametrize("session,message", [
    ({"input_source": "sine", "sine_freq": "1, two"}, "'1, two' is not a list of numbers"),
    ({"input_source": "sine", "sine_noise": "-0.5"}, "noise must not be negative"),
    ({"input_source": "text", "input_text": "  \n "}, "The text has no tokens"),
])
def test_bad_sine_or_text_input_gives_a_message(run_app, assert_app_ok, session, message):
    at = run_app(page="stepper", query=SMALL, session=session)
    assert_app_ok(at)
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    np.testing.assert_allclose(got(at, "f"), random_trace(SMALL)[0, 0].f[:, 0, :], rtol=1e-6)  # previous (random) input


def test_new_input_in_the_same_session_sends_the_new_trace(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL, session={"input_source": "csv", "csv_text": "1,2\n3,4\n"})
    first = component(at)["id"]
    other = "0.5,-1\n2,0\n-3,1\n"
    at.text_area(key="csv_text").set_value(other).run()
    assert_app_ok(at)
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, src.csv_batch(other, 2))
    close(got(at, "g"), tr[0, 0].g[:, 0, :])
    assert component(at)["id"] != first


@pytest.mark.parametrize("query", [
    {"seq_len": 1, "batch_size": 1, "input_size": 1, "hidden_size": 1},
    {"seq_len": 3, "batch_size": 2, "input_size": 3, "hidden_size": 4, "num_layers": 3, "bidirectional": True,
     "proj_size": 2, "batch_first": True, "bias": False},
])
def test_edge_configurations_send_the_trace(run_app, assert_app_ok, query):
    at = run_app(page="stepper", query=query)
    assert_app_ok(at)
    last, d = query.get("num_layers", 1) - 1, 1 if query.get("bidirectional") else 0
    at.selectbox(key="layer").set_value(last).run()
    at.selectbox(key="direction").set_value(d).run()
    assert_app_ok(at)
    tr = random_trace({"num_layers": 1, **query})
    for q in ("i", "c", "h"):
        np.testing.assert_allclose(got(at, q), getattr(tr[last, d], q)[:, 0, :], rtol=1e-5, atol=1e-6)
    assert view(at)["order"][0] == (query["seq_len"] - 1 if d else 0)


def test_random_input_with_lengths_is_packed_and_bad_lengths_are_explained(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "input_lengths": "4, 2"})
    assert_app_ok(at)
    at.selectbox(key="batch_index").set_value(1).run()
    o = got(at, "o")
    batch = src.with_lengths(src.random_batch(2, 4, 2, 0), [4, 2])
    tr = expected_trace({"input_size": 2, "hidden_size": 3}, batch)
    assert np.isnan(o[2:]).all() and view(at)["valid"] == [True, True, False, False]
    close(o[:2], tr[0, 0].o[:2, 1, :])
    at = run_app(page="stepper", query={**SMALL, "input_lengths": "4, 2, 1"})
    assert_app_ok(at)
    assert any("3 lengths given for 2 sequences" in e.value for e in at.error)


def test_step_unit_and_selectors_live_in_the_url(run_app, assert_app_ok):
    at = run_app(page="stepper", query={**SMALL, "timestep": 3, "unit": 1, "batch_index": 1})
    assert_app_ok(at)
    assert component(at)["start"] == {"k": 3, "unit": 1} and view(at)["b"] == 1
    assert at.query_params["timestep"] == "3" and at.query_params["unit"] == "1"
    assert at.query_params["batch_index"] == "1" and at.query_params["direction"] == "0"  # numbers, not labels
    at.session_state["timestep"] = 2  # what the component's report does (debounced, in the browser)
    at.run()
    assert at.query_params["timestep"] == "2" and at.query_params["unit"] == "1"
    # past this configuration's end: clamped (step, unit, layer, direction, sequence)
    at = run_app(page="stepper", query={**SMALL, "timestep": 99, "unit": 7, "layer": 5, "direction": 1,
                                        "batch_index": 9})
    assert_app_ok(at)
    assert component(at)["start"] == {"k": 3, "unit": 2}
    v = view(at)
    assert (v["layer"], v["direction"], v["b"]) == (0, 0, 1)
    assert at.query_params["timestep"] == "3" and at.query_params["unit"] == "2"


@pytest.mark.parametrize("raw", ["١", "²", "①", " 1 x", "1e0"])
def test_cursor_values_that_are_not_ascii_numbers_start_at_zero(run_app, assert_app_ok, raw):
    """``int("١")`` is 1 in Python; the address's numbers are read by ui/parse.py, which takes ASCII only."""
    at = run_app(page="stepper", query={**SMALL, "timestep": raw, "unit": raw, "batch_index": raw})
    assert_app_ok(at)
    assert component(at)["start"] == {"k": 0, "unit": 0} and view(at)["b"] == 0
    assert at.query_params["timestep"] == "0" and at.query_params["batch_index"] == "0"


def test_payload_is_built_once_per_selection(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL)
    first = component(at)
    at.session_state["timestep"] = 1
    at.run()
    assert component(at) == first  # a reported step does not change (so does not re-send) the data
    at.selectbox(key="direction").set_value(0).run()
    assert component(at)["id"] == first["id"]


def test_chinese_strings_reach_the_component(run_app, assert_app_ok):
    at = run_app(page="stepper", query=SMALL, lang="zh")
    assert_app_ok(at)
    strings = component(at)["strings"]
    assert strings["stepper.q.f"] == "遗忘门 f" or "遗忘门" in strings["stepper.q.f"]
    assert "步" in strings["stepper.where"] and strings["stepper.next"] != "Next step"


def test_payload_at_the_largest_configuration_is_under_two_megabytes():
    """The biggest view: every per-step width at its limit (the batch size does not change a view)."""
    from lstm_core import limits

    cfg = LSTMConfig(input_size=limits.MAX_INPUT_SIZE, hidden_size=limits.MAX_HIDDEN_SIZE,
                     num_layers=limits.MAX_NUM_LAYERS, bidirectional=True)
    batch = src.random_batch(1, limits.MAX_SEQ_LEN, limits.MAX_INPUT_SIZE, 0)
    tr = trace(cfg.build(seed=0), batch.model_input(cfg)).numpy()
    from ui.figures.stepper import stepper_data

    data = stepper_data(tr, limits.MAX_NUM_LAYERS - 1, 1, 0, lang="zh")  # all of it: view, strings, svg, code
    size = trace_export.payload_bytes(data)
    print(f"stepper payload at the largest view: {size / 1e6:.2f} MB")
    assert size <= 2_000_000
    lt = tr[limits.MAX_NUM_LAYERS - 1, 1]
    close(decoded(data["view"], "c"), lt.c[:, 0].astype(np.float32))


# ---------------------------------------------------------------- the code view: the engine's own cell (#20)
READABLE_CELL = '''\
def cell_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None, weight_hr=None):
    """One timestep, one line per equation."""
    H = c_prev.shape[-1]
    pre = x @ weight_ih.T + h_prev @ weight_hh.T  # (B, 4H)
    if bias_ih is not None:
        pre = pre + bias_ih + bias_hh
    i = torch.sigmoid(pre[:, 0 * H:1 * H])  # (B, H)
    f = torch.sigmoid(pre[:, 1 * H:2 * H])
    g = torch.tanh(pre[:, 2 * H:3 * H])
    o = torch.sigmoid(pre[:, 3 * H:4 * H])
    c = f * c_prev + i * g
    h_full = o * torch.tanh(c)
    h: Tensor = h_full if weight_hr is None else (
        h_full @ weight_hr.T)
    return CellStep(pre, i, f, g, o, c, h_full, h)
'''


def test_quantity_lines_follow_the_assignments_of_a_readable_cell():
    got = trace_export.quantity_lines(READABLE_CELL)
    assert got == {"pre": [5], "i": [6], "f": [7], "g": [8], "o": [9], "c": [10], "h_full": [11], "h": [12, 13]}
    # tuple targets, and a quantity assigned twice is shown where it gets its final value
    src = "def step(a):\n    i, f, g, o = a.chunk(4, 1)\n    i = i.sigmoid()\n    return i\n"
    assert trace_export.quantity_lines(src) == {"i": [2], "f": [1], "g": [1], "o": [1]}
    assert trace_export.quantity_lines("def nothing():\n    return 1\n") == {}


def test_code_view_reads_a_function_from_its_file(tmp_path, monkeypatch):
    (tmp_path / "fake_cell.py").write_text("import torch\n\n\n" + READABLE_CELL, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fake_cell

    view = trace_export.code_view(fake_cell.cell_step)
    assert view["lines"] == READABLE_CELL.splitlines() and view["start"] == 4 and view["name"] == "cell_step"
    assert view["values"] == {"pre": 5, "i": 6, "f": 7, "g": 8, "o": 9, "c": 10, "h_full": 11, "h": 12}
    first = view["lines"][0]
    assert [first[s:e] for s, e, _ in view["spans"][0]] == ["def", "cell_step", "None", "None", "None"]
    assert ["kw", "def"] == [k for *_, k in view["spans"][0][:2]]
    assert view["spans"][1] == [[4, len(view["lines"][1]), "str"]]  # the docstring
    assert [k for *_, k in view["spans"][3]][-1] == "com"  # "# (B, 4H)"


def test_code_view_is_the_engines_real_cell_source(run_app, assert_app_ok):
    import inspect

    from lstm_core import cell

    at = run_app(page="stepper", query=SMALL)
    assert_app_ok(at)
    code = component(at)["code"]
    lines, start = inspect.getsourcelines(cell.cell_step)
    assert code["lines"] == [line.rstrip("\n") for line in lines] and code["start"] == start
    assert code["file"] == "lstm_core/cell.py" and code["name"] == "cell_step"
    assert code["lines_of"] and set(code["lines_of"]) <= set(trace_export.CELL_QUANTITIES)
    for q, where in code["lines_of"].items():  # every mapped line assigns that name
        statement = " ".join(code["lines"][n] for n in where)
        assert re.search(rf"(^|[\s,(]){q}\s*(,[^=]*)?(:[^=]*)?=", statement.split("==")[0]), (q, statement)
    assert len(code["spans"]) == len(code["lines"])
