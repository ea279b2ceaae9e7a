r"""Backpropagation through time written by hand: the backward pass of the Gradient flow page, step by step.

The model, the input and the loss are those of `lessons.gradients`: ``L = Σ_j h_{T-1, j}``, the last hidden
state of the top layer's forward direction. That layer and direction are the only ones whose states the
loss reaches without passing through another layer, so the recursion below gives the *full* ∂L/∂(·) for
them, whatever the number of layers or directions. Both passes are the engine's own: its forward run and its
hand-written backward through time (`lstm_core/native/lstm.cpp`, which autograd only calls; see
`lessons.gradients.engine_backward`); this module lays their per-step numbers out for the page.
Column-vector notation, ``⊙`` elementwise, ``a_t`` the pre-activations (gate order i, f, g, o):

.. math::
    δh_t &= 𝟙[t = T-1]\,\mathbf 1 + W_{hh}^\top δa_{t+1}                       \\
    δ\tilde h_t &= W_{hr}^\top δh_t \quad(\text{only with proj\_size}; \text{else } δ\tilde h_t = δh_t) \\
    δo_t &= δ\tilde h_t ⊙ \tanh c_t                                              \\
    δc_t &= δ\tilde h_t ⊙ o_t ⊙ (1 - \tanh^2 c_t) + δc_{t+1} ⊙ f_{t+1}          \\
    δf_t &= δc_t ⊙ c_{t-1}, \quad δi_t = δc_t ⊙ g_t, \quad δg_t = δc_t ⊙ i_t    \\
    δa_t &= [δi_t ⊙ i_t(1-i_t);\ δf_t ⊙ f_t(1-f_t);\ δg_t ⊙ (1-g_t^2);\ δo_t ⊙ o_t(1-o_t)]

δo, δf, δi, δg are derivatives with respect to the gate *values*; δa with respect to their pre-activations
(zero where a what-if clamp forces a gate to a constant). Read backwards, the cell line is the one the page
highlights: ``δc_{t-1} = δc_t ⊙ f_t + δ\tilde h_{t-1} ⊙ o_{t-1} ⊙ (1 - \tanh^2 c_{t-1})`` — its first term has no
weight matrix and no squashing derivative, only the forget gate.

The plain tanh RNN (`lstm_core.RNN`, top layer) has a single line: ``δh_{t-1} = W_{hh}^\top (δh_t ⊙ (1 - h_t^2))``.

Truncated BPTT with k steps (as in `lessons.gradients`): at a chunk start t (t > 0, t % k == 0) nothing is
carried back to t-1, neither through h nor through c. Results are numpy float64 arrays, time-major (T, B, ·).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lstm_core.cell import param_name
from lstm_core.rnn import RNN
from lstm_core.trace import Clamp

from .gradients import engine_backward

__all__ = ["LSTMBackward", "RNNBackward", "lstm_backward", "rnn_backward", "LSTM_QUANTITIES",
           "unit_table", "plug_in", "rnn_plug_in"]

# the per-unit quantities the page shows, in its table's column order
LSTM_QUANTITIES = ("dh", "do", "dc", "df", "di", "dg", "carry")


@dataclass(frozen=True)
class LSTMBackward:
    """Forward values and hand-computed gradients of the top layer's forward direction, (T, B, ·) numpy."""

    truncate: int | None
    layer: int
    # forward (from the engine's trace)
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray  # c_t
    c_prev: np.ndarray  # c_{t-1} (c_0's predecessor is the initial state)
    h: np.ndarray  # h_t (B, H_out)
    # backward
    dh: np.ndarray  # ∂L/∂h_t (T, B, H_out), total
    dh_full: np.ndarray  # ∂L/∂(o_t ⊙ tanh c_t) (= dh without projection)
    do: np.ndarray  # ∂L/∂o_t
    dc: np.ndarray  # ∂L/∂c_t, total
    df: np.ndarray  # ∂L/∂f_t
    di: np.ndarray  # ∂L/∂i_t
    dg: np.ndarray  # ∂L/∂g_t
    da: np.ndarray  # ∂L/∂a_t (T, B, 4H) pre-activations, gate order i, f, g, o
    carry: np.ndarray  # δc_t ⊙ f_t: the part of δc_{t-1} that the cell path hands back (before any cut)
    dh0: np.ndarray  # ∂L/∂h_{-1} (B, H_out): the initial hidden state of this layer and direction
    dc0: np.ndarray  # ∂L/∂c_{-1} (B, H)

    @property
    def T(self) -> int:
        return self.dh.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.dc.shape[-1]

    def cut_before(self, t: int) -> bool:
        """True when truncation stops the gradient between t-1 and t."""
        return bool(self.truncate) and t > 0 and t % self.truncate == 0


@dataclass(frozen=True)
class RNNBackward:
    """The plain RNN's top layer: h_t and ∂L/∂h_t, ∂L/∂a_t (a_t its pre-activation), (T, B, H) numpy."""

    truncate: int | None
    h: np.ndarray
    dh: np.ndarray  # ∂L/∂h_t, total
    da: np.ndarray  # δh_t ⊙ (1 - h_t²)
    dh0: np.ndarray  # (B, H) ∂L/∂h_{-1}

    @property
    def T(self) -> int:
        return self.dh.shape[0]


def _np(x: Tensor) -> np.ndarray:
    return x.detach().cpu().numpy().copy()


def lstm_backward(model, x: Tensor, hx: tuple[Tensor, Tensor] | None = None, *, truncate: int | None = None,
                  clamps: Sequence[Clamp] = (), dtype: torch.dtype = torch.float64) -> LSTMBackward:
    """The engine's hand-written BPTT of ``L = Σ h_{T-1}`` (top layer, forward direction) for time-major ``x``
    (T, B, I), laid out per step: a float64 copy of ``model`` in eval mode, with the what-if ``clamps``, as
    `lessons.gradients.lstm_gradflow` runs it.
    """
    bw = engine_backward(model, x, hx, truncate=truncate, clamps=clamps, dtype=dtype)
    cfg = model.config
    top = cfg.num_layers - 1
    run, grads = bw.runs[top, 0], bw.grads[top, 0]
    i, f, g, o = run.gates.chunk(4, dim=-1)
    di, df, dg, do = grads.d_gates.chunk(4, dim=-1)
    w_hr = getattr(model, param_name("weight_hr", top), None)  # (H_out, H) or None
    with torch.no_grad():
        dh_full = grads.dh if w_hr is None else grads.dh @ w_hr.to(dtype)  # W_hrᵀ δh_t (row vectors: δh W_hr)
        carry = grads.dc * f  # what the cell path hands back to step t-1, before any cut
    return LSTMBackward(truncate=truncate, layer=top, i=_np(i), f=_np(f), g=_np(g), o=_np(o), c=_np(run.c),
                        c_prev=_np(run.c_prev), h=_np(run.h), dh=_np(grads.dh), dh_full=_np(dh_full), do=_np(do),
                        dc=_np(grads.dc), df=_np(df), di=_np(di), dg=_np(dg), da=_np(grads.d_pre),
                        carry=_np(carry), dh0=_np(bw.dh0[top * cfg.num_directions]),
                        dc0=_np(bw.dc0[top * cfg.num_directions]))


def rnn_backward(model: RNN, x: Tensor, h0: Tensor | None = None, *, truncate: int | None = None,
                 dtype: torch.dtype = torch.float64) -> RNNBackward:
    """Hand-written BPTT of ``L = Σ h_{T-1}`` (top layer) through our vanilla RNN; ``x`` time-major."""
    if truncate is not None and truncate < 1:
        raise ValueError("truncate must be a positive number of steps")
    m = copy.deepcopy(model).to(dtype).eval()
    x = x.detach().to(dtype)
    top = m.num_layers - 1
    with torch.no_grad():
        B = x.size(1)
        h0 = x.new_zeros(m.num_layers, B, m.hidden_size) if h0 is None else h0.detach().to(dtype)
        run = m.unroll(x, h0)
        h = torch.stack(run.h[top])  # (T, B, H)
        pre = torch.stack(run.pre[top])
        w_hh = m.layer_params(top)[1]
        T = h.size(0)
        slope = 1 - h ** 2 if m.nonlinearity == "tanh" else (pre > 0).to(dtype)
        dh, da = [None] * T, [None] * T
        dh_next = torch.zeros_like(h[0])
        for t in range(T - 1, -1, -1):
            dh[t] = dh_next + (1.0 if t == T - 1 else 0.0)
            da[t] = dh[t] * slope[t]
            dh_next = da[t] @ w_hh  # W_hhᵀ (δh_t ⊙ (1 - h_t²))
            if truncate and t > 0 and t % truncate == 0:
                dh_next = torch.zeros_like(dh_next)
    return RNNBackward(truncate=truncate, h=_np(h), dh=_np(torch.stack(dh)), da=_np(torch.stack(da)),
                       dh0=_np(dh_next))


def unit_table(bw: LSTMBackward, t: int, b: int = 0) -> dict[str, np.ndarray]:
    """The per-unit vectors the page shows at step t: {quantity: (H,)} in `LSTM_QUANTITIES` order.

    Without projection every vector has H entries; with proj_size, δh_t (H_out entries) is replaced by
    δh̃_t = W_hrᵀ δh_t, the gradient of o_t ⊙ tanh(c_t), which has one entry per unit.
    """
    if not 0 <= t < bw.T:
        raise ValueError(f"step must be in 0..{bw.T - 1}, got {t}")
    dh = bw.dh_full if bw.dh.shape[-1] != bw.hidden_size else bw.dh
    cols = {"dh": dh, "do": bw.do, "dc": bw.dc, "df": bw.df, "di": bw.di, "dg": bw.dg, "carry": bw.carry}
    return {name: cols[name][t, b].copy() for name in LSTM_QUANTITIES}


def plug_in(bw: LSTMBackward, t: int, j: int, b: int = 0) -> dict[str, float]:
    """The numbers of the highlighted cell line for unit ``j`` at step t, read backwards:

    ``δc_{t-1,j} = δc_{t,j} · f_{t,j} + δh̃_{t-1,j} · o_{t-1,j} · (1 - tanh² c_{t-1,j})`` (t ≥ 1), plus the
    pieces of δc_t itself. ``cut`` is 1.0 when truncation stops the carry at t (then δc_{t-1} gets no carry).
    """
    if not 0 <= t < bw.T or not 0 <= j < bw.hidden_size:
        raise ValueError(f"step must be in 0..{bw.T - 1} and unit in 0..{bw.hidden_size - 1}")
    tanh_c = np.tanh(bw.c[t, b, j])
    out = {"dc": float(bw.dc[t, b, j]), "f": float(bw.f[t, b, j]), "carry": float(bw.carry[t, b, j]),
           "dh": float(bw.dh_full[t, b, j]), "o": float(bw.o[t, b, j]), "tanh_c": float(tanh_c),
           "local": float(bw.dh_full[t, b, j] * bw.o[t, b, j] * (1 - tanh_c ** 2)),
           "dc_next_carry": float(bw.carry[t + 1, b, j]) if t + 1 < bw.T else 0.0,
           "cut": float(bw.cut_before(t))}
    if t >= 1:
        tc = np.tanh(bw.c[t - 1, b, j])
        out |= {"prev_dh": float(bw.dh_full[t - 1, b, j]), "prev_o": float(bw.o[t - 1, b, j]),
                "prev_tanh_c": float(tc),
                "prev_local": float(bw.dh_full[t - 1, b, j] * bw.o[t - 1, b, j] * (1 - tc ** 2)),
                "prev_dc": float(bw.dc[t - 1, b, j])}
    return out


def rnn_plug_in(bw: RNNBackward, t: int, b: int = 0) -> dict[str, float]:
    """Norms of the RNN's line at step t: ‖δh_t‖, ‖δh_t ⊙ (1 - h_t²)‖ and ‖δh_{t-1}‖ (‖∂L/∂h_{-1}‖ at t = 0)."""
    prev = bw.dh[t - 1, b] if t >= 1 else bw.dh0[b]
    return {"dh": float(np.linalg.norm(bw.dh[t, b])), "da": float(np.linalg.norm(bw.da[t, b])),
            "prev_dh": float(np.linalg.norm(prev)), "slope": float(np.mean(1 - bw.h[t, b] ** 2))}
