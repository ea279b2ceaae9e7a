"""Pitfalls page through app.py: all thirteen cards render, and the numbers, shapes and error messages on
them equal values computed here independently with torch.nn.LSTM (weights from torch.manual_seed(seed), the
input the app draws from its seed)."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from lessons import pitfalls
from tests.conftest import collect_text
from ui.pitfalls_view import fmt_delta

KEYS = pitfalls.PITFALLS + pitfalls.CLAIMS


def cards(at) -> dict:
    """{demo key: card Block}: the bordered containers keyed card_<key>."""
    found = {}

    def walk(node):
        proto = getattr(node, "proto", None)
        pid = getattr(proto, "id", "") if proto is not None and hasattr(proto, "id") else ""
        for key in KEYS:
            if pid.endswith(f"-card_{key}"):
                found[key] = node
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def text_of(block) -> str:
    """Everything rendered inside one card (markdown, captions, code, alerts)."""
    return collect_text(_Subtree(block))


class _Subtree:
    """Adapter: collect_text reads ``._tree``."""

    def __init__(self, node):
        self._tree = node


def torch_lstm(seed=0, **kwargs) -> nn.LSTM:
    torch.manual_seed(seed)
    return nn.LSTM(**kwargs).double().eval()


def app_input(b, t, i, seed=0):
    return torch.randn(b, t, i, generator=torch.Generator().manual_seed(seed)).double()


def error_of(fn) -> str:
    try:
        fn()
    except RuntimeError as e:
        return str(e)
    raise AssertionError("torch did not raise")


@torch.no_grad()
def test_default_config_cards_equal_torch(run_app, assert_app_ok):
    at = run_app(page="pitfalls", timeout=120)
    assert_app_ok(at)
    found = cards(at)
    assert set(found) == set(KEYS)
    text = {k: text_of(b) for k, b in found.items()}
    x = app_input(2, 5, 4)  # the app's default input: B=2, T=5, I=4, seed 0

    # 1: batch_first=True model (same weights) -> output batch-first, h_n not
    m = torch_lstm(input_size=4, hidden_size=6, batch_first=True)
    out, (h, c) = m(x)
    for s in (out.shape, h.shape, c.shape, h[0].shape, h.transpose(0, 1).shape):
        assert f"`{tuple(s)}`" in text["batch_first_state"]
    assert "batch_first=True" in text["batch_first_state"]  # the change is announced

    # 2 and claim 3: a bidirectional model (fresh weights from seed 0), time-major
    m = torch_lstm(input_size=4, hidden_size=6, bidirectional=True)
    out, (h, _) = m(x.transpose(0, 1))
    wrong = float((h[-1] - out[-1, :, 6:]).abs().max())
    assert wrong > 1e-3
    for key in ("bidir_last", "claim_bidir_last"):
        assert f"**{fmt_delta(wrong)}**" in text[key]
        assert "output[-1, :, 6:]" in text[key] and "output[0, :, 6:]" in text[key]
    assert "bidirectional=True" in text["bidir_last"]

    # 3 and claim 2: rows of h_n of a 2-layer bidirectional model
    m = torch_lstm(input_size=4, hidden_size=6, num_layers=2, bidirectional=True)
    _, (h, _) = m(x.transpose(0, 1))
    bottom = nn.LSTM(4, 6, bidirectional=True).double()
    bottom.load_state_dict({k: v for k, v in m.state_dict().items() if "_l0" in k})
    _, (h0, _) = bottom(x.transpose(0, 1))
    assert torch.equal(h[1], h0[1])  # row 1 = layer 0 backward, as the table says
    for key in ("layer_major", "claim_hn_rows"):
        assert "| `h_n[1]` | 0 | backward | 0 |" in text[key]
        assert "| `h_n[2]` | 1 | forward | 0 |" in text[key]
    bad = h.view(2, 2, 2, 6)  # direction-major reading: [direction, layer]
    worst = max(float((bad[d, lay] - h[lay * 2 + d]).abs().max()) for lay in (0, 1) for d in (0, 1))
    assert f"**{fmt_delta(worst)}**" in text["layer_major"] and f"**{fmt_delta(worst)}**" in text["claim_hn_rows"]

    # 4: padding vs packing, lengths 5 and 4
    m = torch_lstm(input_size=4, hidden_size=6)
    xp = x.clone()
    xp[1, 4:] = 0
    _, (h_pad, _) = m(xp.transpose(0, 1))
    _, (h_pack, _) = m(pack_padded_sequence(xp, [5, 4], batch_first=True, enforce_sorted=False))
    d1 = float((h_pad[:, 1] - h_pack[:, 1]).abs().max())
    assert d1 > 1e-4 and f"| 1 | 4 | {fmt_delta(d1)} |" in text["padding"]
    assert "| 0 | 5 | 0 |" in text["padding"]

    # 6: the exact message torch raises for an h0 built for batch 3
    msg = error_of(lambda: m(x.transpose(0, 1), (torch.zeros(1, 3, 6).double(), torch.zeros(1, 3, 6).double())))
    assert msg == "Expected hidden[0] size (1, 2, 6), got [1, 3, 6]"
    assert msg in [c.value for c in found["hidden_batch"].code]

    # 7 and claim 1: batch-major data into the default model; changing sample 0 moves sample 1's outputs
    assert nn.LSTM(4, 6).batch_first is False and "`False`" in text["claim_batch_first_default"]
    wrong1, _ = m(x)
    x2 = x.clone()
    x2[0] += 1
    wrong2, _ = m(x2)
    leak = fmt_delta(float((wrong1[1] - wrong2[1]).abs().max()))
    assert f"**{leak}**" in text["batch_first_missing"] and f"**{leak}**" in text["claim_batch_first_default"]

    # 8: bias counts
    assert "48 bias numbers out of 288 parameters" in text["two_bias"]
    assert sum(p.numel() for p in m.parameters()) == 288

    # 9: proj_size 3 (hidden 6): c0 as wide as h0 is refused
    mp = torch_lstm(input_size=4, hidden_size=6, proj_size=3)
    msg = error_of(lambda: mp(x.transpose(0, 1), (torch.zeros(1, 2, 3).double(), torch.zeros(1, 2, 3).double())))
    assert msg in [c.value for c in found["proj"].code]
    out, (h, c) = mp(x.transpose(0, 1))
    assert f"`{tuple(c.shape)}`" in text["proj"] and f"`{tuple(h.shape)}`" in text["proj"]

    # 10: unbatched
    out, (h, c) = m(x[0])
    assert f"`{tuple(out.shape)}`" in text["unbatched"] and f"`{tuple(h.shape)}`" in text["unbatched"]
    msg = error_of(lambda: m(x[0], (torch.zeros(1, 1, 6).double(), torch.zeros(1, 1, 6).double())))
    assert msg in [c.value for c in found["unbatched"].code]

    # 5: dropout warning text, straight from torch
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.LSTM(4, 6, dropout=0.5)
    assert str(caught[0].message) in [c.value for c in found["dropout"].code]


@torch.no_grad()
def test_rich_config_uses_its_own_weights(run_app, assert_app_ok):
    q = {"input_size": 3, "hidden_size": 6, "num_layers": 2, "bidirectional": True, "batch_first": True,
         "proj_size": 2, "batch_size": 3, "seq_len": 4, "seed": 7}
    at = run_app(page="pitfalls", query=q, timeout=120)
    assert_app_ok(at)
    found = cards(at)
    text = {k: text_of(b) for k, b in found.items()}
    for key in ("batch_first_state", "bidir_last", "layer_major", "proj"):
        assert "changed minimally" not in text[key]  # nothing to change: the current model itself
    m = torch_lstm(seed=7, input_size=3, hidden_size=6, num_layers=2, bidirectional=True, batch_first=True,
                   proj_size=2)
    x = app_input(3, 4, 3, seed=7)
    out, (h, c) = m(x)
    wrong = fmt_delta(float((h[-1] - out[:, -1, 2:]).abs().max()))
    assert f"**{wrong}**" in text["bidir_last"] and "output[:, 0, 2:]" in text["bidir_last"]
    assert f"`{tuple(c.shape)}`" in text["proj"] and "(4, 3, 6)" in text["proj"]


def test_chinese_and_trimming_notice(run_app, assert_app_ok, app_text):
    at = run_app(page="pitfalls", lang="zh", query={"batch_size": 6, "seq_len": 30}, timeout=120)
    assert_app_ok(at)
    text = app_text(at)
    assert "误区实验室" in text and "反向" in text and "教程原文" in text
    assert "前 4 条序列、前 24 个时间步" in text
    assert len(cards(at)) == len(KEYS)


def test_numbers_follow_the_state(run_app, assert_app_ok):
    """Nothing is typed in: another seed (weights and input) changes the evidence; ragged input from the
    input panel (session "input_batch") is what the padding card packs; B = num_layers·D: no batch-first h0 note."""
    from lessons.sources import InputBatch

    texts = []
    for seed in (0, 1):
        at = run_app(page="pitfalls", query={"seed": seed}, timeout=120)
        assert_app_ok(at)
        texts.append(text_of(cards(at)["bidir_last"]))
    assert texts[0] != texts[1]

    data = torch.randn(3, 6, 4, generator=torch.Generator().manual_seed(5))
    for k, n in enumerate([6, 2, 4]):
        data[k, n:] = 0
    at = run_app(page="pitfalls", session={"input_batch": InputBatch(data=data, lengths=[6, 2, 4])},
                 timeout=120)
    assert_app_ok(at)
    found = cards(at)
    padding = text_of(found["padding"])
    assert "Lengths [6, 2, 4]" in padding
    m = torch_lstm(input_size=4, hidden_size=6)
    with torch.no_grad():
        x = data.double()
        _, (h_pad, _) = m(x.transpose(0, 1))
        _, (h_pack, _) = m(pack_padded_sequence(x, [6, 2, 4], batch_first=True, enforce_sorted=False))
    assert f"| 1 | 2 | {fmt_delta(float((h_pad[:, 1] - h_pack[:, 1]).abs().max()))} |" in padding
    hidden = text_of(found["hidden_batch"])
    assert "batch-first, like the input" in hidden  # B = 3, num_layers·D = 1: the (B, num_layers·D, H) mistake is shown

    at = run_app(page="pitfalls", query={"batch_size": 2, "num_layers": 2}, timeout=120)  # B = num_layers·D = 2
    assert_app_ok(at)
    hidden = text_of(cards(at)["hidden_batch"])
    assert "batch-first, like the input" not in hidden
    assert [c.value for c in cards(at)["hidden_batch"].code] == ["Expected hidden[0] size (2, 2, 6), got [2, 3, 6]"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tutorial_erratum_is_shown_with_its_quote_torchs_live_answer_and_the_fix(run_app, assert_app_ok,
                                                                                       app_text, lang):
    from lessons import errata
    from lessons.tutorials import QUOTES
    from ui.errata_view import result_text
    from ui.tutorials import tutorial_title

    at = run_app(page="pitfalls", lang=lang)
    assert_app_ok(at)
    shown = [c.value for c in at.code]
    for e in errata.all_errata().values():
        assert e.snippet in shown and result_text(e) in shown
        assert not e.fix or e.fix in shown
        if QUOTES[e.key].code:
            assert QUOTES[e.key].text in shown
    text = app_text(at)
    for n in ("000", "001", "002", "003", "004"):
        assert tutorial_title(n, lang) in text
    assert "seed 00" not in text.lower() and "种子教程" not in text and "Tutorial 00" not in text
