"""The numbers behind sentences the pages say about gradients and outputs — each computed, so the sentence on
screen is chosen by the numbers (torch only, no UI).

==========================  =================================================================  ================
function                    what it computes                                                   shown on
==========================  =================================================================  ================
`relation`                  how one gradient ratio compares with another (far above … below)   Gradient flow
`gradient_paths`            ‖∂L/∂x₀‖ through all paths, the cell path alone, the h paths alone  Gradient flow
`whh_spectrum`              ‖W_hh‖₂ and the spectral radius of an RNN's W_hh at torch's init    Gradient flow
`output_holds_h`            `output` equals h at every step; c is nowhere in it                 Quiz
==========================  =================================================================  ================
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

RELATIONS = ("far_above", "above", "about_equal", "below")
FAR = 100.0  # "far above": at least this many times larger
NEAR = 2.0  # "about equal": within this factor either way


def relation(a: float, b: float) -> str:
    """How ``a`` compares with ``b`` (both ≥ 0), as one of `RELATIONS`: ``far_above`` (≥ 100×), ``above``
    (≥ 2×), ``about_equal`` (within 2× either way), ``below`` (under half). A zero ``b`` with a positive ``a``
    is ``far_above``; two zeros are ``about_equal``."""
    if b <= 0:
        return "far_above" if a > 0 else "about_equal"
    q = a / b
    if q >= FAR:
        return "far_above"
    if q >= NEAR:
        return "above"
    return "about_equal" if q > 1 / NEAR else "below"


@dataclass(frozen=True)
class GradientPaths:
    """‖∂L/∂x₀‖ for L = Σ h_{T-1} of one LSTM layer (forward direction), through every path (``full``), with
    h_{t-1} cut out of the gates so only the cell path c_{t-1} → c_t links the steps (``cell``), and with
    c_{t-1} cut out of the cell update so only the paths through h_{t-1} and the gates remain (``h``)."""

    T: int
    full: float
    cell: float
    h: float

    @property
    def winner(self) -> str:
        """Which path carries the gradient back to step 0: ``cell`` or ``h``."""
        return "cell" if self.cell >= self.h else "h"


def _layer0(state_dict: dict) -> dict[str, Tensor]:
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0")
    return {n: state_dict[n].detach().to(torch.float64) for n in names if n in state_dict}


def _unroll(w: dict[str, Tensor], x: Tensor, cut: str | None) -> Tensor:
    """h_{T-1} of one LSTM layer on x (T, B, I), gate order i, f, g, o as torch; ``cut`` = "h" detaches
    h_{t-1} where it enters the gates, "c" detaches c_{t-1} in the cell update."""
    H = w["weight_hh_l0"].shape[0] // 4  # c has hidden_size features, h has H_out = weight_hh's columns
    B = x.shape[1]
    h = x.new_zeros(B, w["weight_hh_l0"].shape[1])
    c = x.new_zeros(B, H)
    for t in range(x.shape[0]):
        h_in = h.detach() if cut == "h" else h
        pre = x[t] @ w["weight_ih_l0"].T + h_in @ w["weight_hh_l0"].T
        if "bias_ih_l0" in w:
            pre = pre + w["bias_ih_l0"] + w["bias_hh_l0"]
        i, f, g, o = pre.chunk(4, dim=1)
        c_in = c.detach() if cut == "c" else c
        c = torch.sigmoid(f) * c_in + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        if "weight_hr_l0" in w:
            h = h @ w["weight_hr_l0"].T
    return h


def gradient_paths(state_dict: dict, x: Tensor) -> GradientPaths:
    """The three ‖∂L/∂x₀‖ of `GradientPaths` for layer 0 of an LSTM with these weights (torch's names) on
    ``x`` (T, B, input_size), in float64."""
    w = _layer0(state_dict)
    norms = {}
    for name, cut in (("full", None), ("cell", "h"), ("h", "c")):
        xg = x.detach().to(torch.float64).clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(_unroll(w, xg, cut).sum(), xg)
        norms[name] = float(grad[0].norm())
    return GradientPaths(int(x.shape[0]), norms["full"], norms["cell"], norms["h"])


@dataclass(frozen=True)
class Spectrum:
    norm: float  # ‖W_hh‖₂, the largest singular value: the most one step can stretch a vector
    radius: float  # the spectral radius, max |eigenvalue|: the per-step rate of ‖W_hhᵏ‖ for large k
    hidden_size: int

    @property
    def one_step_can_grow(self) -> bool:
        return self.norm > 1.0


def whh_spectrum(weight_hh: Tensor) -> Spectrum:
    """‖W_hh‖₂ and the spectral radius of one recurrent matrix (H, H)."""
    w = weight_hh.detach().to(torch.float64)
    return Spectrum(float(torch.linalg.matrix_norm(w, ord=2)), float(torch.linalg.eigvals(w).abs().max()),
                    int(w.shape[0]))


@dataclass(frozen=True)
class OutputContents:
    """What ``output`` of a one-layer ``nn.LSTM`` holds, step by step, against the h and c of each step
    (run one step at a time through the same module)."""

    delta_h: float  # max |output[t] − h_t| over all steps
    delta_c: float  # max |output[t] − c_t|: c is not in output
    features: int  # output's last axis: D·H_out
    c_last: tuple  # c_n's shape: the only c torch returns


def output_holds_h(input_size: int = 3, hidden_size: int = 4, T: int = 5, seed: int = 0) -> OutputContents:
    """Run ``nn.LSTM`` once over T steps and once step by step; compare ``output`` with each step's h and c."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lstm = torch.nn.LSTM(input_size, hidden_size).double()
        x = torch.randn(T, 1, input_size, dtype=torch.float64)
    with torch.no_grad():
        output, (_, c_n) = lstm(x)
        state = None
        hs, cs = [], []
        for t in range(T):
            _, state = lstm(x[t : t + 1], state)
            hs.append(state[0][0])
            cs.append(state[1][0])
    return OutputContents(float((output - torch.stack(hs)).abs().max()),
                          float((output - torch.stack(cs)).abs().max()), int(output.shape[-1]),
                          tuple(c_n.shape))
