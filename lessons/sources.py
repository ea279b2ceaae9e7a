"""Input sequences for the explorer: seeded random, sine waves, text embeddings and CSV numbers.

Every builder returns an :class:`InputBatch` (batch-major ``(B, T, I)`` float tensor,
optional per-sequence ``lengths`` for ragged batches, optional token ``labels``). Nothing here imports
streamlit: the UI translates :class:`InputError` through its ``key`` and ``params``.

CSV format (decided here, documented in the app):

* one row per timestep, one column per input feature (``input_size`` columns), comma, semicolon or tab
  separated; an optional header row whose cells are all non-numeric is skipped;
* a batch is written as blocks of rows separated by one or more blank lines -- block ``b`` is sequence ``b``;
* blocks may have different numbers of rows: the batch is then ragged, shorter sequences are zero-padded
  to the longest and their real lengths go to ``InputBatch.lengths`` (the engine runs them packed).
"""
from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from lessons.layout import model_input
from lstm_core import limits

FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028e38: larger numbers become inf in the model

# Upper bound on the raw CSV text we accept before even parsing it (characters; same cap as uploads).
MAX_CSV_CHARS = limits.MAX_UPLOAD_BYTES

# English templates of every InputError key; the UI shows the translated catalog entry instead.
MESSAGES = {
    "inputs.err.empty": "The input is empty: expected at least one row of {input_size} numbers.",
    "inputs.err.columns": "Row {row} has {found} values; expected {input_size} (one per input feature, "
                          "input_size = {input_size}).",
    "inputs.err.not_number": "Row {row}, column {col}: '{value}' is not a number; expected {input_size} "
                             "numbers per row.",
    "inputs.err.not_finite": "Row {row}, column {col}: {value} is not a finite number (NaN and Inf are not "
                             "allowed).",
    "inputs.err.out_of_range": "Row {row}, column {col}: {value} is beyond float32's range (±{limit:.4g}); the "
                               "model computes in float32, where it would become infinite.",
    "inputs.err.encoding": "The file is not UTF-8 text (byte 0x{byte} at position {position} is not valid "
                           "UTF-8); save it as a UTF-8 CSV file.",
    "inputs.err.binary": "The file contains a NUL byte at position {position}: it is not a text (CSV) file.",
    "inputs.err.sine_range": "These sine parameters give values beyond float32's range (±{limit:.4g}); use "
                             "smaller numbers.",
    "inputs.err.too_long": "A sequence has {found} timesteps; at most {limit} are allowed.",
    "inputs.err.too_many_seqs": "{found} sequences given; at most {limit} are allowed (batch size limit).",
    "inputs.err.too_big": "The input is too large ({found} characters); at most {limit} are allowed.",
    "inputs.err.too_many_values": "{found} values in total; at most {limit} are allowed.",
    "inputs.err.no_tokens": "The text has no tokens: type at least one word or character.",
    "inputs.err.bad_list": "'{value}' is not a list of numbers (expected e.g. 1, 0.5, 2).",
    "inputs.err.input_size": "input_size {found} is not supported here; expected 1 to {limit}.",
    "inputs.err.lengths_count": "{found} lengths given for {batch_size} sequences; expected one length per "
                                "sequence (batch_size = {batch_size}).",
    "inputs.err.lengths_range": "Length '{value}' is not allowed; expected whole numbers from 1 to seq_len = "
                                "{seq_len}.",
}


@dataclass
class InputBatch:
    """``data`` (B, T, I), batch-major whatever the model's batch_first; ``lengths`` per sequence when ragged
    (run as a PackedSequence); ``labels`` name the timesteps (e.g. tokens of a sentence)."""

    data: Tensor
    lengths: list[int] | None = None
    labels: list[str] | None = None

    @property
    def batch_size(self) -> int:
        return self.data.size(0)

    @property
    def seq_len(self) -> int:
        return self.data.size(1)

    def model_input(self, cfg) -> Tensor | PackedSequence:
        """The tensor (or PackedSequence) in the layout a model with configuration ``cfg`` expects."""
        return model_input(cfg, self.data, self.lengths)


class InputError(ValueError):
    """Bad user input. ``key`` is an i18n key (area ``inputs``), ``params`` fill its placeholders."""

    def __init__(self, key: str, **params):
        self.key = key
        self.params = params
        template = MESSAGES.get(key, key)  # a key without an English template still reads, never crashes
        super().__init__(template.format(**params) if key in MESSAGES else key)


def _batch(data: torch.Tensor, lengths=None, labels=None):
    return InputBatch(data=data, lengths=lengths, labels=labels)


def _check_shape(batch_size: int, seq_len: int, input_size: int) -> None:
    if batch_size > limits.MAX_BATCH_SIZE:
        raise InputError("inputs.err.too_many_seqs", found=batch_size, limit=limits.MAX_BATCH_SIZE)
    if seq_len > limits.MAX_SEQ_LEN:
        raise InputError("inputs.err.too_long", found=seq_len, limit=limits.MAX_SEQ_LEN)
    if not 1 <= input_size <= limits.MAX_INPUT_SIZE:
        raise InputError("inputs.err.input_size", found=input_size, limit=limits.MAX_INPUT_SIZE)


# --------------------------------------------------------------------------------------------- random
def random_data(batch_size: int, seq_len: int, input_size: int, seed: int) -> torch.Tensor:
    """Standard-normal ``(B, T, I)`` values from a private generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randn(batch_size, seq_len, input_size, generator=gen)


def random_batch(batch_size: int, seq_len: int, input_size: int, seed: int):
    _check_shape(batch_size, seq_len, input_size)
    return _batch(random_data(batch_size, seq_len, input_size, seed))


# ----------------------------------------------------------------------------------------------- sine
def parse_number_list(text: str | Sequence[float]) -> list[float]:
    """``"1, 0.5 2"`` -> ``[1.0, 0.5, 2.0]``; raises InputError(inputs.err.bad_list)."""
    if not isinstance(text, str):
        return [float(v) for v in text]
    parts = [p for p in re.split(r"[,\s;，、]+", text.strip()) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError("inputs.err.bad_list", value=text) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise InputError("inputs.err.bad_list", value=text)
    return values


def _per_feature(values: Sequence[float], input_size: int) -> np.ndarray:
    """Cycle a short list over the features: [1, 2] with input_size 5 -> [1, 2, 1, 2, 1]."""
    return np.resize(np.asarray(values, dtype=np.float64), input_size)


def sine_data(batch_size: int, seq_len: int, input_size: int, freq, phase, noise, seed: int) -> np.ndarray:
    """x[b, t, k] = sin(2*pi*freq_k*t/seq_len + phase_k + b*pi/4) + noise_k * N(0, 1).

    ``freq`` is in cycles per sequence (1 = one full period over seq_len steps), ``phase`` in radians,
    ``noise`` the standard deviation of added Gaussian noise. Each may be one number or a list that is
    cycled over the features. Batch element b is shifted by b*pi/4 so the sequences differ.
    """
    f = _per_feature(parse_number_list(freq) if isinstance(freq, str) else np.atleast_1d(freq), input_size)
    p = _per_feature(parse_number_list(phase) if isinstance(phase, str) else np.atleast_1d(phase), input_size)
    n = _per_feature(parse_number_list(noise) if isinstance(noise, str) else np.atleast_1d(noise), input_size)
    t = np.arange(seq_len, dtype=np.float64)[None, :, None]
    b = np.arange(batch_size, dtype=np.float64)[:, None, None]
    clean = np.sin(2 * np.pi * f * t / max(seq_len, 1) + p + b * np.pi / 4)
    rng = np.random.default_rng(int(seed))
    return clean + n * rng.standard_normal((batch_size, seq_len, input_size))


def sine_batch(batch_size: int, seq_len: int, input_size: int, freq=1.0, phase=0.0, noise=0.0, seed: int = 0):
    _check_shape(batch_size, seq_len, input_size)
    with np.errstate(all="ignore"):
        data = sine_data(batch_size, seq_len, input_size, freq, phase, noise, seed)
    if not np.all(np.abs(data) <= FLOAT32_MAX):  # huge noise (or NaN from inf * 0) would be inf in float32
        raise InputError("inputs.err.sine_range", limit=FLOAT32_MAX)
    return _batch(torch.tensor(data, dtype=torch.float32))


# ------------------------------------------------------------------------------------ ragged lengths
def parse_lengths(text: str, batch_size: int, seq_len: int) -> list[int] | None:
    """``"5, 3"`` -> [5, 3]: one real length per sequence (1..seq_len); blank -> None (all full length)."""
    parts = [p for p in re.split(r"[,\s;，、]+", text.strip()) if p]
    if not parts:
        return None
    lengths = []
    for p in parts:
        try:
            n = int(p)
        except ValueError:
            raise InputError("inputs.err.lengths_range", value=p, seq_len=seq_len) from None
        if not 1 <= n <= seq_len:
            raise InputError("inputs.err.lengths_range", value=p, seq_len=seq_len)
        lengths.append(n)
    if len(lengths) != batch_size:
        raise InputError("inputs.err.lengths_count", found=len(lengths), batch_size=batch_size)
    return lengths


def with_lengths(batch, lengths: list[int] | None):
    """The same sequences cut to their real lengths: steps past each length are zeroed (padding) and the
    lengths are recorded, so the engine runs them as a PackedSequence."""
    if lengths is None:
        return batch
    data = batch.data.clone()
    for b, n in enumerate(lengths):
        data[b, n:] = 0
    return _batch(data, lengths=list(lengths), labels=batch.labels)


# ----------------------------------------------------------------------------------------------- text
_CJK = (r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
        r"\uac00-\ud7af\uf900-\ufaff")
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[\w'’-])+|[^\s]")


def tokenize(text: str) -> list[str]:
    """Chinese/Japanese/Korean: one token per character; other scripts: one token per word; every
    punctuation mark is its own token. "我爱NLP!" -> ["我", "爱", "NLP", "!"]."""
    return _TOKEN.findall(text)


def token_seed(token: str, seed: int) -> int:
    """A 64-bit seed from the token text and the app seed: stable across processes and machines
    (sha256, unlike Python's salted ``hash``). Case-folded so "The" and "the" share one vector."""
    digest = hashlib.sha256(f"{int(seed)}\x1f{token.casefold()}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def embed_token(token: str, input_size: int, seed: int) -> np.ndarray:
    """The fixed embedding of one token: ``input_size`` standard-normal numbers from its own generator.
    Growing input_size keeps the first values (the generator's stream is a prefix)."""
    return np.random.default_rng(token_seed(token, seed)).standard_normal(input_size)


def text_batch(text: str, input_size: int, seed: int):
    """One sequence per non-empty line. Ragged lines -> zero-padded data and ``lengths``;
    ``labels`` holds the tokens of the first sequence (for the time axis)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    token_lists = [tokenize(ln) for ln in lines]
    token_lists = [tl for tl in token_lists if tl]
    if not token_lists:
        raise InputError("inputs.err.no_tokens")
    longest = max(len(tl) for tl in token_lists)
    _check_shape(len(token_lists), longest, input_size)
    data = np.zeros((len(token_lists), longest, input_size))
    for b, tokens in enumerate(token_lists):
        for t, tok in enumerate(tokens):
            data[b, t] = embed_token(tok, input_size, seed)
    lengths = [len(tl) for tl in token_lists]
    ragged = len(set(lengths)) > 1
    return _batch(torch.tensor(data, dtype=torch.float32), lengths=lengths if ragged else None,
                  labels=token_lists[0] + [""] * (longest - len(token_lists[0])))


def text_tokens(text: str) -> list[list[str]]:
    """Tokens of every non-empty line (what :func:`text_batch` embeds)."""
    return [tl for tl in (tokenize(ln) for ln in text.splitlines() if ln.strip()) if tl]


# ------------------------------------------------------------------------------------------------ CSV
def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _dialect(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def decode_csv_bytes(data: bytes) -> str:
    """Bytes of a CSV file -> text. UTF-8 (a BOM is dropped), or UTF-16 when the file starts with its BOM;
    anything else raises InputError naming the first byte that is not UTF-8 (or a NUL byte: binary)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError("inputs.err.encoding", byte=f"{data[err.start]:02x}", position=err.start) from None
    if "\x00" in text:
        raise InputError("inputs.err.binary", position=text.index("\x00"))
    return text


def _csv_text(text: str) -> str:
    """The text, refused when too long or binary; a BOM dropped."""
    if len(text) > MAX_CSV_CHARS:
        raise InputError("inputs.err.too_big", found=len(text), limit=MAX_CSV_CHARS)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:  # the csv module refuses NUL; so do we, with a message
        raise InputError("inputs.err.binary", position=text.index("\x00"))
    return text


def _csv_value(cell: str, lineno: int, col: int, input_size: int) -> float:
    """One cell as a float within float32's range, or the InputError naming its row and column."""
    if not _is_number(cell):
        raise InputError("inputs.err.not_number", row=lineno, col=col, value=cell[:40], input_size=input_size)
    value = float(cell)
    if not math.isfinite(value):
        raise InputError("inputs.err.not_finite", row=lineno, col=col, value=cell[:40])
    if abs(value) > FLOAT32_MAX:
        raise InputError("inputs.err.out_of_range", row=lineno, col=col, value=cell[:40], limit=FLOAT32_MAX)
    return value


def _csv_blocks(text: str, input_size: int) -> list[list[list[float]]]:
    """The rows of each sequence (sequences separated by blank lines; an optional header row of names)."""
    delim = _dialect(text)
    blocks: list[list[list[float]]] = [[]]
    header_done = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        cells = [c.strip() for c in next(csv.reader([line], delimiter=delim))]
        if cells and cells[-1] == "" and len(cells) > 1:  # tolerate one trailing delimiter
            cells = cells[:-1]
        if not header_done and not blocks[0] and all(c and not _is_number(c) for c in cells):
            header_done = True  # a header row of names: skip it
            continue
        header_done = True
        if len(cells) != input_size:
            raise InputError("inputs.err.columns", row=lineno, found=len(cells), input_size=input_size)
        blocks[-1].append([_csv_value(cell, lineno, col, input_size) for col, cell in enumerate(cells, start=1)])
        if len(blocks[-1]) > limits.MAX_SEQ_LEN:
            raise InputError("inputs.err.too_long", found=len(blocks[-1]), limit=limits.MAX_SEQ_LEN)
        if len(blocks) > limits.MAX_BATCH_SIZE:
            raise InputError("inputs.err.too_many_seqs", found=len(blocks), limit=limits.MAX_BATCH_SIZE)
    return [b for b in blocks if b]


def parse_csv_array(text: str, input_size: int) -> tuple[np.ndarray, list[int]]:
    """Parse CSV text (format in the module docstring) into a zero-padded ``(B, T, input_size)`` float64
    array and the per-sequence lengths. Raises :class:`InputError` naming what was expected."""
    blocks = _csv_blocks(_csv_text(text), input_size)
    if not blocks:
        raise InputError("inputs.err.empty", input_size=input_size)
    lengths = [len(b) for b in blocks]
    longest = max(lengths)
    total = len(blocks) * longest * input_size
    max_values = limits.MAX_BATCH_SIZE * limits.MAX_SEQ_LEN * limits.MAX_INPUT_SIZE
    if total > max_values:
        raise InputError("inputs.err.too_many_values", found=total, limit=max_values)
    data = np.zeros((len(blocks), longest, input_size))
    for b, rows in enumerate(blocks):
        data[b, : len(rows)] = rows
    return data, lengths


def csv_batch(text: str, input_size: int):
    """CSV text -> InputBatch; ragged blocks give ``lengths`` (run packed by the engine)."""
    data, lengths = parse_csv_array(text, input_size)
    ragged = len(set(lengths)) > 1
    return _batch(torch.tensor(data, dtype=torch.float32), lengths=lengths if ragged else None)


def batch_to_csv(data: np.ndarray, lengths: Sequence[int] | None = None) -> str:
    """The inverse of :func:`parse_csv_array` (blocks separated by blank lines); used for the example
    download and for round-trip tests."""
    data = np.asarray(data)
    out = []
    for b in range(data.shape[0]):
        n = data.shape[1] if lengths is None else int(lengths[b])
        out.append("\n".join(",".join(repr(float(v)) for v in data[b, t]) for t in range(n)))
    return "\n\n".join(out) + "\n"
