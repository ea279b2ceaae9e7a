"""Fuzz, parser level: every value a learner can send goes through ui/parse.py (or the lessons it calls) and
comes back as a value or a translated message — never an exception.

This module holds the bulk of the suite's generated cases (about 1,100 per run, ~20 s); the AppTest module
next to it (tests/fuzz/test_app.py) runs ~200 cases through app.py (each ~0.1-1 s), so the whole fuzz suite
stays under ~3 minutes on 2 cores while covering >= 1,000 cases.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import sources as src
from lessons.sources import InputBatch
from lstm_core import LSTMConfig, limits
from tests.fuzz.values import NASTY, nasty_text, pickled, weight_files
from ui import inputs, parse, state
from ui.state import AppConfig


def fast(n: int):
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _is_message(got: parse.Parsed) -> bool:
    return got.value is None and isinstance(got.problem, str) and got.problem and "⟦" not in got.problem


# ------------------------------------------------------------------------------------------- URL values
@fast(400)
@given(key=st.sampled_from([p.key for p in state.PARAMS]), raw=nasty_text)
def test_every_url_parameter_parses_or_explains(key, raw):
    p = state.BY_KEY[key]
    got = p.parse(raw)
    if got.ok:
        if p.widget in ("slider", "number"):
            # ASCII only: the accepted text is a plain decimal number within the widget's range
            assert raw.strip().isascii() and p.lo <= got.value <= p.hi and math.isfinite(got.value)
            assert p.parse(p.url_text(got.value)).value == got.value  # the written form reads back the same
        elif p.widget == "toggle":
            assert raw.strip().lower() in parse.TRUE_WORDS + parse.FALSE_WORDS
        elif p.widget == "choice":
            assert raw in p.choices
        else:
            assert len(raw) <= p.max_len and "\x00" not in raw
    else:
        assert _is_message(got)


@pytest.mark.parametrize("raw", ["²", "①", "١٢", "𝟘", "Ⅻ", "½"])
def test_unicode_digits_are_not_numbers(raw):
    assert raw.isdigit() or raw.isnumeric()  # what str.isdigit() would have let through
    assert not parse.int_text(raw, 0, 10**9).ok and not parse.float_text(raw, 0, 1e9).ok


@fast(150)
@given(raw=st.one_of(nasty_text, st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6)
                     .map(lambda v: ", ".join(map(str, v)))))
def test_number_lists_parse_or_explain(raw):
    got = parse.number_list_text(raw)
    if got.ok:
        assert got.value and all(math.isfinite(v) for v in got.value)
    else:
        assert _is_message(got)


# ---------------------------------------------------------------------------------------------- CSV bytes
def csv_like(draw_values):
    return st.lists(st.lists(draw_values, min_size=1, max_size=5), min_size=0, max_size=12).map(
        lambda rows: "\n".join(",".join(r) for r in rows))


cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.sampled_from(NASTY[:40]),
                  st.sampled_from(["1e300", "3.5e38", "-3.5e38", "3.4e38", "", " ", "1e-320"]))


def panel_csv(upload: bytes | None, typed: str = "", input_size: int = 2,
              hidden_size: int = 3) -> tuple[InputBatch | None, str | None]:
    """What the input panel does with a CSV (ui/inputs.py, the path the app takes): the text of the upload
    (else the typed text), the batch of that text through the panel's one builder with the limits checked, or
    the message the panel shows. Exactly one of the two is not None (None, None: nothing given yet)."""
    cfg = AppConfig(LSTMConfig(input_size=input_size, hidden_size=hidden_size), batch_size=2, seq_len=5, seed=0)
    try:
        text = inputs.csv_text(upload, typed)
        if text is None:
            return None, None
        return inputs.batch_for("csv", (text,), cfg), None
    except Exception as err:  # what input_panel catches
        return None, inputs.problem_text(err)


def _is_shown_message(text: str | None) -> bool:
    return isinstance(text, str) and bool(text.strip()) and "⟦" not in text and "Traceback" not in text


@fast(200)
@given(text=st.one_of(csv_like(cells), st.text(max_size=300)),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "gb18030", "raw"]),
       input_size=st.integers(1, 5), typed=st.booleans())
def test_csv_in_any_encoding_gives_a_batch_or_a_message(text, encoding, input_size, typed):
    if typed:  # typed into the text area
        batch, problem = panel_csv(None, text, input_size)
        if not text:
            assert batch is None and problem is None  # waiting for input
            return
    else:
        data = text.encode("utf-8", "surrogatepass") if encoding == "raw" else text.encode(encoding, "replace")
        batch, problem = panel_csv(data, "", input_size)
    if batch is not None:
        assert problem is None
        assert batch.data.shape[-1] == input_size and torch.isfinite(batch.data).all()
        assert batch.batch_size <= limits.MAX_BATCH_SIZE and batch.seq_len <= limits.MAX_SEQ_LEN
    else:
        assert _is_shown_message(problem), problem


@fast(60)
@given(data=st.binary(max_size=4000))
def test_random_bytes_as_csv(data):
    batch, problem = panel_csv(data)
    assert (batch is None) != (problem is None) and (batch is not None or _is_shown_message(problem))


def test_csv_at_and_over_the_size_cap():
    row = b"0.5,0.25\n"
    at_cap = row * (limits.MAX_UPLOAD_BYTES // len(row))
    batch, problem = panel_csv(at_cap)
    assert batch is None and "sequence has" in problem  # read, then too many rows: named, not a crash
    batch, problem = panel_csv(at_cap + b"x" * (len(row) + 1))
    assert batch is None and "20 MB" in problem  # refused before reading


def test_ragged_blocks_and_nan_rows():
    batch, _ = panel_csv(None, "1,2\n3,4\n\n5,6\n")
    assert batch.lengths == [2, 1] and batch.data.shape[-1] == 2
    batch, problem = panel_csv(None, "1,2\nnan,4\n")
    assert batch is None and "Row 2, column 1" in problem


def test_the_limits_are_checked_on_the_csv_batch():
    batch, problem = panel_csv(None, "1,2\n3,4\n", hidden_size=limits.MAX_HIDDEN_SIZE + 1)
    assert batch is None and "hidden_size" in problem and str(limits.MAX_HIDDEN_SIZE) in problem
    big = "\n".join("0.5,0.5" for _ in range(limits.MAX_SEQ_LEN + 1))
    assert "sequence has" in panel_csv(None, big)[1]


# --------------------------------------------------------------------------------------------------- text
@fast(150)
@given(text=st.one_of(st.text(max_size=500), st.sampled_from(["", "\n\n", "🎉🎉🎉", "\x00\x01\x02", "我" * 300,
                                                               "a " * 250, "\u200b\u200d", "\r\n\r\n"])),
       input_size=st.integers(1, 8))
def test_text_gives_a_batch_or_a_message(text, input_size):
    got = parse.guard(lambda: src.text_batch(text, input_size, 0))
    if got.ok:
        assert torch.isfinite(got.value.data).all() and got.value.data.shape[-1] == input_size
    else:
        assert _is_message(got)


def test_a_100k_character_text_is_refused_by_name():
    got = parse.guard(lambda: src.text_batch("我" * 100_000, 4, 0))
    assert not got.ok and "timesteps" in got.problem


# ---------------------------------------------------------------------------------------------- uploads
FILES = weight_files()


@pytest.mark.parametrize("name", sorted(FILES))
def test_hostile_and_broken_weight_files_are_refused_with_a_reason(name):
    got = parse.weights_file(FILES[name], name)
    assert _is_message(got), got
    if name.startswith(("gru", "rnn")):
        assert ("GRU" if name.startswith("gru") else "RNN") in got.problem


@fast(80)
@given(data=st.binary(max_size=3000), ext=st.sampled_from([".pt", ".pth", ".bin", ".safetensors"]))
def test_random_bytes_as_weights(data, ext):
    assert _is_message(parse.weights_file(data, "x" + ext))


@fast(40)
@given(cut=st.integers(1, 10_000))
def test_truncated_state_dicts(cut):
    data = pickled(dict(torch.nn.LSTM(3, 4).state_dict()))
    got = parse.weights_file(data[: cut % len(data)], "cut.pt")
    assert _is_message(got)


def test_over_the_size_cap_names_the_cap():
    data = b"\x00" * (25 * 2**20)
    got = parse.weights_file(data, "big.pt")
    assert not got.ok and "25.0 MB" in got.problem and "20 MB" in got.problem


@fast(40)
@given(shape=st.tuples(st.integers(0, 20), st.integers(0, 6)), key=st.sampled_from(
    ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0", "weight_ih_l1"]))
def test_wrong_shapes_in_a_real_state_dict(shape, key):
    sd = dict(torch.nn.LSTM(3, 4).state_dict())
    sd[key] = torch.zeros(shape)
    got = parse.weights_file(pickled(sd), "shape.pt")
    if got.ok:  # only when the new tensor happens to make another valid LSTM
        assert got.value.build() is not None
    else:
        assert _is_message(got)


def test_nan_weights_and_values_beyond_float32():
    sd = dict(torch.nn.LSTM(2, 3).state_dict())
    sd["bias_ih_l0"] = torch.full((12,), float("inf"), dtype=torch.float64)
    assert "NaN or infinite" in parse.weights_file(pickled(sd), "inf.pt").problem
    sd["bias_ih_l0"] = torch.full((12,), 1e300, dtype=torch.float64)  # finite in float64, inf in float32
    got = parse.weights_file(pickled(sd), "big.pt")
    assert not got.ok or bool(np.isfinite(got.value.state_dict["bias_ih_l0"].numpy()).all())
