"""Trace downloads (pure, no streamlit): ``Trace.arrays()`` -> CSV text or NPZ bytes.

CSV is long format, one number per row: ``array,i0,i1,i2,value`` where ``array`` is the name from
``Trace.arrays()`` (``l0_d1_f`` = layer 0, backward direction, forget gate; ``output``, ``h_n``, ...) and
i0.. its indices (time-major arrays: t, b, unit). NaN marks padded steps of packed input.
NPZ holds the same arrays under the same names (``numpy.load(file)["l0_d0_f"]``).
"""
from __future__ import annotations

import ast
import base64
import inspect
import io
import keyword
import textwrap
import tokenize
from pathlib import Path

import numpy as np


def to_csv(arrays: dict) -> str:
    width = max(np.asarray(a).ndim for a in arrays.values())
    out = io.StringIO()
    out.write(",".join(["array", *[f"i{n}" for n in range(width)], "value"]) + "\n")
    for name, arr in arrays.items():
        arr = np.asarray(arr, dtype=np.float64)
        idx = np.indices(arr.shape).reshape(arr.ndim, -1).T
        pad = [""] * (width - arr.ndim)
        lines = [",".join([name, *map(str, ix), *pad, repr(float(v))]) for ix, v in zip(idx, arr.ravel(), strict=True)]
        if lines:
            out.write("\n".join(lines) + "\n")
    return out.getvalue()


def to_npz(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


# ------------------------------------------------------------------ the stepper component's payload
VIEW_ARRAYS = ("i", "f", "g", "o", "c", "c_prev", "h_full", "pre", "x_proj", "h")  # (T, ·) each, float32
DIAGRAM_WIDTH = 4  # the cell diagram shows the first 4 numbers of x_t and h_{t-1}


def _b64(a) -> str:
    """float32, C order, little-endian, base64: the browser reads it as a Float32Array (NaN = padding)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def view_payload(trn, layer: int, direction: int, b: int, labels=None) -> dict:
    """What the browser stepper needs for one selection, from a numpy Trace (``Trace.numpy()``).

    Every array is the (layer, direction, sequence b) slice, time-major ``(T, width)`` in real time order,
    float32 base64 (``arrays[name] = {"b64", "shape"}``): the gates i f g o, c, c_prev, h_full (o⊙tanh c),
    pre and x_proj (T, 4H; the memory's share is pre - x_proj), h (T, H_out), and the first few numbers of
    x and h_prev for the diagram. Bidirectional: both directions' h (``h_dir0``, ``h_dir1``) for
    ``output[t] = [h→_t ; h←_t]``. ``valid`` marks real steps (packed/ragged sequences).
    """
    cfg = trn.config
    lt = trn[layer, direction]
    arrays = {name: getattr(lt, name)[:, b, :] for name in VIEW_ARRAYS}
    arrays["x"] = lt.x[:, b, :DIAGRAM_WIDTH]
    arrays["h_prev"] = lt.h_prev[:, b, :DIAGRAM_WIDTH]
    if cfg.num_directions == 2:
        for d in (0, 1):
            arrays[f"h_dir{d}"] = trn[layer, d].h[:, b, :]
    T = int(lt.c.shape[0])
    length = int(trn.lengths[b]) if trn.lengths is not None else T
    return {
        "T": T, "H": int(cfg.hidden_size), "P": int(cfg.h_out), "D": int(cfg.num_directions),
        "L": int(cfg.num_layers), "layer": int(layer), "direction": int(direction), "b": int(b),
        "proj": int(cfg.proj_size), "last_layer": layer == cfg.num_layers - 1,
        "input_width": int(lt.x.shape[-1]), "length": length,
        "valid": [bool(t < length) for t in range(T)],
        "order": [int(t) for t in lt.visit_order],
        "labels": [str(s) for s in labels] if labels else None,
        "arrays": {k: {"b64": _b64(v), "shape": [int(n) for n in np.shape(v)]} for k, v in arrays.items()},
    }


def payload_bytes(data) -> int:
    """Size of the JSON the component receives (what goes over the websocket, before compression)."""
    import json

    return len(json.dumps(data, separators=(",", ":")).encode())


# ------------------------------------------------------------------ the engine's own cell, as the app shows it
CELL_QUANTITIES = ("pre", "i", "f", "g", "o", "c", "h_full", "h")  # what `cell_step` assigns, the trace's names
_KINDS = {"kw": None, "str": "STRING", "com": "COMMENT", "num": "NUMBER", "op": "OP"}


def _targets(node) -> list[str]:
    """Plain names an assignment writes (``a = …``, ``a, b = …``, ``a: T = …``, ``a += …``)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [n for e in node.elts for n in _targets(e)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


def quantity_lines(source: str, names=CELL_QUANTITIES) -> dict[str, list[int]]:
    """Which lines of a function's `source` compute each quantity: the statement of its *last* assignment (the
    value the step ends with), as 0-based line indices into `source` (a multi-line statement: all its lines).
    Found by assignment target names with `ast`, so any readable spelling of the cell maps the same way."""
    tree = ast.parse(textwrap.dedent(source))
    found: dict[str, list[int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = [n for t in node.targets for n in _targets(t)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = _targets(node.target)
        else:
            continue
        for name in targets:
            if name in names and (name not in found or node.lineno - 1 >= found[name][0]):
                found[name] = list(range(node.lineno - 1, node.end_lineno))
    return {q: found[q] for q in names if q in found}


def token_spans(source: str) -> list[list[list]]:
    """Per line of `source`, ``[start, end, kind]`` of its keywords (kw), function names after ``def`` (def),
    strings (str), comments (com) and numbers (num): Python's own tokenizer, for the code view's colours."""
    lines = source.splitlines()
    spans: list[list[list]] = [[] for _ in lines]
    first = lines[0] if lines else ""
    shift = len(first) - len(first.lstrip())  # a method's source is indented: tokenize its dedented text
    prev = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(source)).readline):
            kind = None
            if tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
                kind = "kw"
            elif tok.type == tokenize.NAME and prev is not None and prev.string in ("def", "class"):
                kind = "def"
            elif tok.type == tokenize.STRING:
                kind = "str"
            elif tok.type == tokenize.COMMENT:
                kind = "com"
            elif tok.type == tokenize.NUMBER:
                kind = "num"
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT):
                prev = tok
            if kind is None:
                continue
            (r0, c0), (r1, c1) = tok.start, tok.end
            for r in range(r0, r1 + 1):  # a string over several lines (a docstring): one span per line
                if r - 1 < len(lines):
                    spans[r - 1].append([(c0 if r == r0 else 0) + shift, (c1 + shift) if r == r1 else len(lines[r - 1]),
                                         kind])
    except (tokenize.TokenError, IndentationError):
        pass
    return spans


def code_view(func) -> dict:
    """What the stepper's code view needs: `func`'s real source (``inspect.getsource``), where it lives, the
    colour spans, and for each quantity its lines (``lines_of``) and the line its number goes on (``values``)."""
    lines, start = inspect.getsourcelines(func)
    source = "".join(lines)
    lines_of = quantity_lines(source)
    path = Path(inspect.getsourcefile(func)).resolve()
    try:
        file = path.relative_to(Path(__file__).resolve().parents[1]).as_posix()
    except ValueError:
        file = path.name
    return {"name": func.__qualname__, "file": file, "start": int(start),
            "lines": [line.rstrip("\n") for line in lines], "spans": token_spans(source),
            "lines_of": lines_of, "values": {q: ls[0] for q, ls in lines_of.items()}}


def cell_code() -> dict:
    """The code view of the engine's own cell, ``lstm_core.cell.cell_step``."""
    from lstm_core import cell

    return code_view(cell.cell_step)
