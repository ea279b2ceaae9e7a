"""Sentiment, the tutorials' way: Embedding(padding_idx=0) → 2-layer bidirectional LSTM (ours) on packed
sequences → cat(h_n[-2], h_n[-1]) → Linear, trained on the bundled bilingual corpus; a bag-of-words
baseline on the same split; per-token cell readings for a typed sentence. torch + numpy only.

Training is shared by a class (lessons.jobs): ``run_key`` names a run by all its inputs, ``train_job`` runs it in
a worker process, ``load_state`` takes its result back into a session's trainer.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from lessons.jobs import digest
from lessons.sources import tokenize
from lstm_core import LSTM, trace

CORPUS = Path(__file__).resolve().parent.parent / "assets" / "sentiment_corpus_large.json"
PAD, UNK = "<pad>", "<unk>"
CONTRAST = ("but", "although", "但", "可")  # the tokens where the later clause takes over
TARGET = 0.85


@lru_cache(maxsize=1)
def load() -> tuple[tuple[str, int, str, str], ...]:
    items = json.loads(CORPUS.read_text(encoding="utf-8"))["items"]
    return tuple((it["text"], int(it["label"]), it["lang"], it["kind"]) for it in items)


@dataclass(frozen=True)
class Split:
    vocab: dict  # token -> id; 0 = <pad>, 1 = <unk>
    train: list  # [(ids, label, kind)]
    test: list


@lru_cache(maxsize=1)
def held_out_marks() -> tuple[bool, ...]:
    """Per item of the corpus: held out by the corpus itself (``"split": "test"``, structures never trained on
    among them; `scripts/make_sentiment_corpus.py`)."""
    items = json.loads(CORPUS.read_text(encoding="utf-8"))["items"]
    return tuple(it.get("split") == "test" for it in items)


def split(seed: int = 0, held_out: float = 0.2) -> Split:
    """The corpus's own train / held-out split when it has one (else a seeded random one); the vocabulary comes
    from the training part only."""
    items = list(load())
    marks = held_out_marks()
    if any(marks):
        test_items = [it for it, m in zip(items, marks, strict=True) if m]
        train_items = [it for it, m in zip(items, marks, strict=True) if not m]
    else:
        order = torch.randperm(len(items), generator=torch.Generator().manual_seed(seed)).tolist()
        n_test = int(len(items) * held_out)
        test_items, train_items = [items[i] for i in order[:n_test]], [items[i] for i in order[n_test:]]
    vocab = {PAD: 0, UNK: 1}
    for text, *_ in train_items:
        for tok in tokenize(text.lower()):
            vocab.setdefault(tok, len(vocab))
    enc = lambda rows: [(encode(vocab, text), label, kind) for text, label, _, kind in rows]  # noqa: E731
    return Split(vocab, enc(train_items), enc(test_items))


def encode(vocab: dict, text: str) -> list[int]:
    return [vocab.get(tok, 1) for tok in tokenize(text.lower())] or [1]


def batch_tensors(rows) -> tuple[Tensor, Tensor, Tensor]:
    """ids (B, T) zero-padded, lengths (B,), labels (B,)."""
    lengths = torch.tensor([len(r[0]) for r in rows])
    ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.int64)
    for b, r in enumerate(rows):
        ids[b, : len(r[0])] = torch.tensor(r[0])
    return ids, lengths, torch.tensor([r[1] for r in rows])


class Classifier(nn.Module):
    """Embedding(vocab, E, padding_idx=0) → LSTM(E, H, 2 layers, bidirectional, dropout) → cat(h_n[-2], h_n[-1])
    → Linear(2H, 2), with batch_first ids."""

    def __init__(self, vocab_size: int, embed: int = 16, hidden: int = 24, dropout: float = 0.2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        self.lstm = LSTM(embed, hidden, num_layers=2, bidirectional=True, dropout=dropout, batch_first=True)
        self.fc = nn.Linear(2 * hidden, 2)

    def features(self, ids: Tensor, lengths: Tensor | None, packed: bool = True) -> Tensor:
        x = self.embedding(ids)  # (B, T, E)
        inp = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) if packed else x
        _, (h_n, _) = self.lstm(inp)
        return torch.cat((h_n[-2], h_n[-1]), dim=-1)  # (B, 2H): top layer, forward and backward final states

    def forward(self, ids: Tensor, lengths: Tensor | None, packed: bool = True) -> Tensor:
        return self.fc(self.features(ids, lengths, packed))


def accuracy(model: nn.Module, rows, packed: bool = True) -> float:
    model.eval()
    with torch.no_grad():
        ids, lengths, labels = batch_tensors(rows)
        return float((model(ids, lengths, packed).argmax(-1) == labels).double().mean())


@dataclass
class Trainer:
    """Resumable training: ``advance(n)`` runs n more Adam steps on seeded batches; the state stays here."""

    data: Split
    seed: int = 0
    batch: int = 64
    lr: float = 0.01
    step: int = 0
    losses: list = field(default_factory=list)
    model: Classifier = None
    opt: torch.optim.Optimizer = None

    def __post_init__(self):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.model = Classifier(len(self.data.vocab))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)

    def advance(self, n: int = 1) -> None:
        self.model.train()
        for _ in range(n):
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.step)
            pick = torch.randint(len(self.data.train), (self.batch,), generator=gen).tolist()
            ids, lengths, labels = batch_tensors([self.data.train[i] for i in pick])
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed + self.step)  # dropout masks, seeded per step
                loss = nn.functional.cross_entropy(self.model(ids, lengths), labels)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.losses.append(float(loss.detach()))
            self.step += 1
        self.model.eval()

    def scores(self) -> dict:
        return {"train": accuracy(self.model, self.data.train), "test": accuracy(self.model, self.data.test)}

    def state(self) -> dict:
        """Everything the next step depends on besides data, seed, batch and lr: weights, Adam, step, losses."""
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "step": self.step,
                "losses": list(self.losses)}


# ------------------------------------------------------------------------------------ shared training runs
def state_bytes(tr: Trainer) -> bytes:
    buf = io.BytesIO()
    torch.save(tr.state(), buf)
    return buf.getvalue()


def load_state(tr: Trainer, blob: bytes) -> None:
    """Put a state from ``state_bytes`` (same data and seed) into ``tr``: it resumes exactly there."""
    state = torch.load(io.BytesIO(blob), weights_only=True)
    tr.model.load_state_dict(state["model"])
    tr.opt.load_state_dict(state["optimizer"])
    tr.step = int(state["step"])
    tr.losses[:] = state["losses"]
    tr.model.eval()


def data_digest(data: Split) -> str:
    """The digest of a split (vocabulary, training and held-out rows): the corpus is an input of every run."""
    return digest("split", data.vocab, data.train, data.test)


def run_key(tr: Trainer, n_steps: int, data_key: str | None = None) -> str:
    """The digest of every input of ``n_steps`` more steps: the data, seed, batch, lr and the whole state."""
    return digest("sentiment", data_key or data_digest(tr.data), tr.seed, tr.batch, tr.lr, int(n_steps),
                  tr.state())


def train_job(progress, data: Split, seed: int, batch: int, lr: float, start: bytes, n_steps: int,
              chunk: int = 5) -> dict:
    """A worker's run: ``n_steps`` from ``start`` in chunks, reporting (losses, []) and the state so far; stops
    early when cancelled. Returns the final state with its scores (computed once for every follower)."""
    tr = Trainer(data, seed=seed, batch=batch, lr=lr)
    load_state(tr, start)
    first, end = tr.step, tr.step + int(n_steps)
    while tr.step < end and not progress.cancelled():
        seen = len(tr.losses)
        tr.advance(min(int(chunk), end - tr.step))
        progress.report(tr.step - first, (tr.losses[seen:], []), state_bytes(tr))
    if tr.step < end:
        return {"state": state_bytes(tr), "scores": None}
    return {"state": state_bytes(tr), "scores": (tr.step, tr.scores(), by_kind(tr.model, tr.data.test))}


def warm() -> None:
    """A worker's first run loads what training needs, before a learner waits."""
    Trainer(split(0), seed=0).advance(1)


def by_kind(model: nn.Module, rows) -> dict:
    kinds = sorted({r[2] for r in rows})
    return {k: accuracy(model, [r for r in rows if r[2] == k]) for k in kinds}


# -------------------------------------------------------------------------------------- bag of words
def bag_of_words(data: Split, steps: int = 300, seed: int = 0) -> dict:
    """Logistic regression on token counts (order thrown away), trained full-batch with Adam on the same split."""
    V = len(data.vocab)

    def counts(rows):
        ids, _, labels = batch_tensors(rows)
        x = torch.zeros(len(rows), V).scatter_add_(1, ids, torch.ones(ids.shape))
        x[:, 0] = 0  # padding is not a word
        return x, labels

    xtr, ytr = counts(data.train)
    xte, yte = counts(data.test)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lin = nn.Linear(V, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(lin(xtr), ytr)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = lambda x, y: float((lin(x).argmax(-1) == y).double().mean())  # noqa: E731
        kinds = sorted({r[2] for r in data.test})
        per = {k: acc(*counts([r for r in data.test if r[2] == k])) for k in kinds}
        return {"train": acc(xtr, ytr), "test": acc(xte, yte), "by_kind": per}


# --------------------------------------------------------------------------------- reading a sentence
@dataclass
class Reading:
    tokens: list
    ids: list
    probs: Tensor  # (2,) softmax: negative, positive
    values: dict  # (layer, direction) -> {"c"|"h"|"i"|"f"|"g"|"o": (T, H) numpy}
    contrast_step: int | None  # index of the first contrast token, if any
    ranking: list  # units of layer 0 forward, by |Δh| at the contrast step, largest first


def read(model: Classifier, vocab: dict, text: str) -> Reading:
    tokens = tokenize(text.lower()) or [UNK]
    ids = encode(vocab, text)
    model.eval()
    with torch.no_grad():
        x = model.embedding(torch.tensor([ids]))  # (1, T, E)
        probs = torch.softmax(model(torch.tensor([ids]), torch.tensor([len(ids)])), -1)[0]
        tr = trace(model.lstm, x)
    values = {}
    for key, lt in tr.layers.items():
        values[key] = {q: getattr(lt, q)[:, 0].detach().numpy() for q in ("c", "h", "i", "f", "g", "o")}
    step = next((k for k, tok in enumerate(tokens) if tok in CONTRAST), None)
    ranking = []
    if step is not None:
        h = values[0, 0]["h"]
        prev = h[step - 1] if step > 0 else 0 * h[0]
        delta = abs(h[step] - prev)
        ranking = [int(u) for u in (-delta).argsort()]
    return Reading(tokens, ids, probs, values, step, ranking)


@dataclass(frozen=True)
class Embedded:
    """A typed sentence as the classifier's LSTM reads it: what "use this LSTM on every page" hands the app."""

    text: str
    tokens: list  # as typed (lower-cased); unknown ones are read as <unk>
    ids: list
    x: Tensor  # (1, T, E) float32, batch-major: the Embedding's output for `ids`, the LSTM's input


def embed_sentence(model: Classifier, vocab: dict, text: str) -> Embedded:
    """The Embedding's output for the sentence's tokens: the same tokens and ids as `read` uses."""
    tokens = tokenize(text.lower()) or [UNK]
    ids = encode(vocab, text)
    with torch.no_grad():
        x = model.embedding(torch.tensor([ids])).detach().to(torch.float32).clone()
    return Embedded(text, tokens, ids, x)


def lstm_weights(model: Classifier) -> tuple[dict, object]:
    """The classifier's LSTM alone: (state_dict with torch.nn.LSTM's names, its LSTMConfig)."""
    return {k: v.detach().clone() for k, v in model.lstm.state_dict().items()}, model.lstm.config


def packed_vs_padded(model: Classifier, vocab: dict, texts: list[str]) -> dict:
    """Logits of a ragged batch run packed and run as plain zero-padded steps (padding read as real input)."""
    rows = [(encode(vocab, s), 0, "") for s in texts]
    ids, lengths, _ = batch_tensors(rows)
    model.eval()
    with torch.no_grad():
        packed = torch.softmax(model(ids, lengths, packed=True), -1)[:, 1]
        padded = torch.softmax(model(ids, lengths, packed=False), -1)[:, 1]
        alone = torch.stack([torch.softmax(model(ids[b:b + 1, :n], lengths[b:b + 1]), -1)[0, 1]
                             for b, n in enumerate(lengths.tolist())])
    return {"lengths": lengths.tolist(), "packed": packed, "padded": padded, "alone": alone}
