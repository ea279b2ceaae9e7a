"""Use the outputs: the heads the tutorials put on ``output``, ``h_n`` and ``c_n``, each as a chain of tensors.

Every function takes a `Run` (our engine's outputs on the app's model and input, brought to batch-major
``(B, T, D·H_out)`` with a real-step mask) and returns a small dataclass: the values, and a ``chain`` of
`Link` (name, shape, the operation that produced it) for the page to draw. Heads are small seeded Linear
layers (``torch.manual_seed``, global RNG restored). The mistakes are computed next to the right way.
torch + numpy only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lessons.layout import batch_major
from lstm_core import LSTMConfig

TAG_CLASSES = 3
SEQ_CLASSES = 2


@dataclass(frozen=True)
class Link:
    """One tensor of a chain: ``op`` is the operation that produced it from the previous link ('' first)."""

    name: str
    shape: tuple
    op: str = ""


@dataclass
class Run:
    config: LSTMConfig
    output: Tensor  # (B, T, D·H_out) batch-major, zeros at padded steps of a packed batch
    h_n: Tensor  # (num_layers·D, B, H_out)
    c_n: Tensor  # (num_layers·D, B, H)
    lengths: Tensor  # (B,) int64
    mask: Tensor  # (B, T) bool, True at real steps
    packed: bool
    raw_shape: tuple  # shape of what the model returned as output (packed: its .data)
    chain: list = field(default_factory=list)


def run(model, batch) -> Run:
    """Our engine on ``batch`` (an InputBatch) in the layout ``model.config`` expects."""
    cfg = model.config
    x = batch.model_input(cfg)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
    B, T = batch.batch_size, batch.seq_len
    packed = isinstance(out, PackedSequence)
    chain = [Link("input", tuple((x.data if packed else x).shape), "pack_padded_sequence" if packed else "")]
    if packed:
        raw = tuple(out.data.shape)
        chain.append(Link("output.data", raw, "lstm(input)"))
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        chain.append(Link("output", tuple(out.shape), "pad_packed_sequence(batch_first=True)"))
    else:
        raw = tuple(out.shape)
        chain.append(Link("output", raw, "lstm(input)"))
        if not cfg.batch_first:
            out = out.transpose(0, 1)
            chain.append(Link("output", tuple(out.shape), "output.transpose(0, 1)"))
    lengths = torch.tensor(batch.lengths if batch.lengths is not None else [T] * B, dtype=torch.int64)
    mask = torch.arange(T)[None, :] < lengths[:, None]
    return Run(cfg, out, h_n, c_n, lengths, mask, packed, raw, chain)


def seeded_linear(n_in: int, n_out: int, seed: int, dtype=torch.float32) -> nn.Linear:
    """``torch.manual_seed(seed); nn.Linear(n_in, n_out)`` without disturbing the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(n_in, n_out, dtype=dtype)


# ------------------------------------------------------------------------------------------ per-step tagging
@dataclass
class Tagging:
    logits: Tensor  # (B, T, C)
    tags: Tensor  # (B, T) argmax, -1 at padded steps
    chain: list


def tagging(r: Run, seed: int, classes: int = TAG_CLASSES) -> Tagging:
    width = r.output.size(-1)
    head = seeded_linear(width, classes, seed, r.output.dtype)
    with torch.no_grad():
        logits = head(r.output)  # (B, T, C): the Linear acts on the last axis, every step at once
    tags = logits.argmax(-1).masked_fill(~r.mask, -1)
    chain = [Link("output", tuple(r.output.shape)), Link("logits", tuple(logits.shape), f"Linear({width}, {classes})"),
             Link("tags", tuple(tags.shape), "logits.argmax(-1)")]
    return Tagging(logits, tags, chain)


# ------------------------------------------------------------------------------ sequence classification
@dataclass
class LastStep:
    right: Tensor  # (B, D·H_out): h_n[-1], or cat(h_n[-2], h_n[-1]) when bidirectional
    wrong: Tensor  # (B, D·H_out): output[:, -1]
    own_last: Tensor  # (B, D·H_out): output at each sequence's own last real step
    delta: float  # max |right - wrong|
    delta_forward: float  # the forward half only
    delta_backward: float  # the backward half only (0 when unidirectional)
    logits: Tensor  # (B, SEQ_CLASSES) Linear on `right`
    right_code: str
    chain: list


def last_step(r: Run, seed: int, classes: int = SEQ_CLASSES) -> LastStep:
    H = r.h_n.size(-1)
    bi = r.config.bidirectional
    right = torch.cat((r.h_n[-2], r.h_n[-1]), dim=-1) if bi else r.h_n[-1]
    wrong = r.output[:, -1]
    own_last = r.output[torch.arange(r.output.size(0)), r.lengths - 1]
    diff = (right - wrong).abs()
    head = seeded_linear(right.size(-1), classes, seed, right.dtype)
    with torch.no_grad():
        logits = head(right)
    code = "torch.cat((h_n[-2], h_n[-1]), dim=-1)" if bi else "h_n[-1]"
    chain = [Link("h_n", tuple(r.h_n.shape)), Link("features", tuple(right.shape), code),
             Link("logits", tuple(logits.shape), f"Linear({right.size(-1)}, {classes})")]
    return LastStep(right, wrong, own_last, float(diff.max()), float(diff[:, :H].max()),
                    float(diff[:, H:].max()) if bi else 0.0, logits, code, chain)


# ------------------------------------------------------------------------------------------------ pooling
@dataclass
class Pooling:
    mean: Tensor  # (B, D·H_out) masked: sum over real steps / length
    mean_plain: Tensor  # output.mean(1): padded zeros counted
    max: Tensor  # masked: padded steps excluded
    max_plain: Tensor  # output.max(1): padded zeros compete
    delta_mean: float
    delta_max: float
    chain: list


def pooling(r: Run) -> Pooling:
    m = r.mask.unsqueeze(-1)  # (B, T, 1)
    mean = (r.output * m).sum(1) / r.lengths[:, None].to(r.output.dtype)
    mx = r.output.masked_fill(~m, float("-inf")).amax(1)
    mean_plain, max_plain = r.output.mean(1), r.output.amax(1)
    chain = [Link("output", tuple(r.output.shape)), Link("mask", tuple(r.mask.shape), "arange(T) < lengths[:, None]"),
             Link("mean", tuple(mean.shape), "(output * mask).sum(1) / lengths"),
             Link("max", tuple(mx.shape), "output.masked_fill(~mask, -inf).amax(1)")]
    return Pooling(mean, mean_plain, mx, max_plain, float((mean - mean_plain).abs().max()),
                   float((mx - max_plain).abs().max()), chain)


# ---------------------------------------------------------------------------------------------- attention
@dataclass
class Attention:
    scores: Tensor  # (B, T) one score per step
    weights: Tensor  # (B, T) softmax over the real steps (0 at padded ones)
    context: Tensor  # (B, D·H_out) the weighted sum of output over time
    weights_plain: Tensor  # softmax over every step, padding included
    context_plain: Tensor
    weight_sums: Tensor  # (B,) each row of weights sums to 1
    delta: float  # max |context - context_plain|
    chain: list


def attention(r: Run, seed: int) -> Attention:
    width = r.output.size(-1)
    scorer = seeded_linear(width, 1, seed, r.output.dtype)
    with torch.no_grad():
        scores = scorer(r.output).squeeze(-1)  # (B, T)
    weights = torch.softmax(scores.masked_fill(~r.mask, float("-inf")), dim=1)
    context = (weights.unsqueeze(-1) * r.output).sum(1)  # (B, D·H_out)
    weights_plain = torch.softmax(scores, dim=1)
    context_plain = (weights_plain.unsqueeze(-1) * r.output).sum(1)
    chain = [Link("output", tuple(r.output.shape)),
             Link("scores", tuple(scores.shape), f"Linear({width}, 1), squeeze(-1)"),
             Link("weights", tuple(weights.shape), "softmax(scores.masked_fill(~mask, -inf), dim=1)"),
             Link("context", tuple(context.shape), "(weights.unsqueeze(-1) * output).sum(1)")]
    return Attention(scores, weights, context, weights_plain, context_plain, weights.sum(1),
                     float((context - context_plain).abs().max()), chain)


# ------------------------------------------------------------------------------------ bidirectional merge
@dataclass
class Merge:
    forward: Tensor  # (B, T, H_out)
    backward: Tensor
    concat: Tensor  # (B, T, 2·H_out)
    sum: Tensor  # (B, T, H_out)
    max: Tensor  # (B, T, H_out)
    widths: dict


def merge(r: Run) -> Merge | None:
    """None for a unidirectional model (nothing to merge)."""
    if not r.config.bidirectional:
        return None
    fwd, bwd = r.output.chunk(2, dim=-1)
    cat, total, mx = r.output, fwd + bwd, torch.maximum(fwd, bwd)
    return Merge(fwd, bwd, cat, total, mx, {"concat": cat.size(-1), "sum": total.size(-1), "max": mx.size(-1)})


# ---------------------------------------------------------------------------------------- encoder → decoder
@dataclass
class EncoderDecoder:
    decoder_config: LSTMConfig
    decoder_input: Tensor
    output: Tensor  # decoder output, in its layout
    h_n: Tensor
    c_n: Tensor
    expected_h: tuple  # what the decoder demands of h_0
    expected_c: tuple
    errors: dict  # "layers" / "directions" -> torch's own message for a mismatching decoder
    chain: list


def _torch_error(cfg: LSTMConfig, x: Tensor, hx) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = nn.LSTM(**cfg.kwargs(), dtype=x.dtype)
    try:
        ref(x, hx)
    except (RuntimeError, ValueError) as err:
        return f"{type(err).__name__}: {err}"
    return ""


def encoder_decoder(model, r: Run, seed: int, steps: int = 3) -> EncoderDecoder:
    """The encoder's (h_n, c_n) as h_0, c_0 of a decoder LSTM with the same layers, directions and widths."""
    enc = r.config
    dec = LSTMConfig(enc.input_size, enc.hidden_size, enc.num_layers, enc.bias, enc.batch_first, 0.0,
                     enc.bidirectional, enc.proj_size)
    decoder = dec.build(seed + 1, dtype=r.output.dtype).eval()
    B = r.output.size(0)
    gen = torch.Generator().manual_seed(seed + 2)
    y = torch.randn(B, steps, enc.input_size, generator=gen, dtype=r.output.dtype)
    y_in = batch_major(y, enc.batch_first)
    with torch.no_grad():
        out, (h, c) = decoder(y_in, (r.h_n, r.c_n))
    ld = dec.num_layers * dec.num_directions
    errors = {"layers": _torch_error(LSTMConfig(**(dec.kwargs() | {"num_layers": dec.num_layers + 1})), y_in,
                                     (r.h_n, r.c_n)),
              "directions": _torch_error(LSTMConfig(**(dec.kwargs() | {"bidirectional": not dec.bidirectional})),
                                         y_in, (r.h_n, r.c_n))}
    chain = [Link("(h_n, c_n)", (tuple(r.h_n.shape), tuple(r.c_n.shape))),
             Link("decoder output", tuple(out.shape), "decoder(y, (h_n, c_n))"),
             Link("(h_n, c_n)", (tuple(h.shape), tuple(c.shape)), "")]
    return EncoderDecoder(dec, y, out, h, c, (ld, B, dec.h_out), (ld, B, dec.hidden_size), errors, chain)
