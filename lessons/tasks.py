"""Four toy tasks that each teach a gate its job, generated on the fly from a seed (no downloads).

=============  =========================================================  ==============  ========
task           input x_t                                                  target          quality
=============  =========================================================  ==============  ========
memory         [value, marker]: the value to keep at t=0 (marker 1),      the first value R²
               then noise (marker 0)
sine           a noisy sine wave (random frequency and phase)             x_{t+1}, every  R²
                                                                          step
sentiment      fixed embeddings of the tokens of a short English or       positive /      accuracy
               Chinese phrase (assets/sentiment_corpus.json)              negative
adding         [value, marker]: random values in [0, 1], two of them      their sum       R²
               marked (one in each half) -- Hochreiter & Schmidhuber 1997
=============  =========================================================  ==============  ========

Every task fixes the model's configuration (input_size from the data), a readout head (``nn.Linear`` on
the right hidden state: the last real step's ``h_n`` of the last layer, or ``output`` at every step for
the forecaster), the loss and a quality metric (R² = 1 - MSE / Var(target): 0 is "predicts the mean",
1 is perfect; accuracy for the classifier). ``target_quality`` is what a short training run reaches.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from lessons.layout import batch_major, model_input
from lstm_core.lstm import LSTMConfig

CORPUS_PATH = Path(__file__).resolve().parent.parent / "assets" / "sentiment_corpus.json"
TASK_NAMES = ("memory", "sine", "sentiment", "adding")
EMBED_SEED = 0  # the sentiment task's token embeddings: sources.embed_token(token, input_size, EMBED_SEED)


@dataclass(frozen=True)
class TaskData:
    """One batch of a task. ``x`` is batch-major ``(B, T, I)``; ``lengths`` are real lengths (ragged batches)."""

    x: Tensor
    y: Tensor  # (B,) regression/class targets, or (B, T) for per-step targets
    lengths: list[int] | None = None
    tokens: list[list[str]] | None = None  # sentiment: the tokens of each sequence

    @property
    def batch_size(self) -> int:
        return self.x.shape[0]

    def model_input(self) -> Tensor | PackedSequence:
        """What an LSTM with ``batch_first=False`` takes: ``(T, B, I)``, or a PackedSequence when ragged."""
        return model_input(LSTMConfig(input_size=self.x.shape[-1], hidden_size=1), self.x, self.lengths)

    def subset(self, n: int) -> TaskData:
        """The first ``n`` sequences (trimmed to their longest real length)."""
        if self.lengths is None:
            return TaskData(self.x[:n], self.y[:n])
        lengths = self.lengths[:n]
        t = max(lengths)
        return TaskData(self.x[:n, :t], self.y[:n], lengths, self.tokens[:n] if self.tokens else None)


def _rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) % (2**63))


def r2_score(pred: Tensor, y: Tensor) -> float:
    """1 - MSE / Var(y) over every element."""
    pred, y = pred.detach().reshape(-1).double(), y.detach().reshape(-1).double()
    var = torch.var(y, unbiased=False)
    if var <= 0:
        return float("nan")
    return float(1 - torch.mean((pred - y) ** 2) / var)


class Task:
    """Base class: a task is a data generator plus a model configuration, readout, loss and metric."""

    name: str = ""
    input_size: int = 1
    output_size: int = 1
    per_step: bool = False  # the head reads every step's output (forecasting) instead of the final h
    metric: str = "r2"  # "r2" or "accuracy"
    target_quality: float = 0.9
    default_hidden: int = 8
    default_seq_len: int = 20
    default_steps: int = 300  # a training budget that reaches target_quality (tests/engine/test_tasks_train.py)
    default_lr: float = 0.01
    min_seq_len: int = 2
    max_seq_len: int = 60

    def __init__(self, seq_len: int | None = None):
        self.seq_len = int(seq_len) if seq_len else self.default_seq_len
        if not self.min_seq_len <= self.seq_len <= self.max_seq_len:
            raise ValueError(f"seq_len must be in [{self.min_seq_len}, {self.max_seq_len}], got {self.seq_len}")

    def __repr__(self):
        return f"{type(self).__name__}(seq_len={self.seq_len})"

    # -- model ---------------------------------------------------------------------------------------
    def config(self, hidden_size: int | None = None) -> LSTMConfig:
        return LSTMConfig(input_size=self.input_size, hidden_size=int(hidden_size or self.default_hidden))

    def head(self, config: LSTMConfig) -> nn.Linear:
        return nn.Linear(config.h_out, self.output_size)

    def features(self, output, h_n: Tensor) -> Tensor:
        """The hidden state the head reads: last layer's final h (real last step when packed) or every step."""
        if self.per_step:
            return batch_major(output, False)  # (T, B, H) -> (B, T, H)
        return h_n[-1]  # (B, H_out): last layer, forward direction (task models are unidirectional)

    def predict(self, model: nn.Module, head: nn.Module, data: TaskData) -> Tensor:
        output, (h_n, _) = model(data.model_input())
        out = head(self.features(output, h_n))
        return out.squeeze(-1) if self.output_size == 1 else out

    # -- objective -----------------------------------------------------------------------------------
    def loss(self, pred: Tensor, y: Tensor) -> Tensor:
        return nn.functional.mse_loss(pred, y)

    def quality(self, pred: Tensor, y: Tensor) -> float:
        return r2_score(pred, y)

    # -- data ----------------------------------------------------------------------------------------
    def sample(self, batch_size: int, seed: int) -> TaskData:
        raise NotImplementedError

    def target_series(self, data: TaskData) -> Tensor:
        """Per-sequence (B,) or per-step (B, T) quantity a "task unit" should track (see train.task_unit)."""
        return data.y.float()


class MemoryTask(Task):
    """Remember the value shown at t=0 through ``seq_len - 1`` steps of noise."""

    name = "memory"
    input_size = 2
    default_hidden = 8
    default_seq_len = 8  # longer needs more steps, or the forget-bias trick (Trainer(forget_bias=1))
    default_lr = 0.03
    target_quality = 0.95
    noise = 0.5
    marker_channel = 1  # x_t[1] = 1 marks the step to remember

    def sample(self, batch_size: int, seed: int) -> TaskData:
        g = _rng(seed)
        b, t = batch_size, self.seq_len
        value = torch.rand(b, generator=g) * 2 - 1  # U(-1, 1)
        x = torch.zeros(b, t, 2)
        x[:, 1:, 0] = torch.randn(b, t - 1, generator=g) * self.noise
        x[:, 0, 0] = value
        x[:, 0, 1] = 1.0  # marker: "this is the one to remember"
        return TaskData(x, value)


class SineTask(Task):
    """Next-step forecasting of noisy sine waves: at every step predict the next observed value."""

    name = "sine"
    input_size = 1
    per_step = True
    default_hidden = 16
    default_seq_len = 30
    default_steps = 200
    target_quality = 0.9
    noise = 0.1

    def sample(self, batch_size: int, seed: int) -> TaskData:
        g = _rng(seed)
        b, t = batch_size, self.seq_len
        freq = 0.15 + 0.45 * torch.rand(b, 1, generator=g)  # radians per step: periods of ~10 to ~40 steps
        phase = 2 * math.pi * torch.rand(b, 1, generator=g)
        steps = torch.arange(t + 1, dtype=torch.float32)
        wave = torch.sin(freq * steps + phase) + self.noise * torch.randn(b, t + 1, generator=g)
        return TaskData(wave[:, :t, None], wave[:, 1:])  # x_t -> x_{t+1}


@lru_cache(maxsize=1)
def load_corpus() -> tuple[tuple[str, str, int], ...]:
    """(text, lang, label) of every phrase; label 1 = positive, 0 = negative."""
    doc = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))
    return tuple((item["text"], item["lang"], int(item["label"])) for item in doc["items"])


class SentimentTask(Task):
    """Positive or negative? Short English and Chinese phrases, with negation and 虽然…但是… contrasts.

    Tokens are embedded with the stepper's fixed, seeded text embedding (``sources.embed_token``), so a
    model trained here reads the same vectors the Stepper's text input produces with seed ``EMBED_SEED``.
    """

    name = "sentiment"
    input_size = 8
    output_size = 2
    metric = "accuracy"
    default_hidden = 16
    default_seq_len = 0  # phrases have their own lengths
    default_steps = 150
    default_lr = 0.02
    target_quality = 0.95  # accuracy on the corpus it trained on: the lesson is the gates, not generalisation
    turn_tokens = ("but", "但")  # where a contrast turns: a verdict unit may learn to forget here

    def __init__(self, seq_len: int | None = None):
        self.seq_len = max(len(toks) for toks in self._tokens())

    @staticmethod
    @lru_cache(maxsize=1)
    def _tokens() -> tuple[tuple[str, ...], ...]:
        from .sources import tokenize

        return tuple(tuple(tokenize(text)) for text, _, _ in load_corpus())

    @staticmethod
    @lru_cache(maxsize=1)
    def _embedded() -> tuple[Tensor, Tensor, tuple[int, ...]]:
        from .sources import embed_token

        tokens = SentimentTask._tokens()
        longest = max(len(tl) for tl in tokens)
        x = np.zeros((len(tokens), longest, SentimentTask.input_size), dtype=np.float32)
        for b, tl in enumerate(tokens):
            for t, tok in enumerate(tl):
                x[b, t] = embed_token(tok, SentimentTask.input_size, EMBED_SEED)
        y = torch.tensor([label for _, _, label in load_corpus()])
        return torch.from_numpy(x), y, tuple(len(tl) for tl in tokens)

    def corpus_data(self, indices=None) -> TaskData:
        x, y, lengths = self._embedded()
        idx = list(range(len(lengths))) if indices is None else [int(i) for i in indices]
        lens = [lengths[i] for i in idx]
        t = max(lens)
        return TaskData(x[idx, :t].clone(), y[idx].clone(), lens, [list(self._tokens()[i]) for i in idx])

    def phrase_data(self, text: str) -> TaskData:
        """One phrase typed by the learner, embedded like the corpus (label unknown: -1)."""
        from .sources import embed_token, tokenize

        tokens = tokenize(text)[: self.max_seq_len]
        if not tokens:
            raise ValueError("no tokens")
        x = np.stack([embed_token(tok, self.input_size, EMBED_SEED) for tok in tokens]).astype(np.float32)
        return TaskData(torch.from_numpy(x)[None], torch.tensor([-1]), None, [tokens])

    def sample(self, batch_size: int, seed: int) -> TaskData:
        """``batch_size`` phrases drawn without replacement (the whole corpus when larger)."""
        n = len(load_corpus())
        order = torch.randperm(n, generator=_rng(seed))
        return self.corpus_data(order[: min(batch_size, n)].tolist())

    def loss(self, pred: Tensor, y: Tensor) -> Tensor:
        return nn.functional.cross_entropy(pred, y)

    def quality(self, pred: Tensor, y: Tensor) -> float:
        return float((pred.argmax(-1) == y).double().mean())


class AddingTask(Task):
    """The adding problem: output the sum of the two marked values (one marker in each half)."""

    name = "adding"
    input_size = 2
    default_hidden = 16
    default_seq_len = 10  # 20 needs ~600 steps; the learner can try longer with the slider
    default_steps = 400
    target_quality = 0.9
    marker_channel = 1  # x_t[1] = 1 marks the two values to add

    def sample(self, batch_size: int, seed: int) -> TaskData:
        g = _rng(seed)
        b, t = batch_size, self.seq_len
        values = torch.rand(b, t, generator=g)
        half = max(t // 2, 1)
        first = torch.randint(0, half, (b,), generator=g)
        second = torch.randint(half, t, (b,), generator=g) if t > 1 else first
        marks = torch.zeros(b, t)
        rows = torch.arange(b)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        y = values[rows, first] + values[rows, second] * (second != first)
        return TaskData(torch.stack([values, marks], dim=-1), y)


TASKS = {cls.name: cls for cls in (MemoryTask, SineTask, SentimentTask, AddingTask)}


def make_task(name: str, seq_len: int | None = None) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASK_NAMES)}")
    return TASKS[name](seq_len)
