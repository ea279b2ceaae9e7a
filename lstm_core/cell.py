r"""One LSTM timestep: the equations, the gate order, and `cell_step` — one step of the compiled loop.

.. math::
    \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t) \qquad (\text{then } h_t = W_{hr} h_t \text{ when proj\_size} > 0)
    \end{array}

Weights are stacked as in torch: ``weight_ih = [W_ii | W_if | W_ig | W_io]`` (4H, in), gate order i, f, g, o.
The equations are computed in one place, `native/lstm.cpp` (forward and backward through time); `cell_step`
runs it for a single step.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor

from . import native

GATES = ("i", "f", "g", "o")


class CellStep(NamedTuple):
    """Everything one step computes. Shapes for a batch of B: pre (B, 4H); i f g o c h_full (B, H); h (B, H_out)."""

    pre: Tensor  # pre-activations, gate order i, f, g, o
    i: Tensor  # input gate
    f: Tensor  # forget gate
    g: Tensor  # candidate (cell input)
    o: Tensor  # output gate
    c: Tensor  # new cell state
    h_full: Tensor  # o * tanh(c), before any projection
    h: Tensor  # new hidden state (projected when weight_hr is given)


def param_name(kind: str, layer: int, direction: int = 0) -> str:
    """torch's parameter name: ``param_name("weight_ih", 1, 1) == "weight_ih_l1_reverse"`` (kind: weight_ih,
    weight_hh, bias_ih, bias_hh, weight_hr)."""
    return f"{kind}_l{layer}" + ("_reverse" if direction else "")


def cell_step(
    x: Tensor,
    h_prev: Tensor,
    c_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
) -> CellStep:
    """One timestep of one layer and direction: x (B, in), h_prev (B, H_out), c_prev (B, H)."""
    run = native.layer(x.unsqueeze(0), weight_ih, bias_ih, bias_hh, h_prev, c_prev, weight_hh, weight_hr,
                       native.Spec(reverse=False))
    i, f, g, o = run.gates[0].chunk(4, 1)
    return CellStep(run.pre[0], i, f, g, o, run.c[0], run.m[0], run.h[0])
