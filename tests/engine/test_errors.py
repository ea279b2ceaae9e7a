"""Error parity: invalid arguments and inputs raise exactly what torch.nn.LSTM raises."""

from __future__ import annotations

import warnings

import pytest
import torch

from lstm_core import LSTM

BAD_CONSTRUCTOR = [
    dict(input_size=3, hidden_size=4, dropout=-0.1),
    dict(input_size=3, hidden_size=4, dropout=1.5),
    dict(input_size=3, hidden_size=4, dropout=True),
    dict(input_size=3, hidden_size=4, dropout="0.5"),
    dict(input_size=3, hidden_size=0),
    dict(input_size=3, hidden_size=-2),
    dict(input_size=3, hidden_size=2.5),
    dict(input_size=0, hidden_size=4),
    dict(input_size=1.5, hidden_size=4),
    dict(input_size=3, hidden_size=4, num_layers=0),
    dict(input_size=3, hidden_size=4, proj_size=-1),
    dict(input_size=3, hidden_size=4, proj_size=4),
    dict(input_size=3, hidden_size=4, proj_size=9),
    dict(input_size=3, hidden_size=4, bias=1),
    dict(input_size=3, hidden_size=4, batch_first=None),
]


def _raised(factory):
    try:
        factory()
    except Exception as exc:  # we compare whatever torch raises
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("kwargs", BAD_CONSTRUCTOR, ids=lambda k: ",".join(f"{a}={b!r}" for a, b in k.items()))
def test_constructor_errors_match_torch(kwargs):
    expected = _raised(lambda: torch.nn.LSTM(**kwargs))
    assert expected is not None
    assert _raised(lambda: LSTM(**kwargs)) == expected


def test_dropout_with_one_layer_warns_like_torch():
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        LSTM(3, 4, dropout=0.5)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.LSTM(3, 4, dropout=0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert [w.category for w in ours] == [w.category for w in theirs] == [UserWarning]


def _bad_inputs():
    f = torch.float32
    yield "1-D input", dict(), torch.randn(5), None
    yield "4-D input", dict(), torch.randn(2, 3, 4, 3), None
    yield "wrong feature size", dict(), torch.randn(5, 2, 7), None
    yield "wrong feature size unbatched", dict(), torch.randn(5, 7), None
    yield "h0 for another batch", dict(), torch.randn(5, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 2, 4))
    yield "c0 for another batch", dict(), torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 3, 4))
    yield "h0 2-D for batched", dict(), torch.randn(5, 2, 3), (torch.zeros(2, 4), torch.zeros(2, 4))
    yield "h0 3-D for unbatched", dict(), torch.randn(5, 3), (torch.zeros(1, 1, 4), torch.zeros(1, 1, 4))
    yield "h0 layers", dict(num_layers=2), torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))
    yield "h0 bidirectional", dict(bidirectional=True), torch.randn(5, 2, 3), (torch.zeros(1, 2, 4),) * 2
    yield "proj h0 width", dict(proj_size=2), torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))
    yield "batch_first h0 batch", dict(batch_first=True), torch.randn(2, 5, 3), (torch.zeros(1, 5, 4),) * 2
    yield "dtype mismatch", dict(), torch.randn(5, 2, 3, dtype=torch.float64), None
    yield "unbatched wrong h0", dict(), torch.randn(5, 3), (torch.zeros(2, 4, dtype=f), torch.zeros(1, 4))


@pytest.mark.parametrize("name,kwargs,x,hx", list(_bad_inputs()), ids=[c[0] for c in _bad_inputs()])
def test_input_errors_match_torch(name, kwargs, x, hx):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(3, 4, **kwargs)
    ours = LSTM.from_torch(ref)
    expected = _raised(lambda: ref(x, hx))
    assert expected is not None, name
    assert _raised(lambda: ours(x, hx)) == expected
