"""Hostile values shared by the fuzz tests: what a tampering learner, a broken link or a wrong file sends."""

from __future__ import annotations

import io
import pickle
import zipfile

import torch
from hypothesis import strategies as st

# Strings that pass some checks and fail others: digits that are not ASCII (² ① ١٢ 𝟘), numbers out of every
# range, float specials, control characters, right-to-left marks, markup, very long values.
NASTY = [
    "", " ", "-1", "0", "-0", "+3", "007", "1.5", "1e3", "1e309", "-1e309", "nan", "NaN", "inf", "-inf",
    "99999999999999999999999", "2147483648", "0x10", "1_000", "true", "false", "maybe", "²", "①", "١٢", "𝟘",
    "Ⅻ", "½", "🎉", "我", "\u202e12", "\x00", "\x1b[31m", "\t\n", "%00", "%25", "1,2", "1;2", "a" * 5000,
    "9" * 400, "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "T1000", "i512_h512",
]
nasty_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.text(min_size=200, max_size=2000))


def pickled(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class _Boom:
    """A pickle that would run code when loaded (it must never be)."""

    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle code ran')",))


def _raw_pickle(obj) -> bytes:
    return pickle.dumps(obj, protocol=2)


def _zip_with(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _lstm_sd(**kw) -> dict:
    torch.manual_seed(0)
    return dict(torch.nn.LSTM(**kw).state_dict())


def weight_files() -> dict[str, bytes]:
    """Named hostile or broken uploads (all must be refused with a message; none may run code)."""
    good = _lstm_sd(input_size=3, hidden_size=4)
    nan = {**good, "weight_hh_l0": torch.full_like(good["weight_hh_l0"], float("nan"))}
    wrong = {**good, "weight_ih_l0": torch.zeros(5, 3)}
    good_bytes = pickled(good)
    return {
        "boom_raw.pt": _raw_pickle(_Boom()),
        "boom_zip.pt": _zip_with("archive/data.pkl", _raw_pickle(_Boom())),
        "module.pt": pickled(torch.nn.Linear(2, 2)),
        "truncated.pt": good_bytes[: len(good_bytes) // 2],
        "garbage.pt": bytes(range(256)) * 8,
        "empty.pt": b"",
        "nan.pt": pickled(nan),
        "wrong_shape.pt": pickled(wrong),
        "gru.pt": pickled(dict(torch.nn.GRU(3, 4).state_dict())),
        "rnn.pt": pickled(dict(torch.nn.RNN(3, 4).state_dict())),
        "linear.pt": pickled(dict(torch.nn.Linear(3, 4).state_dict())),
        "conv.pt": pickled(dict(torch.nn.Conv1d(3, 4, 2).state_dict())),
        "ints.pt": pickled({k: v.to(torch.int64) for k, v in good.items()}),
        "list.pt": pickled([1, 2, 3]),
        "tensor.pt": pickled(torch.zeros(3)),
        "huge_lstm.pt": pickled(_lstm_sd(input_size=2, hidden_size=80)),
        "fake.safetensors": b"\x10\x00\x00\x00\x00\x00\x00\x00{}garbage",
        "notes.txt": b"hello",
    }
