"""The numbers behind the sentences (`lessons.facts.claims`), each recomputed here with torch directly."""

import numpy as np
import pytest
import torch
from torch import nn

from lessons.facts import claims
from lessons.gradients import lstm_gradflow, matched_rnn, rnn_gradflow, seeded_input
from lstm_core import LSTMConfig


@pytest.mark.parametrize(("a", "b", "want"), [(1.9e5, 1, "far_above"), (100, 1, "far_above"), (99, 1, "above"),
                                              (1.6, 1, "about_equal"), (1, 1.6, "about_equal"),
                                              (0.4, 1, "below"), (1e-9, 0.0, "far_above"), (0, 0, "about_equal")])
def test_relation_bands(a, b, want):
    assert claims.relation(a, b) == want


def test_the_untrained_lstm_keeps_more_than_the_rnn_so_almost_as_tiny_was_false():
    """The old callout said the untrained LSTM's step-0 gradient was "almost as tiny as the RNN's". Over seeds
    0-5 at (T=30, H=8) and (T=40, H=16) it is 1.6× to 10⁵× the RNN's: the wording must come from the ratio."""
    words = []
    for seed in range(6):
        for T, H in ((30, 8), (40, 16)):
            cfg = LSTMConfig(4, H)
            x = seeded_input(T, 4, seed)
            lstm, rnn = lstm_gradflow(cfg.build(seed), x), rnn_gradflow(matched_rnn(cfg, seed), x)
            q = (lstm.dL_dh[0, 0] / lstm.dL_dh[-1, 0]) / (rnn.dL_dh[0, 0] / rnn.dL_dh[-1, 0])
            assert q > 1.5
            words.append(claims.relation(q, 1.0))
    assert "far_above" in words and "below" not in words


def test_full_path_equals_autograd_through_nn_lstm():
    """The hand-unrolled layer of `gradient_paths` is torch's LSTM: with no path cut, ‖∂L/∂x₀‖ equals
    autograd through nn.LSTM with the same weights."""
    torch.manual_seed(3)
    lstm = nn.LSTM(4, 8).double()
    x = torch.randn(30, 1, 4, dtype=torch.float64, requires_grad=True)
    out, _ = lstm(x)
    (grad,) = torch.autograd.grad(out[-1].sum(), x)
    paths = claims.gradient_paths(lstm.state_dict(), x)
    assert paths.full == pytest.approx(float(grad[0].norm()), rel=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_the_cell_path_not_the_h_paths_carries_the_untrained_lstms_gradient(seed):
    """The old text said the LSTM's margin over the RNN came "thanks to the paths through h". Cut the paths
    one at a time (T=30, H=8): the cell path alone keeps orders of magnitude more than the h paths alone."""
    cfg = LSTMConfig(4, 8)
    paths = claims.gradient_paths(cfg.build(seed).state_dict(), seeded_input(30, 4, seed))
    assert paths.winner == "cell"
    assert paths.cell > 1e10 * paths.h
    assert paths.full > 1e10 * paths.h


def test_cutting_a_path_changes_the_gradient():
    """A test that could not fail would not prove the paths differ: each cut gives another number."""
    cfg = LSTMConfig(3, 5)
    paths = claims.gradient_paths(cfg.build(1).state_dict(), seeded_input(4, 3, 1))
    assert len({paths.full, paths.cell, paths.h}) == 3 and min(paths.cell, paths.h) > 0


def test_whh_at_torch_init_can_grow_one_step_but_decays_over_many():
    """"W_hh is small at initialisation, every factor shrinks the gradient" is false: at torch's init (uniform
    ±1/√H) ‖W_hh‖₂ ≈ 1.1 and the spectral radius ≈ 0.6 — one step can grow a vector, many steps shrink it."""
    norms, radii = [], []
    for seed in range(6):
        w = matched_rnn(LSTMConfig(4, 8), seed).state_dict()["weight_hh_l0"].double()
        s = claims.whh_spectrum(w)
        assert s.norm == pytest.approx(float(np.linalg.svd(w.numpy(), compute_uv=False)[0]), rel=1e-12)
        assert s.radius == pytest.approx(float(np.abs(np.linalg.eigvals(w.numpy())).max()), rel=1e-10)
        assert s.one_step_can_grow == (s.norm > 1)
        norms.append(s.norm)
        radii.append(s.radius)
        assert float(torch.linalg.matrix_norm(torch.linalg.matrix_power(w, 30), ord=2)) < 0.05  # many steps
    assert max(norms) > 1.0  # one step can stretch the gradient
    assert max(radii) < 0.8


def test_output_holds_h_only():
    """Quiz: "the states of all time steps are in output" — only h is; torch never returns c per step."""
    found = claims.output_holds_h()
    assert found.delta_h < 1e-12
    assert found.delta_c > 0.05
    assert found.features == 4 and found.c_last == (1, 1, 4)
