"""Trace downloads (pure, no streamlit): ``Trace.arrays()`` -> CSV text or NPZ bytes.

CSV is long format, one number per row: ``array,i0,i1,i2,value`` where ``array`` is the name from
``Trace.arrays()`` (``l0_d1_f`` = layer 0, backward direction, forget gate; ``output``, ``h_n``, ...) and
i0.. its indices (time-major arrays: t, b, unit). NaN marks padded steps of packed input.
NPZ holds the same arrays under the same names (``numpy.load(file)["l0_d0_f"]``).
"""
from __future__ import annotations

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
