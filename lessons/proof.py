"""Parity with ``torch.nn.LSTM``: run our engine and torch on the same weights and input, compare everything.

torch is the *reference* here, never a shortcut. What is compared (``compare``):

- the forward results ``output``, ``h_n``, ``c_n``;
- the gradients of a fixed scalar loss (random linear functional of output, h_n and c_n) with respect to
  the input, ``h0``, ``c0`` and every parameter.

Each row passes when ``max|Δ| <= tol * max(1, max|torch|)`` with ``tol`` 1e-5 in float32, 1e-10 in float64.

The engine is injectable (``engine=``: any class built like ``LSTM(**config.kwargs(), dtype=...)``), so a
test can pass a deliberately perturbed engine and watch the badge turn red. ``Case`` describes one random
configuration + input reproducibly (``random_cases``) and round-trips through a compact, URL-safe string
(``Case.encode``/``Case.decode``, the ``?case=`` of a link); a decoded case obeys the sidebar's limits
(`lstm_core.limits.check_limits`). Input layouts: `lessons.layout`; the dropout demonstration of the Proof
page: `lessons.facts.dropout`.
"""

from __future__ import annotations

import random
import re
import warnings
from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from lstm_core.limits import check_limits
from lstm_core.lstm import LSTMConfig
from lstm_core.shapes import FORMS

from .layout import model_input, state_shape

TOLERANCES = {torch.float32: 1e-5, torch.float64: 1e-10}
_FORM_CODE = {"batched": "b", "unbatched": "u", "packed": "p"}


def default_engine():
    """Our LSTM class (looked up at call time so the module imports without the engine's heavy parts)."""
    from lstm_core.lstm import LSTM

    return LSTM


# The engine `compare` uses when none is passed. Tests may monkeypatch this to inject a perturbed engine.
ENGINE = None


def engine_class(engine=None):
    """``engine`` when given, else `ENGINE` when a test set it, else our LSTM."""
    if engine is not None:
        return engine
    return ENGINE if ENGINE is not None else default_engine()


# ----------------------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Row:
    """One compared tensor: ``group`` is "forward" or "grad"; ``name`` e.g. "output", "weight_ih_l0"."""

    group: str
    name: str
    shape: tuple
    max_abs_diff: float
    max_abs_ref: float
    tol: float

    @property
    def bound(self) -> float:
        return self.tol * max(1.0, self.max_abs_ref)

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.bound  # NaN fails


@dataclass(frozen=True)
class Report:
    dtype: torch.dtype
    rows: tuple[Row, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.rows)

    @property
    def worst(self) -> Row:
        """The row with the largest |Δ| relative to its bound (the one closest to failing)."""
        return max(self.rows, key=lambda r: (not r.passed, r.max_abs_diff / r.bound))

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if not r.passed]


# ------------------------------------------------------------------------------------------------ core
def random_state(config: LSTMConfig, batch_size: int, unbatched: bool, seed: int, dtype=torch.float64):
    """Non-zero initial states (h0, c0) drawn from a seeded generator (scale 0.5)."""
    gen = torch.Generator().manual_seed(seed)
    hs, cs = state_shape(config, batch_size, unbatched)
    return (0.5 * torch.randn(hs, generator=gen, dtype=torch.float64).to(dtype),
            0.5 * torch.randn(cs, generator=gen, dtype=torch.float64).to(dtype))


def _quiet_build(cls, config: LSTMConfig, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer: torch warns, the comparison does not care
        return cls(**config.kwargs(), dtype=dtype)


def _run(model, config, x_bm, lengths, unbatched, h0, c0, loss_weights):
    """Forward + gradients of the fixed loss; returns (forward dict, grad dict) of detached tensors."""
    x = x_bm.detach().clone().requires_grad_(True)
    h = h0.detach().clone().requires_grad_(True)
    c = c0.detach().clone().requires_grad_(True)
    out, (h_n, c_n) = model(model_input(config, x, lengths, unbatched), (h, c))
    out_t = out.data if isinstance(out, PackedSequence) else out
    w_out, w_h, w_c = loss_weights(out_t.shape, h_n.shape, c_n.shape)
    loss = (out_t * w_out).sum() + (h_n * w_h).sum() + (c_n * w_c).sum()
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, [x, h, c, *params.values()], allow_unused=True)
    fwd = {"output": out_t.detach(), "h_n": h_n.detach(), "c_n": c_n.detach()}
    names = ["input", "h0", "c0", *params.keys()]
    grad = {n: (g.detach() if g is not None else torch.zeros_like(t))
            for n, g, t in zip(names, grads, [x, h, c, *params.values()], strict=True)}
    return fwd, grad


def _max_abs(t: Tensor) -> float:
    finite = t[~torch.isnan(t)]
    return finite.abs().max().item() if finite.numel() else 0.0


def _max_abs_diff(a: Tensor, b: Tensor) -> float:
    """max |a - b|, where NaN in both at the same place counts as equal (NaN anywhere else: NaN, a failure)."""
    both = torch.isnan(a) & torch.isnan(b)
    d = (a - b).abs().masked_fill(both, 0.0)
    return d.max().item() if d.numel() else 0.0


def compare(config: LSTMConfig, state_dict: dict, x_bm: Tensor, *, lengths=None, unbatched: bool = False,
            hx=None, dtype: torch.dtype = torch.float64, engine=None, seed: int = 0) -> Report:
    """Compare ``engine`` with ``torch.nn.LSTM`` on the same weights (``state_dict``) and input.

    x_bm: batch-major (B, T, I) input (B must be 1 when ``unbatched``); lengths: real lengths -> packed.
    hx: (h0, c0) in torch's layout, or None for seeded non-zero states (so their gradients are tested).
    Both models run in eval mode. ``seed`` fixes the states and the loss weights.
    """
    if unbatched and x_bm.shape[0] != 1:
        raise ValueError(f"unbatched input needs batch size 1, got {x_bm.shape[0]}")
    tol = TOLERANCES[dtype]
    sd = {k: v.detach().to(dtype) for k, v in state_dict.items()}
    ours = _quiet_build(engine_class(engine), config, dtype)
    ours.load_state_dict(sd)
    ref = _quiet_build(torch.nn.LSTM, config, dtype)
    ref.load_state_dict(sd)
    ours.eval()
    ref.eval()
    x_bm = x_bm.detach().to(dtype)
    if hx is None:
        h0, c0 = random_state(config, x_bm.shape[0], unbatched, seed, dtype)
    else:
        h0, c0 = (s.detach().to(dtype) for s in hx)

    def loss_weights(*shapes):
        gen = torch.Generator().manual_seed(seed + 1)
        return [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype) for s in shapes]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "LSTM with projections is not supported with oneDNN": fine on CPU
        f_ref, g_ref = _run(ref, config, x_bm, lengths, unbatched, h0, c0, loss_weights)
    f_our, g_our = _run(ours, config, x_bm, lengths, unbatched, h0, c0, loss_weights)
    rows = []
    for group, ref_d, our_d in (("forward", f_ref, f_our), ("grad", g_ref, g_our)):
        for name, r in ref_d.items():
            o = our_d.get(name)
            if o is None or o.shape != r.shape:
                diff = float("inf")
            else:
                diff = _max_abs_diff(o, r)
            ref_max = _max_abs(r)
            rows.append(Row(group, name, tuple(r.shape), diff, ref_max, tol))
    return Report(dtype, tuple(rows))


# ------------------------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """A reproducible comparison: configuration, input form and sizes, seed of weights, input and states."""

    config: LSTMConfig = field(default_factory=LSTMConfig)
    batch_size: int = 2
    seq_len: int = 5
    form: str = "batched"  # batched | unbatched | packed
    lengths: tuple[int, ...] | None = None  # packed only
    seed: int = 0

    def encode(self) -> str:
        """Compact URL-safe string, e.g. ``i3_h4_n2_b1_bf0_do0.25_bi1_p2_B2_T5_Fp_L5-3_s17``."""
        c = self.config
        parts = [f"i{c.input_size}", f"h{c.hidden_size}", f"n{c.num_layers}", f"b{int(c.bias)}",
                 f"bf{int(c.batch_first)}", f"do{c.dropout:g}", f"bi{int(c.bidirectional)}",
                 f"p{c.proj_size}", f"B{self.batch_size}", f"T{self.seq_len}", f"F{_FORM_CODE[self.form]}"]
        if self.lengths is not None:
            parts.append("L" + "-".join(str(n) for n in self.lengths))
        parts.append(f"s{self.seed}")
        return "_".join(parts)

    @classmethod
    def decode(cls, text: str) -> Case:
        """Inverse of `encode`; raises ValueError with a readable message on anything malformed."""
        fields = {}
        for part in str(text).strip().split("_"):
            m = re.fullmatch(r"(bf|bi|do|[ihnbpBTFLs])([0-9.\-a-z]+)", part)
            if not m or m.group(1) in fields:
                raise ValueError(f"cannot read case part {part!r} in {text!r}")
            fields[m.group(1)] = m.group(2)
        missing = {"i", "h", "n", "b", "bf", "do", "bi", "p", "B", "T", "F", "s"} - fields.keys()
        if missing:
            raise ValueError(f"case {text!r} lacks {', '.join(sorted(missing))}")
        try:
            config = LSTMConfig(input_size=int(fields["i"]), hidden_size=int(fields["h"]),
                                num_layers=int(fields["n"]), bias=fields["b"] == "1",
                                batch_first=fields["bf"] == "1", dropout=float(fields["do"]),
                                bidirectional=fields["bi"] == "1", proj_size=int(fields["p"]))
            form = {v: k for k, v in _FORM_CODE.items()}[fields["F"]]
            lengths = tuple(int(n) for n in fields["L"].split("-")) if "L" in fields else None
            case = cls(config, int(fields["B"]), int(fields["T"]), form, lengths, int(fields["s"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"cannot read case {text!r}: {exc}") from exc
        case.validate()
        return case

    def validate(self) -> None:
        """Raise ValueError when the case is not one torch accepts, `LimitError` (a ValueError) when it is
        larger than the sidebar allows (a link must not start a minute-long run)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.config.validate()
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {self.form!r}")
        if self.batch_size < 1 or self.seq_len < 1:
            raise ValueError("batch_size and seq_len must be at least 1")
        if self.form == "unbatched" and self.batch_size != 1:
            raise ValueError("an unbatched case has batch_size 1")
        if (self.form == "packed") != (self.lengths is not None):
            raise ValueError("lengths are given exactly for packed cases")
        if self.lengths is not None and (len(self.lengths) != self.batch_size
                                         or not all(1 <= n <= self.seq_len for n in self.lengths)):
            raise ValueError(f"lengths must be {self.batch_size} numbers in 1..{self.seq_len}")
        check_limits(self.config, self.batch_size, self.seq_len)  # LimitError: above what the sidebar allows

    def state_dict(self) -> dict:
        """The weights ``torch.manual_seed(seed); nn.LSTM(**kwargs)`` gives."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return _quiet_build(torch.nn.LSTM, self.config, torch.float64).state_dict()

    def input(self) -> Tensor:
        """The batch-major (B, T, I) float64 input, seeded; padded steps of packed sequences are zero."""
        gen = torch.Generator().manual_seed(self.seed + 7)
        x = torch.randn(self.batch_size, self.seq_len, self.config.input_size, generator=gen,
                        dtype=torch.float64)
        if self.lengths is not None:
            for b, n in enumerate(self.lengths):
                x[b, n:] = 0.0
        return x

    def run(self, dtype=torch.float64, engine=None) -> Report:
        return compare(self.config, self.state_dict(), self.input(), lengths=self.lengths,
                       unbatched=self.form == "unbatched", dtype=dtype, engine=engine, seed=self.seed)


def random_case(rng: random.Random) -> Case:
    """One case from the full space: layers, directions, batch_first, bias, dropout, proj_size, form."""
    hidden = rng.randint(1, 6)
    layers = rng.randint(1, 3)
    config = LSTMConfig(
        input_size=rng.randint(1, 5), hidden_size=hidden, num_layers=layers, bias=rng.random() < 0.8,
        batch_first=rng.random() < 0.5, dropout=rng.choice([0.0, 0.25, 0.5]) if layers > 1 else 0.0,
        bidirectional=rng.random() < 0.5,
        proj_size=rng.randint(1, hidden - 1) if hidden > 1 and rng.random() < 0.35 else 0)
    form = rng.choices(FORMS, weights=[2, 1, 1])[0]
    batch = 1 if form == "unbatched" else rng.randint(1, 3)
    seq_len = rng.randint(1, 6)
    lengths = None
    if form == "packed":
        lengths = [rng.randint(1, seq_len) for _ in range(batch)]
        lengths[rng.randrange(batch)] = seq_len  # the padded length is the longest real length
        lengths = tuple(lengths)
    return Case(config, batch, seq_len, form, lengths, rng.randrange(10_000))


def random_cases(n: int, seed: int = 0) -> list[Case]:
    """``n`` reproducible random cases (the same ``seed`` gives the same list)."""
    rng = random.Random(seed)
    return [random_case(rng) for _ in range(n)]


@dataclass
class Summary:
    """What "check many" reports: count, failures (case string + worst row), the worst |Δ| overall."""

    count: int = 0
    worst_diff: float = 0.0
    worst_case: str | None = None
    worst_row: Row | None = None
    failures: list[tuple[str, Row]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (case, error message): the run raised

    def add(self, case: Case, report: Report) -> None:
        self.count += 1
        worst = report.worst
        nan = worst.max_abs_diff != worst.max_abs_diff
        if self.worst_row is None or nan or worst.max_abs_diff > self.worst_diff:
            self.worst_diff, self.worst_case, self.worst_row = worst.max_abs_diff, case.encode(), worst
        if not report.passed:
            self.failures.append((case.encode(), worst))

    def add_error(self, case: Case, error: BaseException) -> None:
        self.count += 1
        self.errors.append((case.encode(), f"{type(error).__name__}: {error}"))

    @property
    def passed(self) -> bool:
        return self.count > 0 and not self.failures and not self.errors
