"""Fuzz, through app.py (AppTest): tampered addresses on every page, CSV bytes and text typed into the input
panel, hostile uploads on the Learn page. After each: no exception element, the page still shows its title,
and the next action (a sidebar change, a new question, a rerun) still works.

About 180 AppTest cases per run (each 0.1-1 s on 2 cores); the parser-level bulk of the suite (~1,100 cases,
seconds) is in tests/fuzz/test_parsers.py. Together: >= 1,000 generated cases, under ~3 minutes.
"""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import APP, ROOT
from tests.fuzz.values import NASTY, nasty_text, weight_files
from ui import state
from ui.i18n import translate

PAGES = [ast.literal_eval(e)[0] for n in ast.parse(APP.read_text(encoding="utf-8")).body
         if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PAGES" for e in n.value.elts]
# Every key any page reads from the address, plus keys nobody reads
URL_KEYS = [p.key for p in state.PARAMS] + ["page", "timestep", "layer", "direction", "batch_index", "unit",
                                            "case", "quiz_seed", "stop", "utm_source", "embed", "x" * 300, "é",
                                            ""]
SMALL = {"input_size": st.integers(1, 6), "hidden_size": st.integers(1, 8), "num_layers": st.integers(1, 3),
         "batch_size": st.integers(1, 4), "seq_len": st.integers(1, 12), "proj_size": st.integers(0, 4),
         "timestep": st.integers(0, 15), "unit": st.integers(0, 10), "stop": st.integers(0, 9),
         "seed": st.integers(0, 2**31 - 1)}


def settings_for(n: int):
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def value_for(key: str):
    hostile = nasty_text if key != "page" else st.one_of(st.sampled_from(PAGES), nasty_text)
    good = SMALL.get(key)
    return st.one_of(hostile, good.map(str)) if good is not None else hostile


queries = st.lists(st.sampled_from(URL_KEYS), min_size=1, max_size=4, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: value_for(k) for k in keys}))


def alive(at, page: str) -> None:
    """No exception element, and the page's own title is on screen (in the language the session uses)."""
    assert not at.exception, [e.value for e in at.exception][:1]
    lang = at.session_state["lang"]
    assert at.title and at.title[0].value == translate(lang, f"{page}.title"), (page, lang)


def test_the_fuzzed_keys_are_every_key_the_code_reads_from_the_address():
    """A key read from ``st.query_params`` or bound by a widget (``key=..., bind="query-params"``) anywhere in
    the app is fuzzed above: a new one cannot be added unseen (``stop`` of the Start page once was)."""
    read = set()
    for path in [APP, *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").glob("*.py")]:
        code = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"query_params(?:\.get\(|\[)\"(\w+)\"", code))
        read |= set(re.findall(r"key=\"(\w+)\"[^()]*bind=\"query-params\"", code))
    assert {"quiz_seed", "case", "stop", "layer", "page"} <= read  # the scan sees them (the stepper reads by variable)
    assert read <= set(URL_KEYS), read - set(URL_KEYS)


@settings_for(100)
@given(page=st.sampled_from(PAGES), query=queries, lang=st.sampled_from(["en", "zh", None]))
def test_tampered_addresses_never_break_a_page(run_app, page, query, lang):
    query = {**query, "page": query.get("page", page)}
    shown = query["page"] if query["page"] in PAGES else PAGES[0]  # unknown page: the first, with a notice
    if "lang" in query:
        lang = None
    at = run_app(page=query.pop("page"), query=query, lang=lang, timeout=60)
    alive(at, shown)
    at.slider(key="hidden_size").set_value(3).run()  # the next action still works
    alive(at, shown)
    assert at.session_state["hidden_size"] == 3


cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.sampled_from(NASTY[:40]),
                  st.sampled_from(["1e300", "3.5e38", "-1e300", "0.5", "2"]))
csv_text = st.lists(st.lists(cells, min_size=1, max_size=3), max_size=8).map(
    lambda rows: "\n".join(",".join(r) for r in rows))


@pytest.fixture
def stepper_csv(run_app):
    at = run_app(page="stepper", query={"input_size": 2, "hidden_size": 3, "input_source": "csv"}, timeout=60)
    alive(at, "stepper")
    return at


@settings_for(30)
@given(data=st.one_of(st.binary(max_size=600), csv_text.map(str.encode),
                      csv_text.map(lambda s: s.encode("utf-16")),
                      csv_text.map(lambda s: s.encode("latin-1", "replace")),
                      st.sampled_from([b"1,2\n" + "Température".encode("latin-1"), b"\xff\xfe\x00", b"1e300,0\n"])))
def test_csv_uploads_in_the_input_panel(stepper_csv, data):
    at = stepper_csv
    at.file_uploader(key="csv_file").set_value(("numbers.csv", data, "text/csv")).run()
    alive(at, "stepper")
    at.file_uploader(key="csv_file").set_value(None).run()
    at.text_area(key="csv_text").input("0.5, -1\n2, 3").run()  # the next action: a good input is used
    alive(at, "stepper")
    assert not at.error


def test_named_csv_failures_in_the_panel(stepper_csv):
    at = stepper_csv
    cases = [("Température".encode("latin-1"), "0xe9"), (b"1e300, 0\n", "1e300"), (b"1,2\n3.5e38,0\n", "3.5e38"),
             (b"1,2\x00\n", "NUL")]
    for data, named in cases:
        at.file_uploader(key="csv_file").set_value(("bad.csv", data, "text/csv")).run()
        alive(at, "stepper")
        assert any(named in e.value for e in at.error), (named, [e.value for e in at.error])
    at.file_uploader(key="csv_file").set_value(None).run()
    at.text_area(key="csv_text").input("0.5, -1\n2, 3").run()
    alive(at, "stepper")
    assert not at.error


@settings_for(25)
@given(text=st.one_of(st.text(max_size=300), st.sampled_from(["", "🎉" * 50, "\x00\x07\x1b", "\n" * 40,
                                                               "我爱中国" * 30, "a" * 3000])))
def test_text_typed_into_the_input_panel(run_app, text):
    at = run_app(page="stepper", query={"input_size": 2, "hidden_size": 3, "input_source": "text"}, timeout=60)
    at.text_area(key="input_text").input(text).run()
    alive(at, "stepper")
    at.text_area(key="input_text").input("the movie was good").run()
    alive(at, "stepper")
    assert not at.error


def test_a_100k_character_text_keeps_the_page_alive(run_app):
    at = run_app(page="stepper", query={"input_size": 2, "hidden_size": 3, "input_source": "text"}, timeout=60)
    at.text_area(key="input_text").input("我" * 100_000).run()
    alive(at, "stepper")
    assert any("timesteps" in e.value for e in at.error)
    assert "input_text" not in at.query_params  # too long for an address


FILES = weight_files()


def test_hostile_uploads_on_the_learn_page(run_app):
    at = run_app(page="learn", timeout=60)
    alive(at, "learn")
    for name, data in FILES.items():
        at.file_uploader(key="learn_upload").set_value((name, data, "application/octet-stream")).run()
        alive(at, "learn")
        assert len(at.error) >= 1 and "learn_use_upload" not in _keys(at), name  # refused: nothing to use
    at.file_uploader(key="learn_upload").set_value(("big.pt", b"\x00" * (25 * 2**20), "x")).run()
    assert any("25.0 MB" in e.value and "20 MB" in e.value for e in at.error)
    at.file_uploader(key="learn_upload").set_value(("gru.pt", FILES["gru.pt"], "x")).run()
    assert any("torch.nn.GRU" in e.value for e in at.error)
    at.button(key="learn_train").click().run()  # the next action still works
    alive(at, "learn")


def _keys(at) -> set:
    return {getattr(w, "key", None) for w in at.button}


@settings_for(15)
@given(data=st.binary(max_size=2000), ext=st.sampled_from(["pt", "pth", "bin", "safetensors"]))
def test_random_bytes_uploaded_as_weights(run_app, data, ext):
    at = run_app(page="learn", timeout=60)
    at.file_uploader(key="learn_upload").set_value((f"w.{ext}", data, "application/octet-stream")).run()
    alive(at, "learn")
    assert at.error
