r"""One LSTM timestep — the only place the LSTM equations are written (`cell_step`).

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
Shapes for a batch of B: x (B, in), h (B, H_out), c and every gate (B, H); H_out = proj_size or hidden_size.
The time loop (`lstm_core.recurrence`) calls `cell_step` once per layer, direction and step; autograd
differentiates it, so it runs on every device and dtype torch has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor

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


def input_projection(x: Tensor, weight_ih: Tensor, bias_ih: Tensor | None = None,
                     bias_hh: Tensor | None = None) -> Tensor:
    """W_ih x + b_ih + b_hh: the share of the pre-activations that does not depend on h. x (..., in) -> (..., 4H);
    the time loop computes it for every step at once, one matrix product instead of T."""
    x_proj = x @ weight_ih.T
    if bias_ih is not None:
        x_proj = x_proj + (bias_ih + bias_hh)  # the two (4H,) biases added first: one pass over x_proj
    return x_proj


def cell_step(
    x: Tensor | None,
    h_prev: Tensor,
    c_prev: Tensor,
    weight_ih: Tensor | None,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
    *,
    x_proj: Tensor | None = None,
    clamp: Callable | None = None,
) -> CellStep:
    """One timestep of one layer and direction: x (B, in), h_prev (B, H_out), c_prev (B, H).

    ``x_proj``: W_ih x + b_ih + b_hh already computed (`input_projection`); then x and weight_ih are not read.
    ``clamp``: What-if, a function ``(i, f, g, o) -> (i, f, g, o)`` that forces chosen gate values.
    """
    if x_proj is None:
        x_proj = input_projection(x, weight_ih, bias_ih, bias_hh)  # (B, 4H)
    pre = x_proj + h_prev @ weight_hh.T  # (B, 4H)  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    pre_i, pre_f, pre_g, pre_o = pre.chunk(4, dim=-1)  # (B, H) each
    i = torch.sigmoid(pre_i)  # (B, H)  input gate
    f = torch.sigmoid(pre_f)  # (B, H)  forget gate
    g = torch.tanh(pre_g)  # (B, H)  candidate
    o = torch.sigmoid(pre_o)  # (B, H)  output gate
    if clamp is not None:
        i, f, g, o = clamp(i, f, g, o)  # What-if: chosen gates forced to chosen values
    c = f * c_prev + i * g  # (B, H)  new cell state
    h_full = o * torch.tanh(c)  # (B, H)
    h = h_full if weight_hr is None else h_full @ weight_hr.T  # (B, H_out)  projected when proj_size > 0
    return CellStep(pre, i, f, g, o, c, h_full, h)
