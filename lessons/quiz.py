"""The shape quiz: seeded random questions, a forgiving shape parser and a checker that names each mistake.

A question is an ``nn.LSTM`` configuration plus an input; the right answers are the shapes of the real
tensors a forward pass returns (``torch.nn.LSTM``, the thing the learner will type into their own code).
A wrong answer is explained by finding the smallest set of known misconceptions ("batch_first applies to
h_n", "output is H_out wide, not D·H_out", ...) whose shape formula reproduces the learner's shape exactly.
"""

from __future__ import annotations

import itertools
import random
import re
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from lstm_core.lstm import LSTMConfig

MAX_SEED = 999_999_999  # question seeds accepted from a link (?quiz_seed=)
TENSORS = ("output", "h_n", "c_n")

# Misconceptions, each a flag of the "belief" shape formula below; the key names its explanation.
MISTAKES = (
    "batch_first_output",  # batch_first read the other way round for input/output
    "output_directions",  # output is H_out wide instead of D·H_out
    "output_proj",  # output is hidden_size wide instead of proj_size
    "output_layers",  # output stacks all layers (num_layers·D·H_out)
    "state_batch_first",  # h_n/c_n laid out batch-first like the input
    "state_layers",  # first dim of h_n/c_n is D (layers forgotten)
    "state_directions",  # first dim of h_n/c_n is num_layers (directions forgotten)
    "state_width_directions",  # directions concatenated in the width of h_n/c_n instead of stacked
    "h_proj",  # h_n is hidden_size wide instead of proj_size
    "c_proj",  # c_n is proj_size wide instead of hidden_size
    "unbatched",  # a batch dimension of 1 added for an unbatched (2-D) input
    "state_all_steps",  # h_n/c_n given the shape of output (every time step)
)
RELEVANT = {
    "output": ("batch_first_output", "output_directions", "output_proj", "output_layers", "unbatched"),
    "h_n": ("state_batch_first", "state_layers", "state_directions", "state_width_directions", "h_proj",
            "unbatched", "state_all_steps"),
    "c_n": ("state_batch_first", "state_layers", "state_directions", "state_width_directions", "c_proj",
            "unbatched", "state_all_steps"),
}


class ShapeParseError(ValueError):
    """A typed shape that is not a list of positive integers. ``reason`` is an i18n key suffix."""

    def __init__(self, reason: str, text: str):
        self.reason, self.text = reason, text
        super().__init__(f"{reason}: {text!r}")


@dataclass(frozen=True)
class Question:
    seed: int
    config: LSTMConfig
    batch_size: int
    seq_len: int
    unbatched: bool = False

    @property
    def input_shape(self) -> tuple[int, ...]:
        c = self.config
        if self.unbatched:
            return (self.seq_len, c.input_size)
        if c.batch_first:
            return (self.batch_size, self.seq_len, c.input_size)
        return (self.seq_len, self.batch_size, c.input_size)

    def code(self) -> str:
        """The question as the code a learner would write."""
        c = self.config
        args = [f"input_size={c.input_size}", f"hidden_size={c.hidden_size}"]
        defaults = LSTMConfig()
        for name in ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"):
            if getattr(c, name) != getattr(defaults, name):
                args.append(f"{name}={getattr(c, name)!r}")
        return ("lstm = nn.LSTM(" + ", ".join(args) + ")\n"
                f"x = torch.randn{self.input_shape}\n"
                "output, (h_n, c_n) = lstm(x)")


def random_question(seed: int) -> Question:
    """A random configuration and input, reproducible from ``seed``; distinct sizes, so dims can be told
    apart."""
    rng = random.Random(seed)
    sizes = rng.sample(range(2, 13), 4)
    input_size, hidden_size, batch_size, seq_len = sizes
    if hidden_size < 3:
        hidden_size, input_size = input_size, hidden_size
    bidirectional = rng.random() < 0.5
    num_layers = rng.choice((1, 1, 2, 2, 3))
    rows = num_layers * (2 if bidirectional else 1)
    while batch_size in (rows, input_size, hidden_size, seq_len):  # keep h_n's (num_layers·D, B, ·) unambiguous
        batch_size += 1
    proj_size = 0
    if rng.random() < 0.3:
        proj_size = rng.choice([p for p in range(1, hidden_size) if p not in (batch_size, seq_len)] or [1])
    bias, batch_first = rng.random() < 0.85, rng.random() < 0.5
    dropout = rng.choice((0.0, 0.0, 0.2)) if num_layers > 1 else 0.0
    unbatched = rng.random() < 0.15
    level = level_of(seed)  # the same draws at every level; the lower levels switch the harder arguments off
    if level < 4:
        proj_size, unbatched, bias = 0, False, True
    if level < 3:
        num_layers, dropout = 1, 0.0
    if level < 2:
        bidirectional, batch_first = False, False
    if level < 4:  # keep h_n's (num_layers·D, B, ·) unambiguous for the simplified arguments too
        while batch_size in (num_layers * (2 if bidirectional else 1), input_size, hidden_size, seq_len):
            batch_size += 1
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
                     batch_first=batch_first, dropout=dropout, bidirectional=bidirectional, proj_size=proj_size)
    return Question(seed, cfg, batch_size, seq_len, unbatched=unbatched)


# Easy to hard: a question's level is its seed modulo LEVELS (so a seed alone reproduces it); the page moves a
# learner up one level every two answered questions.
LEVELS = 4  # 1: one layer, one direction, time-major · 2: + batch_first, bidirectional · 3: + layers, dropout
#             4: + proj_size, bias=False, unbatched input


def level_of(seed: int) -> int:
    return seed % LEVELS + 1


def level_after(answered: int) -> int:
    """The level of the next question after ``answered`` answered ones."""
    return min(LEVELS, 1 + answered // 2)


def seed_for(level: int, rng: random.Random | None = None) -> int:
    """A random question seed of ``level``."""
    rng = rng or random.Random()
    return rng.randrange((MAX_SEED + 1) // LEVELS) * LEVELS + (level - 1)


def true_shapes(q: Question) -> dict[str, tuple[int, ...]]:
    """Shapes of the tensors ``torch.nn.LSTM`` really returns for the question (a real forward pass)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(q.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lstm = nn.LSTM(**q.config.kwargs()).eval()
            with torch.no_grad():
                out, (h, c) = lstm(torch.randn(q.input_shape))
    return {"output": tuple(out.shape), "h_n": tuple(h.shape), "c_n": tuple(c.shape)}


def parse_shape(text: str) -> tuple[int, ...]:
    """Accept ``(5, 2, 12)``, ``5,2,12``, ``[5, 2, 12]``, ``torch.Size([5, 2, 12])``, ``5 2 12``, ``5x2x12``,
    full-width punctuation (``（5，2，12）``). Raise `ShapeParseError` otherwise."""
    s = (text or "").strip()
    if not s:
        raise ShapeParseError("empty", text)
    s = s.translate(str.maketrans("（）【】［］，、", "()[][],,"))
    s = re.sub(r"^\s*torch\s*\.\s*Size\s*", "", s, flags=re.IGNORECASE)
    s = s.strip().strip("()[]").strip()
    if not s:
        raise ShapeParseError("empty", text)
    s = re.sub(r"\s*,\s*$", "", s)  # a trailing comma, as in Python's (24,)
    parts = re.split(r"\s*[,×xX*]\s*|\s+", s)
    dims = []
    for p in parts:
        if not re.fullmatch(r"[+-]?\d+", p):
            raise ShapeParseError("not_int", text)
        v = int(p)
        if v <= 0:
            raise ShapeParseError("not_positive", text)
        dims.append(v)
    if not dims:
        raise ShapeParseError("empty", text)
    return tuple(dims)


def believed_shape(q: Question, tensor: str, beliefs: frozenset[str]) -> tuple[int, ...]:
    """The shape someone holding these misconceptions would predict (no beliefs: the true formula)."""
    c = q.config
    n_l, n_d, hid, p = c.num_layers, c.num_directions, c.hidden_size, c.proj_size
    b, t = q.batch_size, q.seq_len
    batch: tuple[int, ...] = ((1,) if "unbatched" in beliefs else ()) if q.unbatched else (b,)
    if tensor == "output":
        width = p if p and "output_proj" not in beliefs else hid
        width *= 1 if "output_directions" in beliefs else n_d
        width *= n_l if "output_layers" in beliefs else 1
        bf = c.batch_first != ("batch_first_output" in beliefs)
        if q.unbatched:
            return (t, *batch, width)
        return (*batch, t, width) if bf else (t, *batch, width)
    rows = (1 if "state_layers" in beliefs else n_l) * (1 if "state_directions" in beliefs else n_d)
    if tensor == "h_n":
        width = p if p and "h_proj" not in beliefs else hid
    else:
        width = p if p and "c_proj" in beliefs else hid
    if "state_all_steps" in beliefs:  # h_n taken for output: every step, directions concatenated
        if q.unbatched:
            return (t, n_d * width)
        return (b, t, n_d * width) if c.batch_first else (t, b, n_d * width)
    width *= n_d if "state_width_directions" in beliefs else 1
    if "state_batch_first" in beliefs and not q.unbatched:
        return (b, rows, width)
    return (rows, *batch, width)


def explain(q: Question, tensor: str, given: tuple[int, ...]) -> list[str]:
    """The smallest set of misconceptions that turns the true shape into ``given`` (empty when no set does).
    Only misconceptions that change the shape for this question are considered."""
    truth = believed_shape(q, tensor, frozenset())
    active = [m for m in RELEVANT[tensor] if believed_shape(q, tensor, frozenset({m})) != truth]
    for k in range(1, min(len(active), 4) + 1):
        for combo in itertools.combinations(active, k):
            if believed_shape(q, tensor, frozenset(combo)) == tuple(given):
                return list(combo)
    return []


@dataclass
class TensorCheck:
    tensor: str
    expected: tuple[int, ...]
    given: tuple[int, ...] | None = None
    parse_error: str | None = None  # ShapeParseError.reason
    mistakes: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.given is not None and tuple(self.given) == tuple(self.expected)


def check(q: Question, answers: dict[str, str]) -> dict[str, TensorCheck]:
    """Check the learner's typed shapes against the real tensors' shapes, naming each mistake."""
    truth = true_shapes(q)
    result = {}
    for name in TENSORS:
        tc = TensorCheck(name, truth[name])
        try:
            tc.given = parse_shape(answers.get(name, ""))
        except ShapeParseError as e:
            tc.parse_error = e.reason
        if tc.given is not None and not tc.correct:
            tc.mistakes = explain(q, name, tc.given)
            if not tc.mistakes:
                tc.mistakes = ["rank"] if len(tc.given) != len(tc.expected) else ["other"]
        result[name] = tc
    return result


def symbols(q: Question) -> dict[str, int]:
    """The letters the explanations use, with this question's values."""
    c = q.config
    return {"L": c.num_layers, "D": c.num_directions, "B": q.batch_size, "T": q.seq_len, "I": c.input_size,
            "H": c.hidden_size, "P": c.proj_size, "H_out": c.h_out, "LD": c.num_layers * c.num_directions,
            "DH_out": c.num_directions * c.h_out}


def formula(q: Question, tensor: str) -> str:
    """The rule for one tensor's shape, symbolic then numeric, e.g. ``(num_layers·D, B, H_out) = (2, 3, 5)``."""
    c = q.config
    width = {"output": "D·H_out", "h_n": "H_out", "c_n": "H"}[tensor]
    if tensor == "output":
        dims = ["T", width] if q.unbatched else (["B", "T", width] if c.batch_first else ["T", "B", width])
    else:
        dims = ["num_layers·D", width] if q.unbatched else ["num_layers·D", "B", width]
    return f"({', '.join(dims)}) = {believed_shape(q, tensor, frozenset())}"
