"""Module-level facts: names, init, state_dict both ways, dropout, shapes(), limits."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_core import LSTM, LimitError, LSTMConfig, limits, shapes, trace

from .strategies import configs

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(configs(), st.integers(0, 1000))
def test_same_seed_same_weights_names_and_order_as_torch(cfg, seed):
    ours = cfg.build(seed)
    torch.manual_seed(seed)
    ref = torch.nn.LSTM(**cfg.kwargs())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for (name, a), b in zip(ours.named_parameters(), ref.parameters(), strict=False):
        assert a.shape == b.shape and torch.equal(a, b), name


def test_init_is_uniform_within_one_over_sqrt_hidden():
    model = LSTM(8, 25)
    values = torch.cat([p.flatten() for p in model.parameters()])
    assert values.abs().max() <= 0.2 and values.abs().max() > 0.19  # bound 1/sqrt(25)


@SETTINGS
@given(configs())
def test_state_dict_round_trip_both_ways(cfg):
    torch.manual_seed(7)
    ref = torch.nn.LSTM(**cfg.kwargs())
    ours = LSTM(**cfg.kwargs())
    ours.load_state_dict(ref.state_dict())  # torch -> ours, strict
    back = torch.nn.LSTM(**cfg.kwargs())
    back.load_state_dict(ours.state_dict())  # ours -> torch, strict
    x = torch.randn(3, 2, cfg.input_size)
    x = x.transpose(0, 1) if cfg.batch_first else x
    assert torch.allclose(ours(x)[0], ref(x)[0], atol=1e-6)
    assert torch.equal(back(x)[0], ref(x)[0])
    assert torch.equal(LSTM.from_torch(ref)(x)[0], ours(x)[0])
    assert ours.to_torch().state_dict().keys() == ref.state_dict().keys()


def test_from_torch_keeps_dtype_and_mode():
    ref = torch.nn.LSTM(3, 4, num_layers=2, dropout=0.3, dtype=torch.float64).eval()
    ours = LSTM.from_torch(ref)
    assert ours.weight_ih_l0.dtype == torch.float64 and not ours.training and ours.dropout == 0.3


def test_dropout_eval_is_deterministic_and_training_masks_only_between_layers():
    p = 0.5
    model = LSTMConfig(3, 8, num_layers=3, dropout=p).build(0)
    x = torch.randn(6, 4, 3)
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])
    model.train()
    torch.manual_seed(1)
    a = trace(model, x)
    torch.manual_seed(2)
    b = trace(model, x)
    assert not torch.equal(a.output, b.output)  # training: random masks
    assert torch.equal(a[0, 0].x, b[0, 0].x) and torch.equal(a[0, 0].h, b[0, 0].h)  # raw input never dropped
    for layer in (1, 2):  # layer input = previous output * {0, 1/(1-p)}
        ratio = a[layer, 0].x / a[layer - 1, 0].h
        kept = ratio != 0
        assert kept.any() and (~kept).any()
        assert torch.allclose(ratio[kept], torch.full_like(ratio[kept], 1 / (1 - p)))
    assert torch.equal(a.output, a[2, 0].h)  # the last layer's output is not dropped


def test_dropout_with_one_layer_does_nothing_even_in_training():
    with pytest.warns(UserWarning):
        model = LSTM(3, 5, dropout=0.9)
    x = torch.randn(4, 2, 3)
    assert torch.equal(model.train()(x)[0], model.eval()(x)[0])


@SETTINGS
@given(configs(), st.sampled_from(["batched", "unbatched", "packed"]), st.integers(1, 4), st.integers(1, 6),
       st.data())
def test_shapes_equal_real_tensors(cfg, form, batch, steps, data):
    lengths = data.draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
    rep = shapes(cfg, batch_size=batch, seq_len=steps, form=form, lengths=lengths)
    model = cfg.build(0)
    if form == "unbatched":
        x = torch.randn(steps, cfg.input_size)
        ld = (cfg.num_layers * cfg.num_directions,)
    else:
        x = torch.randn(batch, steps, cfg.input_size)
        if form == "packed":
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        elif not cfg.batch_first:
            x = x.transpose(0, 1)
        ld = (cfg.num_layers * cfg.num_directions, batch)
    h0, c0 = torch.zeros(*ld, cfg.h_out), torch.zeros(*ld, cfg.hidden_size)
    out, (h_n, c_n) = model(x, (h0, c0))
    real = {"input": getattr(x, "data", x), "h_0": h0, "c_0": c0, "output": getattr(out, "data", out),
            "h_n": h_n, "c_n": c_n}
    for name, tensor in real.items():
        assert rep.tensors[name].shape == tuple(tensor.shape), name
        assert len(rep.tensors[name].symbolic.split(",")) == tensor.dim()
    state = model.state_dict()
    assert [p.name for p in rep.params] == list(state)
    assert [p.shape for p in rep.params] == [tuple(v.shape) for v in state.values()]
    assert rep.total_params == sum(v.numel() for v in state.values())


def test_shape_symbols_explain_the_dimensions():
    rep = shapes(LSTMConfig(4, 6, num_layers=2, bidirectional=True, batch_first=True), 2, 5)
    assert rep.tensors["output"].shape == (2, 5, 12)
    assert [d.role for d in rep.tensors["output"].dims] == ["batch", "seq_len", "directions_x_h_out"]
    assert rep.tensors["output"].dims[2].symbol == "2·hidden_size"
    assert rep.tensors["h_n"].symbolic == "(num_layers·2, batch, hidden_size)"  # batch_first never applies
    proj = shapes(LSTMConfig(4, 6, proj_size=3, bidirectional=True), 2, 5)
    assert proj.tensors["h_n"].shape == (2, 2, 3) and proj.tensors["c_n"].shape == (2, 2, 6)
    assert shapes(LSTMConfig(4, 6), 2, 5).total_params == shapes(LSTMConfig(4, 6), 2, 500).total_params


def test_limits_name_the_limit():
    with pytest.raises(LimitError, match="hidden_size"):
        limits.check_limits(LSTMConfig(4, limits.MAX_HIDDEN_SIZE + 1))
    with pytest.raises(LimitError, match="seq_len"):
        limits.check_limits(LSTMConfig(4, 6), 1, limits.MAX_SEQ_LEN + 1)
    limits.check_limits(LSTMConfig(limits.MAX_INPUT_SIZE, limits.MAX_HIDDEN_SIZE), 1, 1)
    big = LSTMConfig(limits.MAX_INPUT_SIZE, limits.MAX_HIDDEN_SIZE, limits.MAX_NUM_LAYERS, bidirectional=True)
    with pytest.raises(LimitError, match="traced values"):
        limits.check_limits(big, limits.MAX_BATCH_SIZE, limits.MAX_SEQ_LEN)


def test_config_validate_raises_torchs_error():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        LSTMConfig(4, 6, proj_size=6).validate()
    LSTMConfig(4, 6, proj_size=5).validate()
