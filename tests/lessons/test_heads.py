"""lessons.heads against independent torch computations: torch.nn.LSTM with the same weights, run on each
sequence alone (real length only), and torch's own Linear/softmax on its outputs."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lessons import heads as H
from lessons.sources import InputBatch
from lstm_core import LSTM, LSTMConfig

CASES = [
    dict(bidirectional=False, lengths=None, batch_first=False),
    dict(bidirectional=False, lengths=[5, 2, 4], batch_first=False),
    dict(bidirectional=True, lengths=None, batch_first=True),
    dict(bidirectional=True, lengths=[3, 5, 1], batch_first=False),
]


def _setup(bidirectional, lengths, batch_first, num_layers=2):
    cfg = LSTMConfig(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    model = cfg.build(5, dtype=torch.float64).eval()
    data = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    if lengths is not None:  # zero the padding, as every real source does
        for b, n in enumerate(lengths):
            data[b, n:] = 0
    batch = InputBatch(data, lengths)
    ref = model.to_torch().eval()
    lens = lengths or [5, 5, 5]
    alone = [ref(data[b, :lens[b]].unsqueeze(1 if not batch_first else 0)) for b in range(3)]
    alone = [(o.squeeze(1 if not batch_first else 0), hc) for o, hc in alone]  # (len, D·H), ((num_layers·D,1,H),..)
    return model, batch, ref, lens, alone, H.run(model, batch)


def _linear(n_in, n_out, seed):
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out, dtype=torch.float64)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_tagging_is_a_linear_at_every_real_step(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    tag = H.tagging(r, seed=7)
    assert tag.logits.shape == (3, 5, H.TAG_CLASSES)
    lin = _linear(r.output.size(-1), H.TAG_CLASSES, 7)
    for b in range(3):
        want = lin(alone[b][0])
        assert torch.allclose(tag.logits[b, :lens[b]], want, atol=1e-10)
        assert torch.equal(tag.tags[b, :lens[b]], want.argmax(-1))
        assert (tag.tags[b, lens[b]:] == -1).all()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_last_state_right_and_wrong(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    ls = H.last_step(r, seed=7)
    Hd = 4
    for b in range(3):
        out_b, (h_b, _) = alone[b]
        fwd_final, bwd_final = out_b[-1, :Hd], out_b[0, Hd:]
        want = torch.cat((fwd_final, bwd_final)) if case["bidirectional"] else out_b[-1]
        assert torch.allclose(ls.right[b], want, atol=1e-10)
        assert torch.allclose(ls.right[b, :Hd], h_b[-2 if case["bidirectional"] else -1, 0], atol=1e-10)
        assert torch.allclose(ls.own_last[b], out_b[-1], atol=1e-10)
    # the mistake: torch's own output at the last padded position
    x = batch.model_input(model.config)
    out, _ = ref(x)
    if case["lengths"] is not None:
        out = pad_packed_sequence(out, batch_first=True, total_length=5)[0]
    elif not case["batch_first"]:
        out = out.transpose(0, 1)
    assert torch.allclose(ls.wrong, out[:, -1], atol=1e-10)
    delta = (ls.right - out[:, -1]).abs().max().item()
    assert ls.delta == pytest.approx(delta, abs=1e-12)
    equal = not case["bidirectional"] and case["lengths"] is None
    assert (ls.delta < 1e-12) == equal
    if case["bidirectional"] and case["lengths"] is None:
        assert ls.delta_forward < 1e-12 < ls.delta_backward
    lin = _linear(ls.right.size(-1), H.SEQ_CLASSES, 7)
    assert torch.allclose(ls.logits, lin(ls.right), atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_masked_pooling_equals_per_sequence_pooling(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    p = H.pooling(r)
    for b in range(3):
        out_b = alone[b][0]
        assert torch.allclose(p.mean[b], out_b.mean(0), atol=1e-10)
        assert torch.allclose(p.max[b], out_b.max(0).values, atol=1e-10)
        padded = torch.cat((out_b, torch.zeros(5 - lens[b], out_b.size(1), dtype=out_b.dtype)))
        assert torch.allclose(p.mean_plain[b], padded.mean(0), atol=1e-10)
        assert torch.allclose(p.max_plain[b], padded.max(0).values, atol=1e-10)
    assert (p.delta_mean > 1e-6) == (case["lengths"] is not None)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_attention_weights_over_real_steps(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    a = H.attention(r, seed=9)
    lin = _linear(r.output.size(-1), 1, 9)
    for b in range(3):
        out_b = alone[b][0]
        w = torch.softmax(lin(out_b).squeeze(-1), dim=0)
        assert torch.allclose(a.weights[b, :lens[b]], w, atol=1e-10)
        assert (a.weights[b, lens[b]:] == 0).all()
        assert torch.allclose(a.context[b], (w[:, None] * out_b).sum(0), atol=1e-10)
    assert torch.allclose(a.weight_sums, torch.ones(3, dtype=torch.float64), atol=1e-12)
    assert (a.delta > 1e-6) == (case["lengths"] is not None)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bidirectional_merges(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    m = H.merge(r)
    if not case["bidirectional"]:
        assert m is None
        return
    assert m.widths == {"concat": 8, "sum": 4, "max": 4}
    for b in range(3):
        out_b = alone[b][0]
        assert torch.allclose(m.sum[b, :lens[b]], out_b[:, :4] + out_b[:, 4:], atol=1e-10)
        assert torch.allclose(m.max[b, :lens[b]], torch.max(out_b[:, :4], out_b[:, 4:]), atol=1e-10)
        assert torch.allclose(m.concat[b, :lens[b]], out_b, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_encoder_decoder_hand_over_and_torch_errors(case):
    model, batch, ref, lens, alone, r = _setup(**case)
    e = H.encoder_decoder(model, r, seed=3)
    _, (h_n, c_n) = ref(batch.model_input(model.config))
    decoder = e.decoder_config.build(4, dtype=torch.float64).to_torch().eval()
    y = e.decoder_input if case["batch_first"] else e.decoder_input.transpose(0, 1)
    out, (h, c) = decoder(y, (h_n, c_n))
    assert torch.allclose(e.output, out, atol=1e-10) and torch.allclose(e.h_n, h, atol=1e-10)
    D = 2 if case["bidirectional"] else 1
    assert e.expected_h == (2 * D, 3, 4) == tuple(h_n.shape)
    assert e.errors["layers"] == f"RuntimeError: Expected hidden[0] size ({3 * D}, 3, 4), got [{2 * D}, 3, 4]"
    other = 2 * (1 if case["bidirectional"] else 2)
    assert e.errors["directions"] == f"RuntimeError: Expected hidden[0] size ({other}, 3, 4), got [{2 * D}, 3, 4]"
    # our engine rejects the same hand-over with the same words
    bad = LSTM(3, 4, num_layers=3, bidirectional=case["bidirectional"], batch_first=case["batch_first"],
               dtype=torch.float64)
    with pytest.raises(RuntimeError) as err:
        bad(y, (h_n, c_n))
    assert e.errors["layers"] == f"RuntimeError: {err.value}"


def test_chain_shapes_follow_the_layout():
    model, batch, ref, lens, alone, r = _setup(False, [5, 2, 4], False)
    assert [link.name for link in r.chain] == ["input", "output.data", "output"]
    assert r.chain[0].shape == (11, 3) and r.chain[-1].shape == (3, 5, 4)
    packed = pack_padded_sequence(batch.data, [5, 2, 4], batch_first=True, enforce_sorted=False)
    assert r.chain[1].shape == tuple(ref(packed)[0].data.shape)
