"""`cell_step`, the one place the LSTM equations are written: equal to torch's cell, one line per equation.

The Stepper shows this function's real source and maps each line to a quantity by its assignment target, so
the names and the one-assignment-per-equation shape are a contract, checked here on the source itself."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
import torch

from lstm_core import CellStep, cell_step
from lstm_core.cell import input_projection

D = torch.float64


@pytest.mark.parametrize("bias", [True, False])
def test_one_step_equals_torch_lstmcell(bias):
    gen = torch.Generator().manual_seed(0)
    cell = torch.nn.LSTMCell(3, 5, bias=bias, dtype=D)
    x, h, c = (torch.randn(2, n, generator=gen, dtype=D) for n in (3, 5, 5))
    step = cell_step(x, h, c, cell.weight_ih, cell.weight_hh, *((cell.bias_ih, cell.bias_hh) if bias else ()))
    want_h, want_c = cell(x, (h, c))
    torch.testing.assert_close(step.h, want_h, rtol=0, atol=1e-14)
    torch.testing.assert_close(step.c, want_c, rtol=0, atol=1e-14)
    assert torch.equal(step.h_full, step.h)  # no projection
    # the precomputed input projection gives the very same step (what the time loop passes)
    again = cell_step(None, h, c, None, cell.weight_hh, x_proj=input_projection(
        x, cell.weight_ih, *((cell.bias_ih, cell.bias_hh) if bias else ())))
    assert all(torch.equal(a, b) for a, b in zip(step, again, strict=True))


def test_projected_step_equals_one_step_of_nn_lstm_with_proj_size():
    torch.manual_seed(1)
    ref = torch.nn.LSTM(3, 5, proj_size=2, dtype=D)
    x, h, c = torch.randn(1, 4, 3, dtype=D), torch.randn(1, 4, 2, dtype=D), torch.randn(1, 4, 5, dtype=D)
    _, (want_h, want_c) = ref(x, (h, c))
    step = cell_step(x[0], h[0], c[0], ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0,
                     ref.weight_hr_l0)
    torch.testing.assert_close(step.h, want_h[0], rtol=0, atol=1e-14)
    torch.testing.assert_close(step.c, want_c[0], rtol=0, atol=1e-14)
    assert step.h.shape == (4, 2) and step.h_full.shape == (4, 5) and step.pre.shape == (4, 20)


def test_the_source_has_one_assignment_per_equation_with_the_stepper_names():
    tree = ast.parse(textwrap.dedent(inspect.getsource(cell_step)))
    targets = [node.targets[0] for node in ast.walk(tree) if isinstance(node, ast.Assign)]
    single = [t.id for t in targets if isinstance(t, ast.Name)]
    for name in ("pre", "i", "f", "g", "o", "c", "h_full", "h"):
        assert single.count(name) == 1, name  # exactly one line computes each quantity
    assert single.index("pre") < single.index("i") < single.index("f") < single.index("g") < single.index("o") \
        < single.index("c") < single.index("h_full") < single.index("h")
    assert list(CellStep._fields) == ["pre", "i", "f", "g", "o", "c", "h_full", "h"]
    assert len(inspect.getsource(cell_step).splitlines()) <= 40  # read in one breath


def test_a_clamp_forces_gates_after_their_activation():
    gen = torch.Generator().manual_seed(2)
    w_ih, w_hh = torch.randn(8, 3, generator=gen, dtype=D), torch.randn(8, 2, generator=gen, dtype=D)
    x, h, c = torch.randn(1, 3, generator=gen, dtype=D), torch.zeros(1, 2, dtype=D), torch.ones(1, 2, dtype=D)
    step = cell_step(x, h, c, w_ih, w_hh, clamp=lambda i, f, g, o: (i, torch.ones_like(f), g, o))
    free = cell_step(x, h, c, w_ih, w_hh)
    assert torch.equal(step.pre, free.pre) and torch.equal(step.f, torch.ones(1, 2, dtype=D))
    torch.testing.assert_close(step.c, c + free.i * free.g, rtol=0, atol=1e-15)
