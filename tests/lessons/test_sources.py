"""Input sources (lessons.sources): random, sine, text embeddings, CSV parsing and its error messages."""
from __future__ import annotations

import json
import math
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence

from lessons import sources as src
from lstm_core import LSTMConfig, limits, trace

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------------------- tokenizer
def test_tokenize_chinese_by_character_english_by_word():
    assert src.tokenize("我爱中国") == ["我", "爱", "中", "国"]
    assert src.tokenize("the movie was not good") == ["the", "movie", "was", "not", "good"]
    mixed = ["我", "爱", "NLP", "!", "It's", "2024", "年", "，", "好", "。"]
    assert src.tokenize("我爱NLP! It's 2024年，好。") == mixed
    assert src.tokenize("   ") == []


def test_embedding_is_fixed_by_token_and_seed_and_stable_across_processes():
    v = src.embed_token("中", 5, seed=3)
    assert v.shape == (5,)
    np.testing.assert_array_equal(v, src.embed_token("中", 5, seed=3))
    np.testing.assert_array_equal(src.embed_token("中", 8, seed=3)[:5], v)  # growing input_size keeps a prefix
    assert not np.allclose(v, src.embed_token("中", 5, seed=4))
    assert not np.allclose(v, src.embed_token("国", 5, seed=3))
    np.testing.assert_array_equal(src.embed_token("The", 4, 0), src.embed_token("the", 4, 0))
    # Python's hash() is salted per process; ours must not be.
    code = "from lessons import sources; print(sources.embed_token('中', 5, 3).tolist())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"})
    np.testing.assert_array_equal(np.array(json.loads(out.stdout)), v)


def test_text_batch_one_sequence_per_line_ragged_lengths_and_labels():
    batch = src.text_batch("我爱中国\nthe movie was not good", input_size=3, seed=0)
    assert tuple(batch.data.shape) == (2, 5, 3)
    assert batch.lengths == [4, 5]
    assert batch.labels == ["我", "爱", "中", "国", ""]
    np.testing.assert_allclose(batch.data[1, 3].numpy(), src.embed_token("not", 3, 0), rtol=1e-6)
    np.testing.assert_allclose(batch.data[0, 1].numpy(), src.embed_token("爱", 3, 0), rtol=1e-6)
    assert torch.all(batch.data[0, 4] == 0)  # padding
    cfg = LSTMConfig(input_size=3, hidden_size=2)
    packed = batch.model_input(cfg)
    assert isinstance(packed, PackedSequence)
    tr = trace(cfg.build(seed=0), packed)
    assert torch.isnan(tr[0, 0].f[4, 0]).all() and not torch.isnan(tr[0, 0].f[4, 1]).any()


def test_text_batch_equal_lengths_is_not_packed_and_no_tokens_is_an_error():
    batch = src.text_batch("我爱\n你好", 2, 0)
    assert batch.lengths is None and tuple(batch.data.shape) == (2, 2, 2)
    with pytest.raises(src.InputError) as err:
        src.text_batch(" \n\t", 2, 0)
    assert err.value.key == "inputs.err.no_tokens"


# ------------------------------------------------------------------------------------- random, sine
def test_random_batch_is_seeded_standard_normal():
    a = src.random_batch(2, 3, 4, seed=7)
    expected = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a.data, expected, rtol=0, atol=0)
    assert a.lengths is None
    assert not torch.equal(a.data, src.random_batch(2, 3, 4, seed=8).data)


def test_sine_waves_follow_the_documented_formula():
    data = src.sine_data(2, 8, 3, freq="1, 2", phase="0.5", noise="0", seed=0)
    t = np.arange(8)
    np.testing.assert_allclose(data[0, :, 0], np.sin(2 * np.pi * 1 * t / 8 + 0.5))
    np.testing.assert_allclose(data[0, :, 1], np.sin(2 * np.pi * 2 * t / 8 + 0.5))
    np.testing.assert_allclose(data[0, :, 2], np.sin(2 * np.pi * 1 * t / 8 + 0.5))  # list cycles
    np.testing.assert_allclose(data[1, :, 0], np.sin(2 * np.pi * t / 8 + 0.5 + np.pi / 4))
    noisy = src.sine_data(1, 200, 2, freq=1, phase=0, noise=[0, 0.5], seed=1)
    clean = src.sine_data(1, 200, 2, freq=1, phase=0, noise=0, seed=1)
    np.testing.assert_allclose(noisy[..., 0], clean[..., 0])
    assert 0.4 < np.std(noisy[..., 1] - clean[..., 1]) < 0.6
    batch = src.sine_batch(2, 8, 3, "1, 2", "0.5", "0")
    np.testing.assert_allclose(batch.data.numpy(), data, rtol=1e-6, atol=1e-6)


def test_number_lists():
    assert src.parse_number_list("1, 0.5 2；3".replace("；", ";")) == [1.0, 0.5, 2.0, 3.0]
    assert src.parse_number_list("1，2") == [1.0, 2.0]
    for bad in ("", "a, 1", "nan", "1, inf"):
        with pytest.raises(src.InputError) as err:
            src.parse_number_list(bad)
        assert err.value.key == "inputs.err.bad_list"


# ---------------------------------------------------------------------------------------------- CSV
def test_csv_single_sequence_header_and_delimiters():
    data, lengths = src.parse_csv_array("a,b,c\n1,2,3\n4,5,6\n", 3)
    np.testing.assert_array_equal(data, [[[1, 2, 3], [4, 5, 6]]])
    assert lengths == [2]
    for text in ("1;2;3\n4;5;6", "1\t2\t3\n4\t5\t6\n", "1, 2, 3,\n4, 5, 6,\n", "\ufeff1,2,3\n4,5,6"):
        np.testing.assert_array_equal(src.parse_csv_array(text, 3)[0], data)


def test_csv_blocks_make_a_ragged_batch():
    data, lengths = src.parse_csv_array("1,2\n3,4\n5,6\n\n\n7,8\n\n9,10\n11,12\n", 2)
    assert lengths == [3, 1, 2]
    assert data.shape == (3, 3, 2)
    np.testing.assert_array_equal(data[1], [[7, 8], [0, 0], [0, 0]])
    batch = src.csv_batch("1,2\n3,4\n\n5,6\n", 2)
    assert batch.lengths == [2, 1]
    assert src.csv_batch("1,2\n\n3,4\n", 2).lengths is None


@pytest.mark.parametrize("text,key,params", [
    ("", "inputs.err.empty", {"input_size": 3}),
    ("\n \n\n", "inputs.err.empty", {"input_size": 3}),
    ("1,2,3\n4,5\n", "inputs.err.columns", {"row": 2, "found": 2, "input_size": 3}),
    ("1,2,3,4\n", "inputs.err.columns", {"row": 1, "found": 4, "input_size": 3}),
    ("1,2,3\n4,five,6\n", "inputs.err.not_number", {"row": 2, "col": 2, "value": "five", "input_size": 3}),
    ("1,2,3\n4,,6\n", "inputs.err.not_number", {"row": 2, "col": 2, "value": "", "input_size": 3}),
    ("1,2,NaN\n", "inputs.err.not_finite", {"row": 1, "col": 3, "value": "NaN"}),
    ("1,-inf,3\n", "inputs.err.not_finite", {"row": 1, "col": 2, "value": "-inf"}),
    ("1,1e999,3\n", "inputs.err.not_finite", {"row": 1, "col": 2, "value": "1e999"}),
])
def test_csv_errors_name_what_was_expected(text, key, params):
    with pytest.raises(src.InputError) as err:
        src.parse_csv_array(text, 3)
    assert err.value.key == key
    assert err.value.params == params
    assert str(err.value) == src.MESSAGES[key].format(**params)
    if "input_size" in params:
        assert "3" in str(err.value)


def test_csv_size_limits():
    too_long = "\n".join(["1,2"] * (limits.MAX_SEQ_LEN + 1))
    with pytest.raises(src.InputError) as err:
        src.parse_csv_array(too_long, 2)
    assert err.value.key == "inputs.err.too_long" and err.value.params["limit"] == limits.MAX_SEQ_LEN
    too_many = "\n\n".join(["1,2"] * (limits.MAX_BATCH_SIZE + 1))
    with pytest.raises(src.InputError) as err:
        src.parse_csv_array(too_many, 2)
    assert err.value.key == "inputs.err.too_many_seqs"
    with pytest.raises(src.InputError) as err:
        src.parse_csv_array("1" * (src.MAX_CSV_CHARS + 1), 1)
    assert err.value.key == "inputs.err.too_big"
    ok = "\n".join(["1,2"] * limits.MAX_SEQ_LEN)
    assert src.parse_csv_array(ok, 2)[1] == [limits.MAX_SEQ_LEN]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(0, 2**16))
def test_csv_round_trip(input_size, lengths, seed):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(len(lengths), max(lengths), input_size)) * 10
    for b, n in enumerate(lengths):
        data[b, n:] = 0
    text = src.batch_to_csv(data, lengths)
    parsed, got = src.parse_csv_array(text, input_size)
    assert got == lengths
    np.testing.assert_array_equal(parsed, data)


def test_every_error_key_is_translated_with_the_same_placeholders():
    fields = string.Formatter()
    for lang in ("en", "zh"):
        catalog = json.loads((ROOT / "assets" / "locales" / lang / "inputs.json").read_text(encoding="utf-8"))
        for key, template in src.MESSAGES.items():
            assert key in catalog, (lang, key)
            names = {f for _, f, _, _ in fields.parse(template) if f}
            assert {f for _, f, _, _ in fields.parse(catalog[key]) if f} == names, (lang, key)


def test_input_error_is_a_value_error_with_key_and_params():
    err = src.InputError("inputs.err.columns", row=1, found=2, input_size=3)
    assert isinstance(err, ValueError)
    assert "expected 3" in str(err) and not math.isnan(err.params["found"])


def test_lengths_make_a_ragged_batch_that_runs_packed():
    assert src.parse_lengths(" ", 2, 5) is None
    assert src.parse_lengths("5, 3", 2, 5) == [5, 3]
    for text, key in (("5", "inputs.err.lengths_count"), ("5,3,1", "inputs.err.lengths_count"),
                      ("0,3", "inputs.err.lengths_range"), ("6,3", "inputs.err.lengths_range"),
                      ("2.5,3", "inputs.err.lengths_range")):
        with pytest.raises(src.InputError) as err:
            src.parse_lengths(text, 2, 5)
        assert err.value.key == key
    full = src.random_batch(2, 5, 3, seed=1)
    cut = src.with_lengths(full, [5, 3])
    assert cut.lengths == [5, 3]
    torch.testing.assert_close(cut.data[1, :3], full.data[1, :3])
    assert torch.all(cut.data[1, 3:] == 0) and torch.equal(full.data, src.random_batch(2, 5, 3, seed=1).data)
    cfg = LSTMConfig(input_size=3, hidden_size=2, bidirectional=True)
    tr = trace(cfg.build(seed=0), cut.model_input(cfg))
    ref = trace(cfg.build(seed=0), full.data[1:, :3].transpose(0, 1))  # sequence 1 alone, at its real length
    torch.testing.assert_close(tr.h_n[:, 1], ref.h_n[:, 0])


# ------------------------------------------------------------------------ bad bytes, out-of-range values
@pytest.mark.parametrize("text,value", [("1e300, 0\n", "1e300"), ("0, -3.5e38\n", "-3.5e38"),
                                        ("1, 2\n3.41e38, 0\n", "3.41e38")])
def test_values_beyond_float32_are_named(text, value):
    """float32 tops out at 3.4028e38: larger numbers would become inf inside the model."""
    with pytest.raises(src.InputError) as err:
        src.csv_batch(text, 2)
    assert err.value.key == "inputs.err.out_of_range" and err.value.params["value"] == value
    assert src.csv_batch("3.4e38, -3.4e38\n", 2).data.isfinite().all()  # the largest float32s are fine


@pytest.mark.parametrize("data,byte,position", [("1,2\nTempérature".encode("latin-1"), "e9", 8),
                                                (b"\xff\xd8\xff\xe0 jpeg", "ff", 0)])
def test_non_utf8_bytes_name_the_first_bad_byte(data, byte, position):
    with pytest.raises(src.InputError) as err:
        src.decode_csv_bytes(data)
    assert err.value.key == "inputs.err.encoding" and err.value.params == {"byte": byte, "position": position}
    assert "not UTF-8" in str(err.value)


def test_utf8_bom_and_utf16_decode_nul_does_not():
    assert src.decode_csv_bytes("\ufeff1,2\n".encode()) == "1,2\n"
    assert src.decode_csv_bytes("1,2\n".encode("utf-16")) == "1,2\n"
    with pytest.raises(src.InputError) as err:
        src.decode_csv_bytes(b"1,2\x00\n")
    assert err.value.key == "inputs.err.binary" and err.value.params == {"position": 3}
    with pytest.raises(src.InputError):
        src.csv_batch("1,\x002\n", 2)  # typed text with NUL: csv would raise its own error


def test_huge_sine_noise_is_refused_not_inf():
    with pytest.raises(src.InputError) as err:
        src.sine_batch(2, 4, 2, 1.0, 0.0, 1e300, 0)
    assert err.value.key == "inputs.err.sine_range"


def test_every_input_error_key_has_an_english_template_and_catalog_entries():
    en = json.loads((ROOT / "assets/locales/en/inputs.json").read_text(encoding="utf-8"))
    zh = json.loads((ROOT / "assets/locales/zh/inputs.json").read_text(encoding="utf-8"))
    assert set(src.MESSAGES) <= set(en) and set(src.MESSAGES) <= set(zh)
    assert str(src.InputError("inputs.err.no_such_key")) == "inputs.err.no_such_key"  # never a KeyError
