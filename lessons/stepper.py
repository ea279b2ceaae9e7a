"""Trace downloads (pure, no streamlit): ``Trace.arrays()`` -> CSV text or NPZ bytes.

CSV is long format, one number per row: ``array,i0,i1,i2,value`` where ``array`` is the name from
``Trace.arrays()`` (``l0_d1_f`` = layer 0, backward direction, forget gate; ``output``, ``h_n``, ...) and
i0.. its indices (time-major arrays: t, b, unit). NaN marks padded steps of packed input.
NPZ holds the same arrays under the same names (``numpy.load(file)["l0_d0_f"]``).
"""
from __future__ import annotations

import base64
import io

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
