"""The one gate for user values: every value that comes from a learner passes here before the app uses it.

Query parameters, widget values restored from the URL, typed numbers, CSV bytes, text and uploaded files
each have one function that returns a :class:`Parsed` — a value, or a translated message — and never
raises into a page::

    from ui import parse
    got = parse.int_text(st.query_params.get("quiz_seed"), 0, 999_999_999)
    if got.problem:
        st.warning(got.problem)          # already in the learner's language
    else:
        use(got.value)

Pure rules (number syntax, CSV layout, state_dict shapes) live in ``lessons/`` and raise their own typed
errors (`InputError`, `WeightsError`, `LimitError`); this module turns each into the translated message.
Numbers in text are ASCII only: ``"²"`` and ``"①"`` pass ``str.isdigit()`` but are not numbers here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lessons import proof, weight_files
from lessons import sources as src
from lstm_core import limits
from ui.i18n import t

MAX_SHOWN = 60  # characters of a rejected value quoted back in a message
MAX_CASE_CHARS = 200  # a ?case= link: the longest case the sidebar's limits allow is ~130 characters
MAX_REASON = 300  # characters of a refusal's own explanation quoted in a message
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
TRUE_WORDS, FALSE_WORDS = ("1", "true", "on", "yes"), ("0", "false", "off", "no")


@dataclass(frozen=True)
class Parsed:
    """``value`` when usable, else ``problem``: a message in the learner's language (never both)."""

    value: Any = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def ok(value: Any) -> Parsed:
    return Parsed(value=value)


def bad(problem: str) -> Parsed:
    return Parsed(problem=problem)


def shown(raw: object, limit: int = MAX_SHOWN) -> str:
    """A user value quoted back in a message: one line, at most `limit` characters, no control characters."""
    text = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in str(raw))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------- scalars
def int_text(raw: str | None, lo: int, hi: int) -> Parsed:
    """A whole number in ``[lo, hi]`` written with ASCII digits (surrounding spaces allowed)."""
    text = (raw or "").strip()
    if len(text) > 40 or not _INT.fullmatch(text):
        return bad(t("shell.url_malformed"))
    value = int(text)
    return ok(value) if lo <= value <= hi else bad(t("shell.url_range", lo=lo, hi=hi))


def float_text(raw: str | None, lo: float, hi: float) -> Parsed:
    """A finite decimal number in ``[lo, hi]`` (ASCII; ``nan``, ``inf`` and ``1e999`` are refused)."""
    text = (raw or "").strip()
    if len(text) > 40 or not _FLOAT.fullmatch(text):
        return bad(t("shell.url_malformed"))
    value = float(text)
    if not math.isfinite(value):
        return bad(t("shell.url_malformed"))
    return ok(value) if lo <= value <= hi else bad(t("shell.url_range", lo=f"{lo:g}", hi=f"{hi:g}"))


def bool_text(raw: str | None) -> Parsed:
    """``1/true/on/yes`` or ``0/false/off/no`` (any case)."""
    word = (raw or "").strip().lower()
    if word in TRUE_WORDS:
        return ok(True)
    if word in FALSE_WORDS:
        return ok(False)
    return bad(t("shell.url_malformed"))


def choice_text(raw: str | None, choices: Sequence[str]) -> Parsed:
    return ok(raw) if raw in choices else bad(t("shell.url_choice", choices=", ".join(choices)))


def plain_text(raw: str | None, max_len: int) -> Parsed:
    """Text of at most `max_len` characters, without NUL (other characters, emoji included, are fine)."""
    text = raw or ""
    if len(text) > max_len or "\x00" in text:
        return bad(t("shell.url_text", limit=max_len))
    return ok(text)


def number_list_text(raw: str | None, max_len: int = 200, non_negative: bool = False) -> Parsed:
    """``"1, 0.5 2"`` -> ``[1.0, 0.5, 2.0]`` (finite numbers; `non_negative` for noise levels)."""
    if raw is None or len(raw) > max_len:
        return bad(t("inputs.err.bad_list", value=shown(raw)))
    return guard(lambda: _number_list(raw, non_negative))


def _number_list(raw: str, non_negative: bool) -> list[float]:
    values = src.parse_number_list(raw)
    if non_negative and any(v < 0 for v in values):
        raise src.InputError("inputs.err.bad_list", value=shown(raw))
    return values


def proof_case(raw: str | None) -> Parsed:
    """A ``?case=`` link of the Proof page -> `lessons.proof.Case`, or why not: unreadable, or larger than the
    sidebar allows (`LimitError`: nothing may run). The link is quoted back shortened."""
    text = (raw or "").strip()
    quoted = shown(text)
    if len(text) > MAX_CASE_CHARS:
        return bad(t("proof.case_bad", case=quoted, error=t("shell.url_text", limit=MAX_CASE_CHARS)))
    try:
        return ok(proof.Case.decode(text))
    except limits.LimitError as err:
        limit = t("proof.limit_traced") if err.limit == "traced values" else err.limit
        return bad(t("proof.case_too_big", case=quoted, value=err.value, limit=limit, maximum=err.maximum))
    except Exception as err:  # a user value: any refusal is explained, never raised
        return bad(t("proof.case_bad", case=quoted, error=shown(err, MAX_REASON)))


# --------------------------------------------------------------------------------------- files, text
def upload_bytes(data: bytes | None, limit: int = limits.MAX_UPLOAD_BYTES) -> Parsed:
    """The bytes of an uploaded file, refused (naming the cap) when larger than `limit`."""
    if data is None:
        return bad(t("inputs.err.empty_file"))
    if len(data) > limit:
        return bad(t("inputs.err.file_too_big", size_mb=f"{len(data) / 2**20:.1f}", limit_mb=f"{limit / 2**20:g}"))
    return ok(data)


def csv_file(data: bytes | None) -> Parsed:
    """Uploaded CSV bytes -> text: UTF-8 (with or without BOM) or UTF-16 with a BOM; else a message
    naming the first byte that is not UTF-8."""
    got = upload_bytes(data)
    if not got.ok:
        return got
    return guard(lambda: src.decode_csv_bytes(data))


def weights_file(data: bytes | None, filename: str) -> Parsed:
    """Uploaded state_dict bytes -> `LoadedWeights`, or why not (size cap first, then format, then shapes)."""
    got = upload_bytes(data)
    if not got.ok:
        return got
    return guard(lambda: weight_files.load_weights(data, filename or ""))


# ------------------------------------------------------------------------------------------- errors
def message(err: BaseException) -> str:
    """The translated message of any refusal raised by the lessons or the engine."""
    if isinstance(err, src.InputError):
        return t(err.key, **err.params)
    if isinstance(err, weight_files.WeightsError):
        return t(f"learn.err.{err.code}", **err.details)
    if isinstance(err, limits.LimitError):
        return t("inputs.err.limit", limit=err.limit, value=err.value, maximum=err.maximum)
    if isinstance(err, MemoryError):
        return t("inputs.err.memory")
    return t("inputs.err.other", error=shown(f"{type(err).__name__}: {err}"))


def guard(compute: Callable[[], Any]) -> Parsed:
    """Run `compute` (a parse of user data): its value, or the translated message of whatever it raised.

    Every exception is caught on purpose: a user value must never bring a traceback to the page.
    """
    try:
        return ok(compute())
    except Exception as err:  # the boundary between user data and the page
        return bad(message(err))
