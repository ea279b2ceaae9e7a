"""Tutorial errors about gradients, recurrence and training in the tutorials' own recipes (residual and layer-norm
variants, the forget gate's "previous layer", exploding gradients and clipping, tutorial 001's training loop,
truncated BPTT), each run live through the real ``torch.nn.LSTM`` — torch only, no UI. Registered in
`lessons.errata` (its `Erratum` and `KEYS`); the shape/layout ones, and the shared helpers, are in
`lessons.errata_shapes`.

Each function runs the tutorial's code, adapted only as much as needed to run (small sizes, no dataset
download), and returns what torch really printed or raised, next to the tutorial's claim and the fix. The
tutorial's words are quoted verbatim in the catalogs' ``errata.<key>.quote``; ``Erratum.snippet`` is the code
run here, ``Erratum.fix`` the corrected code (also run here).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .errata import Erratum, _raised, _randn, _seeded_lstm
from .errata_shapes import _max_delta, _seeded
from .gru import Seed001Cell  # tutorial 001's cell, written once

# ------------------------------------------------------------------ 4. tutorial 004: residual and layer norm

class ResidualLSTM(nn.Module):
    """Tutorial 004's class, verbatim."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(input_size, hidden_size) if input_size != hidden_size else None

    def forward(self, x):
        outputs, (h_n, c_n) = self.lstm(x)
        residual = self.linear(x) if self.linear is not None else x
        if outputs.size(1) == residual.size(1):  # "only when the sequence lengths match"
            outputs = outputs + residual
        return outputs, (h_n, c_n)


class LayerNormLSTM(nn.Module):
    """Tutorial 004's class, verbatim."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.layer_norm = nn.LayerNorm(hidden_size)

    def forward(self, x):
        outputs, (h_n, c_n) = self.lstm(x)
        outputs = self.layer_norm(outputs)
        h_n = self.layer_norm(h_n)
        return outputs, (h_n, c_n)


def _grad_x(model: nn.Module, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """∂L/∂x for L = Σ v ⊙ outputs[:, -1] (a loss on the last step; a fixed random v, since the plain sum of
    a layer-normed vector is a constant), float64."""
    xg = x.detach().clone().requires_grad_(True)
    out, _ = model(xg)
    (grad,) = torch.autograd.grad((out[:, -1] * v).sum(), xg)
    return grad


def seed004_variants(T: int = 50, seed: int = 0) -> Erratum:
    """Residual and layer norm act on the outputs, outside the recurrence: for a loss on the last step,
    ∂L/∂x₀ with the residual equals the plain LSTM's exactly; layer norm rescales it by one Jacobian at the
    last step and leaves the decay through time as it was. The length check is always true."""
    snippet = ("inputs = torch.randn(2, 50, 10)  # batch_size=2, seq_len=50, input_size=10\n"
               "plain = residual_lstm.lstm            # the same nn.LSTM(10, 20, 2) without the 'fix'\n"
               "loss = (residual_lstm(inputs)[0][:, -1] * v).sum()   # a loss on the last step, v fixed\n"
               "# compare ∂loss/∂inputs[:, 0] through ResidualLSTM, LayerNormLSTM and the plain LSTM")
    fix = "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)  # for exploding gradients\n" \
          "# for vanishing ones: a forget-gate bias of +1 or more (see Gradient flow)"
    residual = _seeded(lambda: ResidualLSTM(10, 20, 2), seed).double().eval()
    norm = _seeded(lambda: LayerNormLSTM(10, 20, 2), seed).double().eval()
    norm.lstm.load_state_dict(residual.lstm.state_dict())
    x = _randn(2, T, 10, seed=seed).double()
    v = _randn(20, seed=seed + 1).double()
    plain_g, res_g, norm_g = (_grad_x(m, x, v) for m in (residual.lstm, residual, norm))
    decay = lambda g: float(g[:, 0].norm() / g[:, -1].norm())  # noqa: E731  step 0 vs the last step
    checks = {}
    for length in (1, 7, T):
        xx = _randn(2, length, 10, seed=seed).double()
        with torch.no_grad():
            out, _ = residual.lstm(xx)
        checks[length] = out.size(1) == residual.linear(xx).size(1)
    same_width = _seeded(lambda: ResidualLSTM(10, 20, 2), seed)
    same_width.linear = None  # what the check should have guarded: x is 10 wide, outputs 20
    width_error = _raised(lambda: same_width(x.float()))
    return Erratum("seed004_variants", "004", snippet, claimed={"T": T},
                   actual={"dx0_plain": float(plain_g[:, 0].norm()), "dx0_residual": float(res_g[:, 0].norm()),
                           "delta_residual": _max_delta(res_g[:, 0], plain_g[:, 0]),
                           "dx0_norm": float(norm_g[:, 0].norm()), "decay_plain": decay(plain_g),
                           "decay_norm": decay(norm_g), "decay_residual": decay(res_g),
                           "length_checks": checks, "width_error": width_error},
                   fix=fix)


# ------------------------------------------------------------------ 6. tutorial 002: "the previous layer"

def seed002_previous_layer(T: int = 3, seed: int = 0) -> Erratum:
    """The forget gate multiplies the cell state of the previous time step of the same layer. Recomputed from
    nn.LSTM(5, 6, 2)'s weights: layer 1's c_t = f ⊙ c¹_{t-1} + i ⊙ g exactly; with the previous layer's cell
    c⁰_t in its place the result is far off."""
    snippet = ("rnn = nn.LSTM(5, 6, 2)\nx = torch.randn(3, 1, 5)          # 3 steps, one at a time\n"
               "f, i, g = gates of layer 1 at step t  # from rnn.weight_ih_l1, weight_hh_l1, the biases\n"
               "same_layer = f * c[1][t-1] + i * g    # previous time step, same layer\n"
               "prev_layer = f * c[0][t] + i * g      # 'the previous layer'")
    rnn = _seeded_lstm(5, 6, 2, seed=seed).double()
    x = _randn(T, 1, 5, seed=seed).double()
    w = {k: v.detach() for k, v in rnn.state_dict().items()}
    same, prev = [], []
    state = None
    with torch.no_grad():
        for t in range(T):
            h_prev, c_prev = (state if state is not None else (torch.zeros(2, 1, 6, dtype=torch.float64),) * 2)
            _, state = rnn(x[t : t + 1], state)
            h, c = state
            pre = h[0] @ w["weight_ih_l1"].T + w["bias_ih_l1"] + h_prev[1] @ w["weight_hh_l1"].T + w["bias_hh_l1"]
            i, f, g, _ = pre.chunk(4, dim=1)
            i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
            same.append(_max_delta(c[1], f * c_prev[1] + i * g))
            prev.append(_max_delta(c[1], f * c[0] + i * g))
    return Erratum("seed002_previous_layer", "002", snippet, claimed={},
                   actual={"delta_same_layer": max(same), "delta_previous_layer": max(prev), "T": T},
                   fix="c_t = f_t * c_{t-1} + i_t * g_t   # c_{t-1}: this layer's cell state one time step earlier")


# ------------------------------------------------------------------ 7. tutorial 001: exploding gradients

def exploding(T: int = 20, scale: float = 4.0, forget_bias: float = 3.0, max_norm: float = 1.0,
              seed: int = 0) -> Erratum:
    """An LSTM's gradient can explode: nn.LSTM(4, 8) with W_hh scaled ×``scale`` and the forget gates held
    open (bias +``forget_bias``, the other biases 0), on a small input, for a loss at step ``T``-1: near h = 0
    one step multiplies a gradient by about f·I + ¼·W_hg, whose largest eigenvalue exceeds 1. The default
    initialisation on the same input for comparison; ``clip_grad_norm_`` returns the norm it saw and scales the
    gradient down to ``max_norm``."""
    snippet = (f"lstm = nn.LSTM(4, 8)\nwith torch.no_grad():\n"
               f"    lstm.weight_hh_l0.mul_({scale:g})   # a strong recurrence\n"
               f"    lstm.bias_ih_l0.zero_(); lstm.bias_hh_l0.zero_()\n"
               f"    lstm.bias_hh_l0[8:16] += {forget_bias:g}  # forget gates open, as advised against vanishing\n"
               f"x = 0.01 * torch.randn({T}, 1, 4)\nout, _ = lstm(x)\nout[-1].sum().backward()\n"
               f"total = nn.utils.clip_grad_norm_(lstm.parameters(), max_norm={max_norm:g})")
    sizes = {}
    for name in ("default", "strong"):
        lstm = _seeded_lstm(4, 8, seed=seed).double()
        if name == "strong":
            with torch.no_grad():
                lstm.weight_hh_l0.mul_(scale)
                lstm.bias_ih_l0.zero_()
                lstm.bias_hh_l0.zero_()
                lstm.bias_hh_l0[8:16] += forget_bias
        lstm.train()
        out, _ = lstm(0.01 * _randn(T, 1, 4, seed=seed).double())
        out[-1].sum().backward()
        total = float(nn.utils.clip_grad_norm_(lstm.parameters(), max_norm=max_norm))
        after = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in lstm.parameters()])))
        sizes[name] = (total, after)
    return Erratum("exploding", "001", snippet, claimed={},
                   actual={"norm_default": sizes["default"][0], "norm_strong": sizes["strong"][0],
                           "after_clip": sizes["strong"][1], "ratio": sizes["strong"][0] / sizes["default"][0],
                           "scale": scale, "forget_bias": forget_bias, "max_norm": max_norm, "T": T},
                   fix=f"nn.utils.clip_grad_norm_(model.parameters(), max_norm={max_norm:g})  # after backward()")


# ------------------------------------------------------------------ 8. tutorial 001: the training loop

class _Layer001(nn.Module):
    """Tutorial 001's LSTMLayer, verbatim in what it computes."""

    def __init__(self, input_size, hidden_size, num_layers=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.cells = nn.ModuleList([Seed001Cell(input_size if i == 0 else hidden_size, hidden_size)
                                    for i in range(num_layers)])

    def forward(self, x):
        batch_size = x.size(0)
        h_0 = torch.zeros(batch_size, self.hidden_size)
        states = [(h_0, torch.zeros(batch_size, self.hidden_size))] * len(self.cells)
        outputs = []
        for t in range(x.size(1)):
            input_t = x[:, t, :]
            new_h, new_c = [], []
            for layer, cell in enumerate(self.cells):
                h_t, c_t = cell(input_t, states[layer])
                new_h.append(h_t)
                new_c.append(c_t)
                input_t = h_t
            states = list(zip(new_h, new_c, strict=True))
            outputs.append(states[-1][0])
        return torch.stack(outputs, dim=1)


def seed001_training(epochs: int = 100, seed: int = 0) -> Erratum:
    """Tutorial 001's loop regresses h (|h| < 1, tanh-bounded) onto N(0, 1) targets with no readout layer:
    every target beyond ±1 is out of reach, so the loss cannot fall below a floor computed from the data."""
    snippet = ("model = LSTMLayer(input_size=10, hidden_size=32, num_layers=2)\n"
               "x = torch.randn(4, 5, 10)\n"
               "y = torch.randn(4, 5, 32)     # N(0, 1) targets for h, which tanh bounds to (-1, 1)\n"
               f"for epoch in range({epochs}): ...  # Adam, MSELoss, as in the tutorial")
    fix = ("self.readout = nn.Linear(hidden_size, output_size)   # predictions = self.readout(outputs)")

    def run():
        torch.manual_seed(seed)
        model = _Layer001(10, 32, 2)
        x, y = torch.randn(4, 5, 10), torch.randn(4, 5, 32)
        opt = torch.optim.Adam(model.parameters())
        for _ in range(epochs):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
        with torch.no_grad():
            return y, float(loss), float(model(x).abs().max())

    with torch.random.fork_rng(devices=[]):
        y, loss, h_max = run()
    excess = (y.abs() - 1).clamp(min=0)
    return Erratum("seed001_training", "001", snippet, claimed={},
                   actual={"out_of_reach": round(100 * float((y.abs() > 1).float().mean()), 1),
                           "floor": float((excess ** 2).mean()),
                           "loss": loss, "h_max": h_max, "epochs": epochs},
                   fix=fix)


# ------------------------------------------------------------------ 9. tutorial 004: truncated BPTT

def _saved_bytes(fn) -> int:
    """Bytes of the distinct tensors autograd saves for the backward pass while ``fn()`` runs (the memory a
    backward pass needs, kept alive until it runs)."""
    seen: set[int] = set()
    total = 0

    def pack(t):
        nonlocal total
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return total


def seed004_tbptt(T: int = 100, k: int = 25, seed: int = 0) -> Erratum:
    """The tutorial's TruncatedBPTTLSTM detaches h and c between chunks inside ONE forward pass and returns the
    concatenated outputs: one backward then runs through every chunk's graph, all kept in memory at once. The
    detach only cuts the gradient; the memory that truncated BPTT exists to save is not saved. A real loop
    (forward one chunk, backward, step) keeps one chunk's graph."""
    snippet = (f"lstm = nn.LSTM(10, 20, 2, batch_first=True)\nx = torch.randn(2, {T}, 10)\n"
               f"outputs = truncated_model(x)           # TruncatedBPTTLSTM(..., truncation_steps={k})\n"
               "# bytes autograd keeps for the backward pass, measured with saved_tensors_hooks")
    fix = ("for chunk, target in zip(x.split(k, dim=1), y.split(k, dim=1)):\n"
           "    out, (h, c) = lstm(chunk, (h, c))\n"
           "    loss_fn(out, target).backward()   # this chunk's graph is freed here\n"
           "    optimizer.step(); optimizer.zero_grad()\n    h, c = h.detach(), c.detach()")
    lstm = _seeded(lambda: nn.LSTM(10, 20, 2, batch_first=True), seed)
    x = _randn(2, T, 10, seed=seed)

    def tutorial(x=x):
        h = torch.zeros(2, 2, 20)
        c = torch.zeros(2, 2, 20)
        outputs = []
        for chunk in torch.split(x, k, dim=1):
            out, (h, c) = lstm(chunk, (h, c))
            outputs.append(out)
            h, c = h.detach(), c.detach()
        return torch.cat(outputs, dim=1)

    tut, full, chunk = (_saved_bytes(f) for f in (tutorial, lambda: lstm(x), lambda: lstm(x[:, :k])))
    xg = x.clone().requires_grad_(True)  # the detach does cut the gradient: nothing before the last chunk
    (grad,) = torch.autograd.grad(tutorial(xg)[:, -1].sum(), xg)
    return Erratum("seed004_tbptt", "004", snippet, claimed={"k": k, "T": T},
                   actual={"bytes_tutorial": tut, "bytes_full": full, "bytes_chunk": chunk,
                           "ratio_tutorial": tut / full, "ratio_chunk": chunk / full,
                           "grad_before_cut": float(grad[:, : T - k].abs().max())}, fix=fix)
