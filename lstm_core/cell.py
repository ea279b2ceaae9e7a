r"""One LSTM timestep — the only place in the project where the LSTM equations are written.

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
"""

from __future__ import annotations

from collections.abc import Mapping
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


def input_projection(x: Tensor, weight_ih: Tensor, bias_ih: Tensor | None, bias_hh: Tensor | None) -> Tensor:
    """The part of the pre-activations that does not depend on h: ``W_ih x + b_ih + b_hh`` (any leading dims).

    Computing it for all timesteps at once (one matmul) is the main speed win over a per-step Linear.
    """
    xp = torch.matmul(x, weight_ih.t())  # (..., 4H)
    if bias_ih is not None:
        xp = xp + (bias_ih + bias_hh)
    return xp


def cell_step(
    x: Tensor | None,
    h_prev: Tensor,
    c_prev: Tensor,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
    *,
    x_proj: Tensor | None = None,
    clamp: Mapping[str, tuple[Tensor, float]] | None = None,
) -> CellStep:
    """One timestep of one layer and direction.

    x (B, in), h_prev (B, H_out), c_prev (B, H). ``x_proj`` may carry a precomputed
    `input_projection` of x (then x is not used). ``clamp`` maps a gate name to (mask (B, H) or (H,) bool,
    value): where the mask is true the gate is forced to value after its activation — the what-if tool.
    """
    if x_proj is None:
        x_proj = input_projection(x, weight_ih, bias_ih, bias_hh)  # (B, 4H)
    pre = torch.addmm(x_proj, h_prev, weight_hh.t())  # (B, 4H) = W_ih x + b_ih + W_hh h + b_hh
    i, f, _, o = torch.sigmoid(pre).chunk(4, 1)  # one kernel for the three sigmoid gates (and a view each)
    g = torch.tanh(pre.chunk(4, 1)[2])
    if clamp:
        forced = {name: torch.where(mask, torch.as_tensor(value, dtype=pre.dtype), gate)
                  for name, gate in zip(GATES, (i, f, g, o), strict=False) if name in clamp
                  for mask, value in [clamp[name]]}
        i, f, g, o = (forced.get(name, gate) for name, gate in zip(GATES, (i, f, g, o), strict=False))
    c = torch.addcmul(f * c_prev, i, g)  # (B, H) f ⊙ c_{t-1} + i ⊙ g
    h_full = o * torch.tanh(c)  # (B, H)
    h = h_full if weight_hr is None else torch.mm(h_full, weight_hr.t())  # (B, H_out)
    return CellStep(pre, i, f, g, o, c, h_full, h)
