"""Tutorial errors, each refuted live: the tutorial's code (adapted only as much as needed to run), run through
the real ``torch.nn.LSTM``, with torch's actual output or error message — torch + numpy only, no UI.

Each function returns an `Erratum`: the tutorial (its number; its title is ``ui.tutorials.tutorial_title``) and
its claim (as data), the snippet we run, what torch really produced (shapes, values, or the message of the
exception it raised) and the fix. The first four are here; the tutorials' recipes (multivariate series, IMDB,
variants, bidirectional by hand, ...) are in `lessons.errata_shapes` and
`lessons.errata_training`. `compute(key)` runs one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

KEYS = ("seed000_shapes", "seed003_h0", "seed004_pack_long", "seed004_unsqueeze", "seed000_bidir_shapes",
        "seed004_shared_weight", "seed004_torchtext", "seed004_variants", "seed001_two_lstm", "seed002_previous_layer",
        "exploding", "seed002_param_count", "seed004_hierarchical", "seed001_training", "seed004_tbptt")


@dataclass(frozen=True)
class Erratum:
    key: str
    seed: str  # which tutorial
    snippet: str  # the code we run (shown on the page)
    claimed: dict = field(default_factory=dict)  # what the tutorial says
    actual: dict = field(default_factory=dict)  # what torch gives
    error: str | None = None  # "<ExceptionType>: <torch's message>", when torch raises
    fix: str = ""  # the corrected code, when the fix is code


def _seeded_lstm(*args, seed: int = 0, **kwargs) -> nn.LSTM:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.LSTM(*args, **kwargs).eval()


def _randn(*shape, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def seed000_shapes() -> Erratum:
    """Seed 000 feeds torch.rand(10, 24, 100) to nn.LSTM(100, 16, num_layers=2) and prints output
    (24, 10, 16), h/c (2, 10, 16): it read the input as batch 10 of 24 steps. Time-major, it is 10 steps of
    batch 24."""
    snippet = ("x = torch.rand(10, 24, 100)\nlstm = nn.LSTM(100, 16, num_layers=2)\n"
               "output, (h, c) = lstm(x)\nprint(output.shape, h.shape, c.shape)")
    lstm = _seeded_lstm(100, 16, num_layers=2)
    with torch.no_grad():
        out, (h, c) = lstm(torch.rand(10, 24, 100, generator=torch.Generator().manual_seed(0)))
    return Erratum("seed000_shapes", "000", snippet,
                   claimed={"output": (24, 10, 16), "h": (2, 10, 16), "c": (2, 10, 16)},
                   actual={"output": tuple(out.shape), "h": tuple(h.shape), "c": tuple(c.shape)})


def _raised(fn) -> str:
    try:
        fn()
    except (RuntimeError, ValueError, TypeError) as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError("torch accepted the call")


def seed003_h0() -> Erratum:
    """Seed 003's example 3 builds h_0/c_0 for num_layers = 2 and hands them to a 1-layer LSTM."""
    snippet = ("lstm = nn.LSTM(input_size=256, hidden_size=512, batch_first=True)  # num_layers=1\n"
               "h_0 = torch.zeros(2, 4, 512)  # num_layers=2 in the tutorial\nc_0 = torch.zeros(2, 4, 512)\n"
               "output, (h_n, c_n) = lstm(torch.randn(4, 10, 256), (h_0, c_0))")
    lstm = _seeded_lstm(256, 512, batch_first=True)
    h0 = c0 = torch.zeros(2, 4, 512)
    message = _raised(lambda: lstm(_randn(4, 10, 256), (h0, c0)))
    right = torch.zeros(1, 4, 512)
    with torch.no_grad():
        _, (h_n, _) = lstm(_randn(4, 10, 256), (right, right))
    return Erratum("seed003_h0", "003", snippet, claimed={"h_0": (2, 4, 512)},
                   actual={"h_0": (1, 4, 512), "h_n": tuple(h_n.shape)}, error=message)


def seed004_pack_long() -> Erratum:
    """Seed 004 pads torch.tensor([1, 2, 3]) etc. (int64), packs them and calls the LSTM: torch raises."""
    snippet = ("sequences = [torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])]  # int64\n"
               "padded = nn.utils.rnn.pad_sequence(sequences, batch_first=True)\n"
               "lstm = nn.LSTM(input_size=1, hidden_size=3, batch_first=True)\n"
               "packed = pack_padded_sequence(padded.unsqueeze(-1), [3, 2, 1], batch_first=True,\n"
               "                              enforce_sorted=False)\nlstm(packed)")
    seqs = [torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])]
    padded = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    lstm = _seeded_lstm(1, 3, batch_first=True)

    def run(data):
        return lstm(pack_padded_sequence(data.unsqueeze(-1), [3, 2, 1], batch_first=True, enforce_sorted=False))

    message = _raised(lambda: run(padded))
    with torch.no_grad():
        _, (h_n, _) = run(padded.float())
    return Erratum("seed004_pack_long", "004", snippet, claimed={"dtype": str(padded.dtype)},
                   actual={"dtype": "torch.float32", "h_n": tuple(h_n.shape)}, error=message)


def seed004_unsqueeze(vocab: int = 20, embed: int = 4, hidden: int = 3, seed: int = 0) -> Erratum:
    """Tutorial 004's predict_sentiment does tensor.unsqueeze(1) — (seq_len, 1) — for a batch_first model,
    which then reads a batch of seq_len one-token sentences: for any sentence longer than one token the
    tutorial's own ``prediction.item()`` raises (one prediction per token); the layer's numbers differ too."""
    from .errata_shapes import _sentiment_model

    snippet = ("tensor = torch.LongTensor(indexed)            # one sentence of 4 tokens\n"
               "tensor = tensor.unsqueeze(1)                  # (4, 1): batch_first reads 4 sentences of 1 token\n"
               "prediction = torch.sigmoid(model(tensor))     # model: LSTMSentiment(..., batch_first=True)\n"
               "return prediction.item()")
    model = _sentiment_model(seed)
    indexed = torch.tensor([5, 9, 2, 7])
    with torch.no_grad():
        prediction = torch.sigmoid(model(indexed.unsqueeze(1)))
        one_token = torch.sigmoid(model(indexed[:1].unsqueeze(1))).item()  # one token: (1, 1) works either way
        right = torch.sigmoid(model(indexed.unsqueeze(0))).item()
    message = _raised(prediction.item)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        embedding = nn.Embedding(vocab, embed)
    lstm = _seeded_lstm(embed, hidden, batch_first=True, seed=seed)
    tokens = indexed
    with torch.no_grad():
        out_w, (h_w, _) = lstm(embedding(tokens.unsqueeze(1)))
        out_r, (h_r, _) = lstm(embedding(tokens.unsqueeze(0)))
    return Erratum("seed004_unsqueeze", "004", snippet,
                   claimed={"input": tuple(tokens.unsqueeze(1).shape), "output": tuple(out_w.shape),
                            "h_n": tuple(h_w.shape), "h_last": [round(float(v), 4) for v in h_w[-1, -1]],
                            "prediction": tuple(prediction.shape)},
                   actual={"input": tuple(tokens.unsqueeze(0).shape), "output": tuple(out_r.shape),
                           "h_n": tuple(h_r.shape), "h_last": [round(float(v), 4) for v in h_r[-1, 0]],
                           "delta": float((h_w[-1, -1] - h_r[-1, 0]).abs().max()), "right": round(right, 4),
                           "one_token": round(one_token, 4)},
                   error=message, fix="tensor = tensor.unsqueeze(0)   # (1, seq_len): one sentence, batch first")


def _functions() -> dict:
    from . import errata_shapes as S
    from . import errata_training as T

    recipes = (S.seed000_bidir_shapes, S.seed004_shared_weight, S.seed004_torchtext, T.seed004_variants,
               S.seed001_two_lstm, T.seed002_previous_layer, T.exploding, S.seed002_param_count,
               S.seed004_hierarchical, T.seed001_training, T.seed004_tbptt)
    return {f.__name__: f for f in (seed000_shapes, seed003_h0, seed004_pack_long, seed004_unsqueeze, *recipes)}


def compute(key: str) -> Erratum:
    """The erratum ``key`` (one of `KEYS`), computed now."""
    return _functions()[key]()


def all_errata() -> dict[str, Erratum]:
    return {key: compute(key) for key in KEYS}
