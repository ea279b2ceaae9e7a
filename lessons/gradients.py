"""Gradient flow through time: how much of a loss at the last step reaches each earlier step.

For a loss at the last step, ``L = Σ_j h_{T-1, j}`` (the top layer's forward-direction hidden state), we
measure for every step t

* ``‖∂L/∂h_t‖`` — the total derivative w.r.t. the hidden state the next step consumed,
* ``‖∂L/∂c_t‖`` (LSTM only) — the same for the cell state,
* ``‖∂L/∂x_t‖`` — w.r.t. the input of the first layer,
* ``∏_{s=t+1}^{T-1} f_s`` (LSTM only, per unit) — the factor the additive cell path
  ``c_s = f_s ⊙ c_{s-1} + i_s ⊙ g_s`` multiplies a gradient by on its way from c_{T-1} back to c_t.

The LSTM's gradients are backpropagation through time written by hand (`lessons.bptt.backward_through_time`,
on the engine's own trace), which gives ∂L/∂h_t, ∂L/∂c_t and ∂L/∂x_t of every step; the RNN's are autograd
through `RNN.unroll`. Truncated BPTT with k steps cuts the sequence into chunks of k steps from t=0 and
detaches the state handed from one chunk to the next (the classic chunked training loop); forward values do
not change, gradients stop at the cut.
Computation runs in float64 on a copy of the model so that tiny gradients do not underflow.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lstm_core import Clamp
from lstm_core.rnn import RNN

from .bptt import hand_backward
from .layout import batch_major
from .sources import random_data

__all__ = ["GradFlow", "lstm_gradflow", "rnn_gradflow", "forget_product", "truncation_start", "chunks",
           "matched_rnn", "with_forget_bias", "seeded_input"]


@dataclass(frozen=True)
class GradFlow:
    """Gradient norms per step, numpy, shape (T, B) unless said otherwise."""

    kind: str  # "lstm" | "rnn"
    truncate: int | None
    loss: np.ndarray  # (B,) L of each sequence (the loss is their sum; sequences do not interact)
    dL_dh: np.ndarray  # (T, B) ‖∂L/∂h_t‖
    dL_dx: np.ndarray  # (T, B) ‖∂L/∂x_t‖
    dL_dc: np.ndarray | None  # (T, B) ‖∂L/∂c_t‖, LSTM only
    forget: np.ndarray | None  # (T, B, H) f_t, LSTM only
    forget_product: np.ndarray | None  # (T, B, H) ∏_{s=t+1}^{T-1} f_s, LSTM only (1 at t = T-1)

    @property
    def T(self) -> int:
        return self.dL_dh.shape[0]

    @property
    def cut(self) -> int:
        """First step that still receives gradient (0 without truncation)."""
        return truncation_start(self.T, self.truncate)


def truncation_start(T: int, truncate: int | None) -> int:
    """Start of the chunk holding the last step: with truncation, no gradient reaches steps before it."""
    if not truncate:
        return 0
    return ((T - 1) // truncate) * truncate


def chunks(T: int, truncate: int | None) -> list[tuple[int, int]]:
    """[start, stop) of each truncation chunk (one chunk without truncation)."""
    if truncate is not None and truncate < 1:
        raise ValueError("truncate must be a positive number of steps")
    k = truncate or max(T, 1)
    return [(a, min(a + k, T)) for a in range(0, T, k)]


def forget_product(f: Tensor | np.ndarray) -> np.ndarray:
    """P[t] = ∏_{s=t+1}^{T-1} f[s] along axis 0 (P[T-1] = 1): reverse cumulative product, shifted by one."""
    f = f.detach().cpu().numpy() if isinstance(f, Tensor) else np.asarray(f)
    ones = np.ones_like(f[:1])
    later = np.concatenate([f[1:], ones])  # f[t+1] at index t
    return np.flip(np.cumprod(np.flip(later, 0), axis=0), 0).copy()


def _norms(grad: Tensor) -> np.ndarray:
    return grad.detach().norm(dim=-1).cpu().numpy()  # (T, B)


def _time_major_copy(x: Tensor, dtype: torch.dtype) -> Tensor:
    if x.dim() != 3:
        raise ValueError(f"gradient flow needs a batched (T, B, input_size) input, got {x.dim()}-D")
    return x.detach().to(dtype).clone().requires_grad_(True)


def lstm_gradflow(model, x: Tensor, hx: tuple[Tensor, Tensor] | None = None, *, layer: int | None = None,
                  truncate: int | None = None, clamps: Sequence[Clamp] = (),
                  dtype: torch.dtype = torch.float64) -> GradFlow:
    """Gradient flow through our LSTM for time-major ``x`` (T, B, input_size), whatever ``batch_first`` is.

    ``layer`` (default: top) is the layer whose forward-direction h_t, c_t and f_t are measured; the loss is
    always ``Σ h_{T-1}`` of the top layer's forward direction. ``clamps`` run the what-if clamped model.
    """
    top = model.config.num_layers - 1
    layer = top if layer is None else layer
    if not 0 <= layer <= top:
        raise ValueError(f"layer must be in 0..{top}, got {layer}")
    run = hand_backward(model, x, hx, truncate=truncate, clamps=clamps, dtype=dtype)
    grads, f = run.grads[layer, 0], run.trace[layer, 0].f  # f: (T, B, H)
    return GradFlow(
        kind="lstm", truncate=truncate, loss=run.loss.cpu().numpy(), dL_dh=_norms(grads.dh),
        dL_dc=_norms(grads.dc), dL_dx=_norms(run.dx), forget=f.cpu().numpy(), forget_product=forget_product(f),
    )


def rnn_gradflow(model: RNN, x: Tensor, h0: Tensor | None = None, *, layer: int | None = None,
                 truncate: int | None = None, dtype: torch.dtype = torch.float64) -> GradFlow:
    """The same measurement through our vanilla RNN; ``x`` time-major (T, B, input_size)."""
    m = copy.deepcopy(model).to(dtype).eval()
    top = m.num_layers - 1
    layer = top if layer is None else layer
    if not 0 <= layer <= top:
        raise ValueError(f"layer must be in 0..{top}, got {layer}")
    xg = _time_major_copy(x, dtype)
    T, B = xg.shape[:2]
    h0 = xg.new_zeros(m.num_layers, B, m.hidden_size) if h0 is None else h0.detach().to(dtype)
    with torch.enable_grad():
        run = m.unroll(xg, h0, truncate=truncate)
        per_seq = run.h[top][-1].sum(dim=-1)  # (B,)
        grads = torch.autograd.grad(per_seq.sum(), run.h[layer] + [xg], allow_unused=True,
                                    materialize_grads=True)
    return GradFlow(kind="rnn", truncate=truncate, loss=per_seq.detach().cpu().numpy(),
                    dL_dh=_norms(torch.stack(grads[:T])), dL_dx=_norms(grads[-1]), dL_dc=None, forget=None,
                    forget_product=None)


def matched_rnn(config, seed: int, dtype: torch.dtype | None = None) -> RNN:
    """The vanilla RNN to compare with an LSTM of ``config``: same input and hidden size, same layer count,
    built right after ``torch.manual_seed(seed)`` (as ``cfg.build`` builds the LSTM); global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RNN(config.input_size, config.hidden_size, num_layers=config.num_layers, dtype=dtype)


def with_forget_bias(model, shift: float):
    """A copy of ``model`` whose forget-gate bias (``bias_hh`` f-slice, every layer and direction) is raised by
    ``shift`` — the classic "forget bias = 1" initialisation trick. Without biases the model has no such knob."""
    m = copy.deepcopy(model)
    if shift == 0:
        return m
    if not m.config.bias:
        raise ValueError("this model has no biases (bias=False), so there is no forget-gate bias to shift")
    H = m.config.hidden_size
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.startswith("bias_hh"):
                p[H:2 * H] += shift
    return m


def seeded_input(seq_len: int, input_size: int, seed: int, batch: int = 1,
                 dtype: torch.dtype = torch.float32) -> Tensor:
    """A reproducible standard-normal input (T, B, input_size) that does not touch the global RNG: the
    sidebar's random input (`lessons.sources.random_data`, batch-major), laid out time-major."""
    return batch_major(random_data(batch, seq_len, input_size, seed).to(dtype), batch_first=False)  # (T, B, I)
