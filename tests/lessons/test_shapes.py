"""Shapes page lesson (`lessons.shapes`): predictions vs real torch tensors, and the correspondence checks."""

import json

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.facts import packed_lengths, padding
from lessons.shapes import Check, correspondences, real_shapes
from lstm_core import LSTMConfig, shapes
from tests.conftest import ROOT


@st.composite
def setups(draw):
    hidden = draw(st.integers(1, 6))
    cfg = LSTMConfig(input_size=draw(st.integers(1, 5)), hidden_size=hidden, num_layers=draw(st.integers(1, 3)),
                     bias=draw(st.booleans()), batch_first=draw(st.booleans()),
                     bidirectional=draw(st.booleans()), proj_size=draw(st.integers(0, hidden - 1)))
    return cfg, draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.sampled_from(["batched", "unbatched",
                                                                                       "packed"]))


@settings(max_examples=30, deadline=None)
@given(setups())
def test_predicted_shapes_equal_real_tensors(setup):
    cfg, batch_size, seq_len, form = setup
    lengths = packed_lengths(batch_size, seq_len) if form == "packed" else None
    rep = shapes(cfg, batch_size=batch_size, seq_len=seq_len, form=form, lengths=lengths)
    model = cfg.build(seed=0)
    data = torch.randn(batch_size, seq_len, cfg.input_size)
    actual = real_shapes(model, rep, data, lengths)
    assert actual == {name: ts.shape for name, ts in rep.tensors.items()}


@settings(max_examples=20, deadline=None)
@given(setups())
def test_correspondences_hold(setup):
    cfg, batch_size, seq_len, _ = setup
    model = cfg.build(seed=1)
    data = torch.randn(batch_size, seq_len, cfg.input_size)
    checks = correspondences(cfg, model.state_dict(), data).checks
    assert all(c.ok for c in checks), [(c.claim, c.diff) for c in checks if not c.ok]
    lens = packed_lengths(batch_size, seq_len)
    facts = padding(cfg, model.state_dict(), data, lens)
    assert facts.delta_last_step == 0.0
    assert facts.batch_sizes == [sum(n > t for n in lens) for t in range(seq_len)]


def test_checks_can_fail():
    assert not Check("a == b", diff=0.5).ok  # a claimed equality that does not hold is red
    assert not Check("a == b", diff=0.0, expect_equal=False).ok  # a "mistake" that happens to agree is red
    cfg = LSTMConfig(input_size=3, hidden_size=4, bidirectional=True)
    found = correspondences(cfg, cfg.build(seed=0).state_dict(), torch.randn(2, 5, 3))
    wrong = [c for c in found.checks if not c.expect_equal]
    assert len(wrong) == 1 and wrong[0].diff > 1e-3 and wrong[0].ok  # output[-1, :, H:] is not backward h_n


def catalog(lang: str) -> dict:
    """Every key of a language's catalogs, read as the JSON files they are (no streamlit in lesson tests)."""
    return {k: v for path in (ROOT / "assets" / "locales" / lang).glob("*.json")
            for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def test_every_role_and_parameter_kind_is_translated():
    roles, kinds = set(), set()
    for cfg in (LSTMConfig(3, 4), LSTMConfig(3, 4, 2, bidirectional=True, proj_size=2)):
        for form in ("batched", "unbatched", "packed"):
            rep = shapes(cfg, 2, 3, form=form, lengths=[3, 1] if form == "packed" else None)
            roles |= {d.role for ts in [*rep.tensors.values(), *rep.params] for d in ts.dims}
            kinds |= {p.name.split("_l")[0] for p in rep.params}
    assert {"packed_rows", "layer_input", "proj_size", "gates_x_hidden"} <= roles
    assert kinds == {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"}
    for lang in ("en", "zh"):
        assert all(f"shapes.role.{r}" in catalog(lang) for r in roles)
        assert all(f"shapes.param.{k}" in catalog(lang) for k in kinds)
