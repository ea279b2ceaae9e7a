"""Digests of a run's inputs, and ``Memo``: results of deterministic computations shared by every session."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch


# ------------------------------------------------------------------------------------------------ digest
def _feed(h, obj) -> None:
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"A{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    elif isinstance(obj, dict):
        h.update(b"{")
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
        h.update(b"}")
    elif isinstance(obj, list | tuple):
        h.update(b"[" if isinstance(obj, list) else b"(")
        for v in obj:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(obj, bytes | bytearray):
        h.update(b"B" + struct.pack("<Q", len(obj)) + bytes(obj))
    elif isinstance(obj, float):
        h.update(b"f" + struct.pack("<d", obj))  # exact bits: 0.1 and 0.1000000001 differ
    elif obj is None or isinstance(obj, bool | int | str):
        h.update(json.dumps(obj).encode() + b";")
    else:
        raise TypeError(f"cannot digest {type(obj).__name__}")


def digest(*parts) -> str:
    """sha256 of nested dicts/lists/tuples of tensors, arrays, bytes and plain values (exact float bits)."""
    h = hashlib.sha256()
    for part in parts:
        _feed(h, part)
    return h.hexdigest()


class Memo:
    """Results of deterministic computations shared by every session of the process, keyed by ``digest`` of
    all their inputs (at most ``maxsize``, the least recently used goes first). Values are shared: read only.

        value = MEMO.get(("correspondences", cfg.kwargs(), state_dict, data, seed), lambda: compute(...))
    """

    def __init__(self, maxsize: int = 64):
        self.maxsize = maxsize
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, parts, compute: Callable[[], object]):
        key = digest(parts)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = compute()  # outside the lock: two sessions may compute the same value once each, never wait
        with self._lock:
            self.misses += 1
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
