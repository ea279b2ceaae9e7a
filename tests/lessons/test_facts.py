"""`lessons.facts`: each fact the Shapes, Pitfalls and Proof pages show, checked against independent
computations (our engine's trace, hand-built torch calls), plus the shared layout helpers."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lessons import facts, layout
from lstm_core import LSTMConfig, trace
from lstm_core.lstm import LSTM, param_name

TOL = 1e-9


def data(b, t, i, seed=1):
    return torch.randn(b, t, i, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def engine(cfg, seed=0):
    return cfg.build(seed=seed).double().eval()


def test_dropout_ours_and_torch():  # moved from tests/lessons/test_proof.py (proof.dropout_demo)
    x = torch.randn(2, 4, 3, generator=torch.Generator().manual_seed(1))
    fact = facts.dropout(LSTMConfig(3, 5), None, x, engine=LSTM)  # one layer: adjusted to two with dropout 0.5
    assert fact.adjusted and fact.config.num_layers == 2 and fact.config.dropout == 0.5
    assert fact.engine_train_diff > 1e-3 and fact.delta_train > 1e-3
    assert fact.engine_eval_diff == 0.0 and fact.delta_eval == 0.0
    assert fact.engine_eval_vs_torch < 1e-12
    fact = facts.dropout(LSTMConfig(3, 5, 3, dropout=0.2, bidirectional=True), None, x, lengths=[4, 2], engine=LSTM)
    assert not fact.adjusted and fact.config.dropout == 0.2 and fact.engine_train_diff > 0
    assert fact.engine_eval_diff == 0
    assert facts.dropout(LSTMConfig(3, 5), None, x).engine_train_diff is None  # torch alone without an engine


def test_batch_first_fact_against_engine():
    cfg = LSTMConfig(3, 4, num_layers=2, bidirectional=True)
    model, x = engine(cfg), data(2, 5, 3)
    fact = facts.batch_first(cfg, model.state_dict(), x)
    with torch.no_grad():
        out, (h, c) = model(x.transpose(0, 1))  # batch_first=False: (T, B, I)
    assert fact.input_shape == (5, 2, 3) and fact.output_shape == (5, 2, 8) and fact.flipped_output_shape == (2, 5, 8)
    assert fact.h_n_shape == tuple(h.shape) == (4, 2, 4) and fact.c_n_shape == tuple(c.shape)
    assert fact.h_n_t_shape == (2, 4, 4) and fact.rows == 4
    assert fact.delta_output_transposed < TOL and fact.delta_state < TOL
    assert fact.delta_last < TOL and float((h[2] - out[-1, :, :4]).abs().max()) < TOL


def test_last_step_and_layout_against_trace():
    cfg = LSTMConfig(2, 3, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)
    model, x = engine(cfg), data(3, 4, 2)
    last = facts.last_step(cfg, model.state_dict(), x)
    tr = trace(model, x)
    top_bwd = tr[1, 1]
    assert last.top == 2 and last.fwd_expr == "output[:, -1, :2]" and last.right_expr == "output[:, 0, 2:]"
    assert last.delta_fwd < TOL and last.delta_right < TOL
    assert abs(last.delta_wrong - float((top_bwd.h[0] - top_bwd.h[-1]).abs().max())) < 1e-9
    assert np.allclose(last.seq0_h_n_top, tr.h_n[2, 0].numpy(), rtol=0, atol=TOL)  # torch's values, ours
    lay = facts.hn_layout(cfg, model.state_dict(), x)
    assert [(r.layer, r.direction) for r in lay.rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert max(lay.row_deltas) < TOL and lay.delta_good < TOL and lay.delta_bad > 1e-4
    assert set(lay.wrong_pairs) == {(0, 1), (1, 0)}  # view(D, num_layers, ...) swaps the middle two rows


def test_unbatched_and_padding():
    cfg = LSTMConfig(3, 4)
    model, x = engine(cfg), data(3, 5, 3)
    fact = facts.unbatched(cfg, model.state_dict(), x, engine_model=model)
    assert fact.input_shape == (5, 3) and fact.output_shape == (5, 4) and fact.h_n_shape == (1, 4)
    assert fact.delta_vs_batched < TOL and fact.engine_agrees
    pad = facts.padding(cfg, model.state_dict(), x, [5, 2, 4])
    xp = x.clone()
    xp[1, 2:], xp[2, 4:] = 0, 0
    with torch.no_grad():
        _, (h_pack, _) = model(pack_padded_sequence(xp, [5, 2, 4], batch_first=True, enforce_sorted=False))
        _, (h_pad, _) = model(xp.transpose(0, 1))
    assert pad.batch_sizes == [3, 3, 2, 2, 1] and pad.delta_last_step < TOL and pad.delta_packed < TOL
    assert abs(pad.delta_padded - float((h_pack - h_pad).abs().max())) < 1e-9 and pad.delta_padded > 1e-6


def test_layout_helpers_and_param_name():
    x = torch.arange(24.0).view(2, 3, 4)  # (B, T, I)
    assert layout.batch_major(x, True) is x and layout.batch_major(x, False).shape == (3, 2, 4)
    assert torch.equal(layout.batch_major(layout.batch_major(x, False), False), x)
    assert layout.time_major(x, True).shape == (3, 2, 4) and layout.time_major(x, False) is x
    assert layout.state_shape(LSTMConfig(3, 5, 2, bidirectional=True, proj_size=2), 7) == ((4, 7, 2), (4, 7, 5))
    assert layout.state_shape(LSTMConfig(3, 5), 7, unbatched=True) == ((1, 5), (1, 5))
    names = list(dict(torch.nn.LSTM(3, 4, 2, bidirectional=True, proj_size=2).named_parameters()))
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
    assert names == [param_name(k, layer, d) for layer in range(2) for d in range(2) for k in kinds]


def test_torch_call_string():
    from lessons.code import torch_call

    cfg = LSTMConfig(3, 6, num_layers=2, bidirectional=True, proj_size=2)
    assert torch_call(cfg) == "nn.LSTM(input_size=3, hidden_size=6, num_layers=2, bidirectional=True, proj_size=2)"
    every = torch_call(cfg, every=True)
    assert every.startswith("nn.LSTM(input_size=3, hidden_size=6, num_layers=2, bias=True, batch_first=False")
    assert eval(every.replace("nn.LSTM", "dict")) == cfg.kwargs()  # our own string
    assert torch_call(cfg, every=True, indent=4, name="LSTM").splitlines()[:2] == ["LSTM(", "    input_size=3,"]
