"""The four tutorial errata: every shape, value and message recomputed here with torch directly."""

import re

import pytest
import torch
from torch import nn

from lessons import errata


def test_seed000_shapes_are_time_major():
    e = errata.seed000_shapes()
    out, (h, c) = nn.LSTM(100, 16, num_layers=2)(torch.rand(10, 24, 100))
    assert e.actual == {"output": tuple(out.shape), "h": tuple(h.shape), "c": tuple(c.shape)}
    assert e.actual != e.claimed and e.claimed["output"] == (24, 10, 16)


def test_seed003_h0_raises_torchs_message():
    e = errata.seed003_h0()
    with pytest.raises(RuntimeError) as info:
        nn.LSTM(256, 512, batch_first=True)(torch.randn(4, 10, 256), (torch.zeros(2, 4, 512),) * 2)
    assert e.error == f"RuntimeError: {info.value}"
    assert re.search(r"Expected hidden\[0\] size \(1, 4, 512\), got \[2, 4, 512\]", e.error)


def test_seed004_pack_long_raises():
    e = errata.seed004_pack_long()
    padded = nn.utils.rnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])],
                                       batch_first=True)
    packed = nn.utils.rnn.pack_padded_sequence(padded.unsqueeze(-1), [3, 2, 1], batch_first=True,
                                               enforce_sorted=False)
    with pytest.raises(RuntimeError) as info:
        nn.LSTM(1, 3, batch_first=True)(packed)
    assert e.error == f"RuntimeError: {info.value}" and "Long" in e.error
    assert e.claimed["dtype"] == "torch.int64" and e.actual["h_n"] == (1, 3, 3)


def test_seed004_unsqueeze_raises_at_item_for_a_longer_sentence():
    """The tutorial's predict_sentiment: unsqueeze(1) for a batch_first model gives one prediction per token,
    and its own `.item()` raises for any sentence longer than one token."""
    from lessons.errata_shapes import LSTMSentiment

    e = errata.seed004_unsqueeze()
    torch.manual_seed(0)
    model = LSTMSentiment(50, 8, 6, 1, 2, True, 0.5, 1).eval()
    with torch.no_grad(), pytest.raises(RuntimeError) as info:
        torch.sigmoid(model(torch.tensor([5, 9, 2, 7]).unsqueeze(1))).item()
    assert e.error == f"RuntimeError: {info.value}" and "4 elements" in e.error
    assert e.claimed["prediction"] == (4, 1)
    with torch.no_grad():  # one token: (1, 1) is both layouts, so the tutorial's call runs
        assert e.actual["one_token"] == pytest.approx(torch.sigmoid(model(torch.tensor([[5]]))).item(), abs=1e-4)
        assert e.actual["right"] == pytest.approx(torch.sigmoid(model(torch.tensor([[5, 9, 2, 7]]))).item(), abs=1e-4)
    assert e.claimed["input"] == (4, 1) and e.claimed["h_n"] == (1, 4, 3)
    assert e.actual["input"] == (1, 4) and e.actual["h_n"] == (1, 1, 3)
    # independent: the right layout equals running the 4 steps one by one through the same weights
    torch.manual_seed(0)
    emb = nn.Embedding(20, 4)
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 3, batch_first=True)
    x = emb(torch.tensor([5, 9, 2, 7]))  # (4, 4)
    h = c = torch.zeros(1, 1, 3)
    with torch.no_grad():
        for t in range(4):
            _, (h, c) = lstm(x[t].view(1, 1, 4), (h, c))
    assert e.actual["h_last"] == pytest.approx(h.view(-1).tolist(), abs=1e-4)
    assert e.actual["delta"] > 1e-3  # the wrong layout's last "sentence" read token 7 alone


def test_all_keys():
    assert tuple(errata.all_errata()) == errata.KEYS
