"""Where things are in output, h_n and c_n: batch_first, the last step, h_n's layout, unbatched input."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from ..layout import batch_major, time_major
from .tools import (
    DTYPE,
    changed,
    error_of,
    layer_finals,
    max_abs,
    reference,
    run_torch,
    shape,
)


# ------------------------------------------------------------------------------------------- batch_first
@dataclass(frozen=True)
class BatchFirstFact:
    """``batch_first`` transposes input and output; h_n and c_n are the same tensors either way."""

    batch_first: bool
    input_shape: tuple  # as the model takes it
    output_shape: tuple
    h_n_shape: tuple
    c_n_shape: tuple
    h_n_0_shape: tuple
    h_n_t_shape: tuple  # h_n.transpose(0, 1): what a batch-first h_n would look like (it is not)
    flipped_output_shape: tuple  # with batch_first flipped, the same weights
    batch: int
    seq_len: int
    rows: int  # num_layers · D
    delta_last: float  # max |h_n[top forward] − output at the last step, first half|
    delta_output_transposed: float  # max |output.transpose(0, 1) − output with batch_first flipped|
    delta_state: float  # max |(h_n, c_n) − the flipped model's (h_n, c_n)| (inf when the shapes differ)


def batch_first(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> BatchFirstFact:
    """Run ``cfg`` and ``cfg`` with batch_first flipped on the same weights and batch-major input x_bm."""
    ref = reference(cfg, state_dict, seed)
    flip = changed(cfg, {"batch_first": not cfg.batch_first})
    out, (h, c) = run_torch(ref, cfg, x_bm)
    out2, (h2, c2) = run_torch(reference(flip, ref.state_dict(), seed), flip, x_bm)
    top = (cfg.num_layers - 1) * cfg.num_directions
    same = shape(h) == shape(h2) and shape(c) == shape(c2)
    return BatchFirstFact(
        batch_first=cfg.batch_first, input_shape=shape(batch_major(x_bm, cfg.batch_first)),
        output_shape=shape(out), h_n_shape=shape(h), c_n_shape=shape(c), h_n_0_shape=shape(h[0]),
        h_n_t_shape=shape(h.transpose(0, 1)), flipped_output_shape=shape(out2),
        batch=int(x_bm.shape[0]), seq_len=int(x_bm.shape[1]), rows=cfg.num_layers * cfg.num_directions,
        delta_last=max_abs(h[top], time_major(out, cfg.batch_first)[-1, :, : cfg.h_out]),
        delta_output_transposed=max_abs(out.transpose(0, 1), out2),
        delta_state=max(max_abs(h, h2), max_abs(c, c2)) if same else float("inf"))


# --------------------------------------------------------------------------------------------- last step
@dataclass(frozen=True)
class LastStepFact:
    """What output's first and last steps hold. Bidirectional only: the ``*_right``/``*_wrong`` fields."""

    H: int  # H_out: width of one direction's half of output
    top: int  # h_n row of the top layer's forward direction, (num_layers-1)·D
    fwd_expr: str  # output at the last step, forward half
    delta_fwd: float  # max |h_n[top] − fwd_expr|
    right_expr: str | None = None  # output at step 0, backward half
    wrong_expr: str | None = None  # output at the last step, backward half (the mistake)
    delta_right: float | None = None  # max |h_n[top + 1] − right_expr|
    delta_wrong: float | None = None  # max |h_n[top + 1] − wrong_expr| (0 only when T = 1)
    h_n_backward: list = field(default_factory=list)  # h_n[top + 1] of sequence 0, first 4 values
    right_values: list = field(default_factory=list)
    wrong_values: list = field(default_factory=list)
    seq0_output_last: list = field(default_factory=list)  # sequence 0: output's last step, forward half ...
    seq0_h_n_top: list = field(default_factory=list)  # ... and h_n[top], every value


def last_step(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> LastStepFact:
    out, (h, _) = run_torch(reference(cfg, state_dict, seed), cfg, x_bm)
    out = time_major(out, cfg.batch_first)  # (T, B, D·H_out)
    hh, top = cfg.h_out, (cfg.num_layers - 1) * cfg.num_directions
    last, first = ("[:, -1, ", "[:, 0, ") if cfg.batch_first else ("[-1, :, ", "[0, :, ")
    fact = LastStepFact(H=hh, top=top, fwd_expr=f"output{last}:{hh}]", delta_fwd=max_abs(h[top], out[-1, :, :hh]),
                        seq0_output_last=out[-1, 0, :hh].tolist(), seq0_h_n_top=h[top, 0].tolist())
    if not cfg.bidirectional:
        return fact

    def four(v):
        return [round(float(a), 4) for a in v[:4]]

    return replace(fact, right_expr=f"output{first}{hh}:]", wrong_expr=f"output{last}{hh}:]",
                   delta_right=max_abs(h[top + 1], out[0, :, hh:]), delta_wrong=max_abs(h[top + 1], out[-1, :, hh:]),
                   h_n_backward=four(h[top + 1, 0]), right_values=four(out[0, 0, hh:]),
                   wrong_values=four(out[-1, 0, hh:]))


# -------------------------------------------------------------------------------------------- h_n layout
@dataclass(frozen=True)
class HnRow:
    row: int  # index into h_n
    layer: int  # the (layer, direction) whose final state this row equals
    direction: int
    delta: float  # max |h_n[row] − that final state|


@dataclass(frozen=True)
class HnLayoutFact:
    """h_n[layer·D + direction]: each row against every layer's final state computed on its own."""

    L: int  # num_layers
    D: int
    h_n_shape: tuple
    h_n_0_shape: tuple
    rows: tuple[HnRow, ...]  # the best-matching (layer, direction) of every row of h_n
    row_deltas: tuple[float, ...]  # max |h_n[layer·D + d] − final (layer, d)| and h_n.view(...)[layer, d]
    good_view: str  # h_n.view(num_layers, D, B, H_out)[layer, direction]
    bad_view: str  # h_n.view(D, num_layers, B, H_out)[direction, layer]
    delta_good: float
    delta_bad: float
    wrong_pairs: tuple[tuple[int, int], ...]  # (layer, direction) pairs the bad view gets wrong


def hn_layout(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> HnLayoutFact:
    ref = reference(cfg, state_dict, seed)
    _, (h, _) = run_torch(ref, cfg, x_bm)
    finals = layer_finals(ref, batch_major(x_bm.to(DTYPE), False))  # (B, T, I) -> time-major (T, B, I)
    n_l, n_d, b, w = cfg.num_layers, cfg.num_directions, h.shape[1], h.shape[2]
    rows = []
    for r in range(h.shape[0]):
        deltas = {key: max_abs(h[r], f) for key, f in finals.items()}
        layer, direction = min(deltas, key=deltas.get)
        rows.append(HnRow(r, layer, direction, deltas[(layer, direction)]))
    good, bad = h.view(n_l, n_d, b, w), h.view(n_d, n_l, b, w)
    return HnLayoutFact(
        L=n_l, D=n_d, h_n_shape=shape(h), h_n_0_shape=shape(h[0]), rows=tuple(rows),
        row_deltas=tuple(max(max_abs(good[lay, d], h[lay * n_d + d]), max_abs(good[lay, d], finals[(lay, d)]))
                         for lay in range(n_l) for d in range(n_d)),
        good_view=f"h_n.view({n_l}, {n_d}, {b}, {w})[layer, direction]",
        bad_view=f"h_n.view({n_d}, {n_l}, {b}, {w})[direction, layer]",
        delta_good=max(max_abs(good[lay, d], f) for (lay, d), f in finals.items()),
        delta_bad=max(max_abs(bad[d, lay], f) for (lay, d), f in finals.items()),
        wrong_pairs=tuple((lay, d) for (lay, d), f in finals.items() if max_abs(bad[d, lay], f) > 0))


# --------------------------------------------------------------------------------------------- unbatched
@dataclass(frozen=True)
class UnbatchedFact:
    """A 2-D input (T, I) is one unbatched sequence: output (T, D·H_out), h_n (num_layers·D, H_out), whatever
    batch_first says; h0/c0 must then be 2-D too."""

    input_shape: tuple
    output_shape: tuple
    h_n_shape: tuple
    c_n_shape: tuple
    delta_vs_batched: float  # max |unbatched run of sequence 0 − the batched run's sequence 0| (output, h_n, c_n)
    h0_given: tuple  # a 3-D h0 for a 2-D input ...
    message: str | None  # ... which torch refuses with this message
    engine_message: str | None = None  # what our engine says to the same call
    engine_agrees: bool | None = None


def unbatched(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> UnbatchedFact:
    ref = reference(cfg, state_dict, seed)
    x1 = x_bm[0].to(DTYPE)  # (T, I)
    rows = cfg.num_layers * cfg.num_directions
    with torch.no_grad():
        out, (h, c) = ref(x1)
    out_b, (h_b, c_b) = run_torch(ref, cfg, x_bm)
    h0 = torch.zeros(rows, 1, cfg.h_out, dtype=DTYPE)
    c0 = torch.zeros(rows, 1, cfg.hidden_size, dtype=DTYPE)
    msg = error_of(lambda: ref(x1, (h0, c0)))
    engine_msg = agrees = None
    if engine_model is not None:
        dt = next(engine_model.parameters()).dtype
        engine_msg = error_of(lambda: engine_model(x1.to(dt), (h0.to(dt), c0.to(dt))))
        agrees = engine_msg == msg
    return UnbatchedFact(
        input_shape=shape(x1), output_shape=shape(out), h_n_shape=shape(h), c_n_shape=shape(c),
        delta_vs_batched=max(max_abs(out, batch_major(out_b, cfg.batch_first)[0]), max_abs(h, h_b[:, 0]),
                             max_abs(c, c_b[:, 0])),
        h0_given=shape(h0), message=msg, engine_message=engine_msg, engine_agrees=agrees)
