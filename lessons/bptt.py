r"""Backpropagation through time written by hand, in plain torch: the backward pass of the Gradient flow page.

`layer_backward` walks one layer and direction back from its last step to its first, turning the gradients
that arrive from step t+1 (and from the layer above) into those of step t — the equations below, one line
each, next to the engine's forward lines (`lstm_core.cell.cell_step`). `backward_through_time` runs it for
every layer, top first: a layer's ∂L/∂x_t is the ∂L/∂h_t its input came from. The forward values are the
engine's own trace (`lstm_core.trace`); no autograd is involved, and the tests check every number against
autograd on the same model. Row-vector notation (as the code: ``x @ W.T``), ``⊙`` elementwise, ``a_t`` the
pre-activations (gate order i, f, g, o):

.. math::
    δh_t &= \text{(from the layer above or the loss)} + δa_{t+1} W_{hh}                 \\
    δ\tilde h_t &= δh_t W_{hr} \quad(\text{only with proj\_size}; \text{else } δ\tilde h_t = δh_t) \\
    δo_t &= δ\tilde h_t ⊙ \tanh c_t                                              \\
    δc_t &= δ\tilde h_t ⊙ o_t ⊙ (1 - \tanh^2 c_t) + δc_{t+1} ⊙ f_{t+1}          \\
    δf_t &= δc_t ⊙ c_{t-1}, \quad δi_t = δc_t ⊙ g_t, \quad δg_t = δc_t ⊙ i_t    \\
    δa_t &= [δi_t ⊙ i_t(1-i_t);\ δf_t ⊙ f_t(1-f_t);\ δg_t ⊙ (1-g_t^2);\ δo_t ⊙ o_t(1-o_t)]  \\
    δx_t &= δa_t W_{ih}

δo, δf, δi, δg are derivatives with respect to the gate *values*; δa with respect to their pre-activations
(zero where a what-if clamp forces a gate to a constant). Read backwards, the cell line is the one the page
highlights: ``δc_{t-1} = δc_t ⊙ f_t + δ\tilde h_{t-1} ⊙ o_{t-1} ⊙ (1 - \tanh^2 c_{t-1})`` — its first term has no
weight matrix and no squashing derivative, only the forget gate.

The page's loss is ``L = Σ_j h_{T-1, j}``, the last hidden state of the top layer's forward direction
(`lstm_backward`). The plain tanh RNN (`lstm_core.RNN`, top layer) has a single line:
``δh_{t-1} = (δh_t ⊙ (1 - h_t^2)) W_{hh}``.

Truncated BPTT with k steps (the classic chunked training loop): at a chunk start t (t > 0, t % k == 0) nothing
is carried back to t-1, neither through h nor through c. Results of `lstm_backward` are numpy float64 arrays,
time-major (T, B, ·).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from lstm_core import Clamp, LayerTrace, LayerWeights, clamp_mask, layer_weights, trace
from lstm_core.rnn import RNN

from .layout import time_major

__all__ = ["LSTMBackward", "LayerGrads", "RNNBackward", "backward_through_time", "layer_backward", "lstm_backward",
           "rnn_backward", "LSTM_QUANTITIES", "unit_table", "plug_in", "rnn_plug_in", "loss_gradient", "HandBackward",
           "hand_backward"]

# the per-unit quantities the page shows, in its table's column order
LSTM_QUANTITIES = ("dh", "do", "dc", "df", "di", "dg", "carry")


class LayerGrads(NamedTuple):
    """∂L/∂(·) of every step of one layer and direction, time-major (T, B, ·), real time order."""

    dh: Tensor  # ∂L/∂h_t (T, B, H_out), total: from above and from step t+1
    dh_full: Tensor  # ∂L/∂(o_t ⊙ tanh c_t) (T, B, H) (= dh without projection)
    do: Tensor  # ∂L/∂o_t
    dc: Tensor  # ∂L/∂c_t, total
    df: Tensor  # ∂L/∂f_t
    di: Tensor  # ∂L/∂i_t
    dg: Tensor  # ∂L/∂g_t
    da: Tensor  # ∂L/∂a_t (T, B, 4H), the pre-activations, gate order i, f, g, o
    dx: Tensor  # ∂L/∂x_t (T, B, in), this layer's input
    dh0: Tensor  # ∂L/∂h_{-1} (B, H_out), the initial state
    dc0: Tensor  # ∂L/∂c_{-1} (B, H)


def layer_backward(lt: LayerTrace, w: LayerWeights, dh_out: Tensor, clamped: Tensor | None = None,
                   truncate: int | None = None) -> LayerGrads:
    """Backpropagation through time by hand for one layer and direction.

    ``lt``: the forward trace of that layer and direction; ``w``: its weights; ``dh_out`` (T, B, H_out):
    ∂L/∂h_t that reaches each step's output from outside the recurrence (the loss, or the layer above);
    ``clamped`` (T, 4H) bool: gates a what-if forced (their δa is 0); ``truncate``: chunk length.
    """
    steps = dh_out.size(0)
    d = {name: [None] * steps for name in LayerGrads._fields[:8]}
    dh_next = torch.zeros_like(lt.h_prev[0])  # δh handed back from step t+1 (through W_hh)
    dc_next = torch.zeros_like(lt.c_prev[0])  # δc handed back from step t+1 (through f_{t+1})
    for t in reversed(lt.visit_order):  # the steps in the opposite order to the forward pass
        i, f, g, o, c, c_prev = lt.i[t], lt.f[t], lt.g[t], lt.o[t], lt.c[t], lt.c_prev[t]
        dh = dh_out[t] + dh_next  # (B, H_out)
        dh_full = dh if w.weight_hr is None else dh @ w.weight_hr  # (B, H)  h = h_full W_hrᵀ
        do = dh_full * torch.tanh(c)  # (B, H)  h_full = o ⊙ tanh(c)
        dc = dh_full * o * (1 - torch.tanh(c) ** 2) + dc_next  # (B, H)  and c_{t+1} = f_{t+1} ⊙ c_t + …
        df = dc * c_prev  # (B, H)  c = f ⊙ c_prev + i ⊙ g
        di = dc * g  # (B, H)
        dg = dc * i  # (B, H)
        da = torch.cat([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], dim=-1)  # (B, 4H)
        if clamped is not None:
            da = da.masked_fill(clamped[t], 0.0)  # a forced gate does not depend on its pre-activation
        dh_next = da @ w.weight_hh  # (B, H_out)  pre = … + h_prev W_hhᵀ
        dc_next = dc * f  # (B, H)  the cell path: only the forget gate
        if truncate and 0 < t and t % truncate == 0:  # a chunk starts at t: nothing crosses back to t-1
            dh_next, dc_next = torch.zeros_like(dh_next), torch.zeros_like(dc_next)
        for name, value in zip(LayerGrads._fields, (dh, dh_full, do, dc, df, di, dg, da), strict=False):
            d[name][t] = value
    over_time = {name: torch.stack(values) for name, values in d.items()}
    dx = over_time["da"] @ w.weight_ih  # (T, B, in)  pre = x W_ihᵀ + …
    return LayerGrads(**over_time, dx=dx, dh0=dh_next, dc0=dc_next)


def backward_through_time(model, tr, d_output: Tensor, *, truncate: int | None = None,
                          clamps: Sequence[Clamp] = ()) -> tuple[dict, Tensor]:
    """Every layer and direction, top layer first. ``tr``: the model's trace; ``d_output`` (T, B, D·H_out):
    ∂L/∂output. Returns ({(layer, direction): LayerGrads}, ∂L/∂x (T, B, input_size))."""
    cfg = tr.config
    dirs, h_out, steps, hidden = cfg.num_directions, cfg.h_out, tr.T, cfg.hidden_size
    grads, d_input = {}, d_output
    for layer in reversed(range(cfg.num_layers)):
        dx = 0
        for direction in range(dirs):
            dh_out = d_input[..., direction * h_out:(direction + 1) * h_out]  # this direction's half
            mask = clamp_mask(clamps, layer, direction, steps, hidden)
            clamped = None if mask is None else mask[0].reshape(steps, 1, 4 * hidden)
            w = LayerWeights(*(None if p is None else p.detach() for p in layer_weights(model, layer, direction)))
            grads[layer, direction] = layer_backward(tr[layer, direction], w, dh_out, clamped, truncate)
            dx = dx + grads[layer, direction].dx  # both directions read the same input
        d_input = dx  # the layer below produced this input: its ∂L/∂output
    return grads, d_input


def loss_gradient(cfg, steps: int, batch: int, dtype=torch.float64) -> Tensor:
    """∂L/∂output (T, B, D·H_out) for the page's loss L = Σ_j h_{T-1, j} (top layer, forward direction)."""
    d_output = torch.zeros(steps, batch, cfg.num_directions * cfg.h_out, dtype=dtype)
    d_output[-1, :, :cfg.h_out] = 1.0
    return d_output


@dataclass(frozen=True)
class HandBackward:
    """One float64 run of the page's model: its trace, and the hand-written backward of L = Σ h_{T-1}."""

    trace: object  # lstm_core.Trace (tensors)
    grads: dict  # (layer, direction) -> LayerGrads
    dx: Tensor  # (T, B, input_size) ∂L/∂x_t
    loss: Tensor  # (B,) L of each sequence


def hand_backward(model, x: Tensor, hx: tuple[Tensor, Tensor] | None = None, *, truncate: int | None = None,
                  clamps: Sequence[Clamp] = (), dtype: torch.dtype = torch.float64) -> HandBackward:
    """Trace a ``dtype`` copy of ``model`` (eval mode) on time-major ``x`` (T, B, I) and run
    `backward_through_time` for ``L = Σ h_{T-1}``. Truncation leaves the forward values as they are."""
    if truncate is not None and truncate < 1:
        raise ValueError("truncate must be a positive number of steps")
    if x.dim() != 3:
        raise ValueError(f"gradient flow needs a batched (T, B, input_size) input, got {x.dim()}-D")
    m = copy.deepcopy(model).to(dtype).eval()
    cfg = m.config
    if truncate and cfg.bidirectional:
        raise ValueError("truncated BPTT is defined here for unidirectional models only")
    state = None if hx is None else (hx[0].detach().to(dtype), hx[1].detach().to(dtype))
    tr = trace(m, time_major(x.detach().to(dtype), cfg.batch_first), state, clamps, max_values=None)
    steps, batch = tr.T, tr.B
    grads, dx = backward_through_time(m, tr, loss_gradient(cfg, steps, batch, dtype), truncate=truncate,
                                      clamps=clamps)
    loss = tr[cfg.num_layers - 1, 0].h[-1].sum(dim=-1)
    return HandBackward(tr, grads, dx, loss)


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
    """The hand-written BPTT of ``L = Σ h_{T-1}`` (top layer, forward direction) for time-major ``x``
    (T, B, I), laid out per step for the page: a float64 copy of ``model`` in eval mode, with the what-if
    ``clamps``, as `lessons.gradients.lstm_gradflow` runs it.
    """
    run = hand_backward(model, x, hx, truncate=truncate, clamps=clamps, dtype=dtype)
    top = model.config.num_layers - 1
    lt, d = run.trace[top, 0], run.grads[top, 0]
    return LSTMBackward(truncate=truncate, layer=top, i=_np(lt.i), f=_np(lt.f), g=_np(lt.g), o=_np(lt.o),
                        c=_np(lt.c), c_prev=_np(lt.c_prev), h=_np(lt.h), dh=_np(d.dh), dh_full=_np(d.dh_full),
                        do=_np(d.do), dc=_np(d.dc), df=_np(d.df), di=_np(d.di), dg=_np(d.dg), da=_np(d.da),
                        carry=_np(d.dc * lt.f), dh0=_np(d.dh0), dc0=_np(d.dc0))


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
