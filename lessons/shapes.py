"""Shapes page: the shapes `lstm_core.shapes` predicts, checked on real tensors, and the correspondences
between output, h_n and c_n checked with numbers on the current weights and input. torch only, no UI.

The correspondences are the facts of `lessons.facts` (the Pitfalls page shows the same ones): here they are
read as a list of `Check` rows, each a line of code a reader can type with the current numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_core import shapes

from . import facts
from .facts import shape
from .jobs import Memo
from .layout import batch_major

TOL = 1e-6
# What a class computes together: thirty learners on the same configuration, weights and input ask the same
# torch runs; they are done once per process and shared (read only) by every session.
SHARED = Memo(128)


def real_shapes(model, rep, data: Tensor, lengths=None) -> dict[str, tuple[int, ...]]:
    """Run ``torch.nn.LSTM`` (our weights, converted) on real tensors in ``rep.form`` with h_0/c_0 of the
    predicted shapes (torch rejects a wrong one) and return every tensor's actual shape, by tensor name."""
    return SHARED.get(("real_shapes", model.config.kwargs(), model.state_dict(), repr(rep), data,
                       None if lengths is None else list(lengths)), lambda: _real_shapes(model, rep, data, lengths))


def _real_shapes(model, rep, data: Tensor, lengths=None) -> dict[str, tuple[int, ...]]:
    cfg = rep.config
    if rep.form == "unbatched":
        x = data[0]
    elif rep.form == "packed":
        x = pack_padded_sequence(data, list(lengths), batch_first=True, enforce_sorted=False)
    else:
        x = batch_major(data, cfg.batch_first)
    h0 = torch.zeros(rep.tensors["h_0"].shape)
    c0 = torch.zeros(rep.tensors["c_0"].shape)
    with torch.no_grad():
        out, (h_n, c_n) = model.to_torch().eval()(x, (h0, c0))
    return {"input": shape(x), "h_0": shape(h0), "c_0": shape(c0), "output": shape(out), "h_n": shape(h_n),
            "c_n": shape(c_n)}


def param_shapes(model) -> dict[str, tuple[int, ...]]:
    """The model's real parameters: name -> shape."""
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


@dataclass(frozen=True)
class Sharing:
    seq_len: int
    total_params: int  # the same for every length: the weights are shared across time
    output_numbers: int  # numel of output: grows with the length


def sharing(cfg, batch_size: int, seq_len: int) -> list[Sharing]:
    """Parameter count vs output size for several sequence lengths: only the output grows."""
    rows = []
    for length in sorted({1, seq_len, min(10 * seq_len, 1000)}):
        rep = shapes(cfg, batch_size=batch_size, seq_len=length)
        rows.append(Sharing(length, rep.total_params, output_numbers(rep)))
    return rows


def output_numbers(rep) -> int:
    numel = 1
    for s in rep.tensors["output"].shape:
        numel *= s
    return numel


# -------------------------------------------------------------------------------------- correspondences
@dataclass(frozen=True)
class Check:
    claim: str  # code a reader can type, with the current numbers
    diff: float  # max |left - right|
    expect_equal: bool = True  # False: a common mistake, shown to differ
    final_of: tuple[int, int] | None = None  # the claim ends "== final state of (layer, direction)"

    @property
    def ok(self) -> bool:
        return (self.diff <= TOL) == self.expect_equal


@dataclass(frozen=True)
class Correspondences:
    checks: list[Check]
    last: facts.LastStepFact  # holds sequence 0's two printed vectors


def correspondences(cfg, state_dict, data: Tensor, seed: int = 0) -> Correspondences:
    """The facts about output / h_n / c_n on ``cfg`` with these weights and the batch-major ``data`` (B, T, I):
    `facts.last_step`, `facts.hn_layout`, `facts.batch_first`."""
    return SHARED.get(("correspondences", cfg.kwargs(), state_dict, data, int(seed)),
                      lambda: _correspondences(cfg, state_dict, data, seed))


def _correspondences(cfg, state_dict, data: Tensor, seed: int = 0) -> Correspondences:
    last = facts.last_step(cfg, state_dict, data, seed)
    checks = [Check(f"{last.fwd_expr} == h_n[{last.top}]", last.delta_fwd)]
    if cfg.bidirectional:
        checks.append(Check(f"{last.right_expr} == h_n[{last.top + 1}]", last.delta_right))
        if data.shape[1] > 1:  # the mistake: with one step both readings coincide
            checks.append(Check(f"{last.wrong_expr} == h_n[{last.top + 1}]", last.delta_wrong, expect_equal=False))
    lay = facts.hn_layout(cfg, state_dict, data, seed)
    view = f"h_n.view({lay.L}, {lay.D}, {data.shape[0]}, {cfg.h_out})"
    pairs = [(layer, d) for layer in range(lay.L) for d in range(lay.D)]
    checks += [Check(f"{view}[{layer}, {d}] == h_n[{layer * lay.D + d}] == ", delta, final_of=(layer, d))
               for (layer, d), delta in zip(pairs, lay.row_deltas, strict=True)]
    bf = facts.batch_first(cfg, state_dict, data, seed)
    other = f"batch_first={not cfg.batch_first}"
    checks += [
        Check(f"output.transpose(0, 1) == output[{other}]  # {bf.output_shape} ↔ {bf.flipped_output_shape}",
              bf.delta_output_transposed),
        Check(f"h_n == h_n[{other}], c_n == c_n[{other}]  # {bf.h_n_shape}, {bf.c_n_shape}", bf.delta_state),
    ]
    return Correspondences(checks, last)


# ------------------------------------------------------------------------------------ unbatched, packed
@dataclass(frozen=True)
class Form:
    """One input form's table and facts: ``form`` "unbatched" or "packed"."""

    form: str
    rep: object  # lstm_core.shapes report for this form
    lengths: list[int] | None  # packed only
    actual: dict | None  # real_shapes, or None when torch refused (``error`` says why)
    error: str | None
    unbatched: facts.UnbatchedFact | None = None
    padding: facts.PaddingFact | None = None


def form_facts(model, data: Tensor, form: str, lengths=None, seed: int = 0) -> Form:
    """The ``form`` tab: predicted vs real shapes, then `facts.unbatched` or `facts.padding` (with the input's
    own lengths when they vary, else example ones)."""
    return SHARED.get(("form_facts", model.config.kwargs(), model.state_dict(), data, form,
                       None if lengths is None else list(lengths), int(seed)),
                      lambda: _form_facts(model, data, form, lengths, seed))


def _form_facts(model, data: Tensor, form: str, lengths=None, seed: int = 0) -> Form:
    cfg = model.config
    batch_size, seq_len = int(data.shape[0]), int(data.shape[1])
    lens = facts.packed_lengths(batch_size, seq_len, lengths) if form == "packed" else None
    rep = shapes(cfg, batch_size=batch_size, seq_len=seq_len, form=form, lengths=lens)
    try:
        actual, error = real_shapes(model, rep, data, lens), None
    except (RuntimeError, ValueError) as err:  # torch refused the predicted h_0/c_0 or the input
        actual, error = None, str(err)
    sd = model.state_dict()
    if form == "unbatched":
        return Form(form, rep, None, actual, error, unbatched=facts.unbatched(cfg, sd, data, seed=seed))
    return Form(form, rep, lens, actual, error, padding=facts.padding(cfg, sd, data, lens, seed))

