"""Clamping a gate changes exactly what it should, and nothing before it."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.whatif import make_clamps, what_if
from lstm_core import Clamp, LSTMConfig, trace


def _setup(seed=0, T=12, B=2, **cfg):
    config = LSTMConfig(**({"input_size": 3, "hidden_size": 5} | cfg))
    model = config.build(seed=seed, dtype=torch.float64)
    x = torch.randn(T, B, config.input_size, generator=torch.Generator().manual_seed(seed + 1),
                    dtype=torch.float64)
    return model, x


@settings(max_examples=15, deadline=None)
@given(gate=st.sampled_from("ifgo"), value=st.floats(0, 1), units=st.sets(st.integers(0, 4), min_size=1),
       t0=st.integers(0, 9), span=st.integers(1, 3), seed=st.integers(0, 500))
def test_clamped_gate_equals_value_exactly_and_earlier_steps_are_untouched(gate, value, units, t0, span, seed):
    model, x = _setup(seed)
    steps = list(range(t0, min(t0 + span, 12)))
    units = sorted(units)
    w = what_if(model, x, make_clamps({gate: value}, units=units, steps=steps))
    base, cl = w.base[0, 0], w.clamped[0, 0]
    got = getattr(cl, gate)
    assert np.all(got[np.ix_(steps, range(2), units)] == value)  # exactly the value there
    for name in ("i", "f", "g", "o", "c", "h", "pre"):  # before the first clamped step: bit-for-bit equal
        assert np.array_equal(getattr(cl, name)[:t0], getattr(base, name)[:t0]), name
    assert np.array_equal(w.output_delta[:t0], np.zeros_like(w.output_delta[:t0]))
    # at the first clamped step, the other units' gates and every pre-activation are unchanged (same h_{t-1})
    others = [u for u in range(5) if u not in units]
    assert np.array_equal(cl.pre[t0], base.pre[t0])
    for name in "ifgo":
        assert np.array_equal(getattr(cl, name)[t0][:, others], getattr(base, name)[t0][:, others])
        if name != gate:
            assert np.array_equal(getattr(cl, name)[t0], getattr(base, name)[t0])


def test_f1_i0_freezes_the_cell_exactly():
    model, x = _setup(3, T=15)
    units, steps = [1, 3], [4, 5, 6, 7, 8]
    w = what_if(model, x, make_clamps({"f": 1.0, "i": 0.0}, units=units, steps=steps))
    c = w.clamped[0, 0].c
    for t in steps:
        assert np.array_equal(c[t][:, units], c[t - 1][:, units])  # c_t == c_{t-1}, bit for bit
    assert np.array_equal(c[8][:, units], c[3][:, units])  # held across the whole window
    other = [0, 2, 4]
    assert not np.array_equal(c[8][:, other], c[3][:, other])  # the other units kept moving
    assert np.abs(w.delta("c")[9:]).max() > 1e-3  # and the run differs afterwards
    assert w.first_changed_step() == 4


def test_f0_i0_erases_and_o0_silences():
    model, x = _setup(4)
    w = what_if(model, x, make_clamps({"f": 0.0, "i": 0.0}, units=[2], steps=[6]))
    assert np.all(w.clamped[0, 0].c[6][:, 2] == 0.0)
    w = what_if(model, x, make_clamps({"o": 0.0}, units=[0, 1], steps=None))
    assert np.all(w.clamped[0, 0].h[:, :, :2] == 0.0)
    assert np.array_equal(w.clamped[0, 0].c[0], w.base[0, 0].c[0])  # o does not touch c at its own step


def test_clamp_in_the_upper_layer_leaves_the_lower_layer_alone():
    model, x = _setup(5, num_layers=2)
    w = what_if(model, x, [Clamp("f", 1.0, layer=1, units=[0])])
    for name in ("i", "f", "g", "o", "c", "h"):
        assert np.array_equal(getattr(w.clamped[0, 0], name), getattr(w.base[0, 0], name))
    assert np.all(w.clamped[1, 0].f[:, :, 0] == 1.0)
    assert np.abs(w.delta("h", layer=1)).max() > 0


def test_backward_direction_is_clamped_in_its_own_visiting_order():
    model, x = _setup(6, bidirectional=True)
    w = what_if(model, x, [Clamp("i", 0.0, direction=1, units=[0, 1, 2, 3, 4], steps=[7])])
    fwd_delta, bwd_delta = w.delta("h", direction=0), w.delta("h", direction=1)
    assert np.array_equal(fwd_delta, np.zeros_like(fwd_delta))  # the forward direction never sees it
    assert np.array_equal(bwd_delta[8:], np.zeros_like(bwd_delta[8:]))  # visited before step 7
    assert np.abs(bwd_delta[:8]).max() > 0
    H = 5
    assert np.array_equal(w.output_delta[..., :H], np.zeros_like(w.output_delta[..., :H]))


def test_what_if_base_is_the_plain_trace_and_delta_is_the_difference():
    model, x = _setup(7)
    clamps = make_clamps({"f": 1.0}, units=[0], steps=[2, 3])
    w = what_if(model, x, clamps)
    plain = trace(model, x).numpy()
    clamped = trace(model, x, clamps=clamps).numpy()
    assert np.array_equal(w.base[0, 0].c, plain[0, 0].c)
    assert np.array_equal(w.delta("c"), clamped[0, 0].c - plain[0, 0].c)
    assert np.array_equal(w.output_delta, clamped.output_padded - plain.output_padded)


def test_no_effective_clamp_changes_nothing():
    model, x = _setup(8)
    w = what_if(model, x, [])
    assert w.first_changed_step() is None


@pytest.mark.parametrize("clamp", [Clamp("f", 1.0, layer=1), Clamp("f", 1.0, direction=1),
                                   Clamp("f", 1.0, units=[5])])
def test_impossible_clamps_are_refused(clamp):
    model, x = _setup(9)
    with pytest.raises(ValueError):
        what_if(model, x, [clamp])


def test_make_clamps_one_per_gate():
    cl = make_clamps({"f": 1, "i": 0}, layer=1, direction=0, units=[2], steps=range(3))
    assert cl == [Clamp("f", 1.0, 1, 0, (2,), (0, 1, 2)), Clamp("i", 0.0, 1, 0, (2,), (0, 1, 2))]


def test_spread_forward_stays_still_before_the_clamp_backward_after_it():
    """The forward direction meets a clamp at its first step, the backward direction at its last: clamping
    steps 3-4 changes forward h at 3.. and backward h at ..4 (the old text said "before nothing changes" for
    both)."""
    from lessons.whatif import spread

    model = LSTMConfig(3, 4, bidirectional=True).build(seed=0, dtype=torch.float64)
    x = torch.randn(8, 1, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for direction, still, moved in ((0, (0, 1, 2), (3, 4, 5, 6, 7)), (1, (5, 6, 7), (0, 1, 2, 3, 4))):
        w = what_if(model, x, make_clamps({"f": 1.0, "i": 0.0}, direction=direction, units=[0], steps=[3, 4]))
        s = spread(w, 0, direction)
        assert (s.still, s.moved) == (still, moved)
        dh = (w.clamped[0, direction].h - w.base[0, direction].h)[:, 0]  # independent of spread()
        assert all(np.abs(dh[t]).max() == 0 for t in still) and all(np.abs(dh[t]).max() > 0 for t in moved)
