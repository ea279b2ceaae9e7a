"""The engine's time loop, compiled: `lstm.cpp` (forward and backward through time) and its autograd Function.

`layer(...)` runs one layer and one direction over a whole sequence in `lstm.cpp`, where a dozen small tensor
operations per step from Python would cost more than their arithmetic. In the backward pass, torch does what
has no recurrence in it: the gradients of the input and of the weights, one matrix product each.

The library is compiled on first use with the machine's C++ compiler (``g++``, or ``$CXX``) and cached on disk
(``$LSTM_EXPLORER_CACHE``, default ``~/.cache/lstm-explorer``), keyed by the source, the flags and the CPU;
``python -m lstm_core.native`` builds it ahead (the run and test scripts do). The matrix products of every step
are the loop's own register tiles; only an input projection too large to redo at every step is done once, with
the BLAS that torch itself links (``libtorch_cpu``'s ``sgemm_``/``dgemm_``).
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor

SOURCE = Path(__file__).with_name("lstm.cpp")
FLAGS = ["-O3", "-march=native", "-mprefer-vector-width=512", "-std=c++17", "-fPIC", "-shared",
         "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd",
         "-D__FAST_MATH__"]  # __FAST_MATH__ only makes glibc declare its vector exp (libmvec)
LIBS = ["-lmvec", "-lm"]
_SUFFIX = {torch.float32: ("f32", "s"), torch.float64: ("f64", "d")}  # lstm.cpp's two types, BLAS prefixes


class BuildError(RuntimeError):
    """The compiled time loop could not be built (no C++ compiler, or it failed)."""


def _cpu_key() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        flags = platform.processor()
    return flags


def library_path() -> Path:
    cache = Path(os.environ.get("LSTM_EXPLORER_CACHE", Path.home() / ".cache" / "lstm-explorer"))
    digest = hashlib.sha256("\0".join([SOURCE.read_text(), *FLAGS, *LIBS, _cpu_key()]).encode()).hexdigest()
    return cache / f"lstm-{digest[:16]}.so"


def build() -> Path:
    """Compile `lstm.cpp` unless the cached library is there; safe when several processes try at once."""
    target = library_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    wanted = os.environ.get("CXX")
    compiler = shutil.which(wanted) if wanted else shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise BuildError(f"the LSTM engine needs a C++ compiler ({wanted or 'g++'} not found): install g++ "
                         "(apt-get install -y g++), or set CXX")
    with open(target.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process built it while we waited
            return target
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            out = Path(tmp) / target.name
            done = subprocess.run([compiler, *FLAGS, str(SOURCE), "-o", str(out), *LIBS],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise BuildError(f"compiling {SOURCE.name} failed:\n{done.stderr[-4000:]}")
            os.replace(out, target)  # atomic: a reader sees the whole library or none
    return target


def _blas(prefix: str):
    """The address of torch's BLAS gemm (``sgemm_``/``dgemm_``) in a one-pointer table: null if not found."""
    try:
        gemm = getattr(ctypes.CDLL(str(Path(torch.__file__).parent / "lib" / "libtorch_cpu.so")), prefix + "gemm_")
    except (OSError, AttributeError):
        return (ctypes.c_void_p * 1)(None)
    return (ctypes.c_void_p * 1)(ctypes.cast(gemm, ctypes.c_void_p).value)


KEEP_FREED_BYTES = 512 * 2**20  # freed memory a malloc arena keeps instead of handing it back to the OS
MAX_HEAP_BLOCK = 32 * 2**20  # blocks up to this size come from (and return to) the heap; glibc's maximum


def _keep_freed_memory() -> None:
    """Let glibc keep freed memory for reuse. By default it hands large blocks back to the OS and the next trace
    faults fresh zeroed pages in again: a trace writes about 13 numbers per unit and step into new memory, and
    for 50 steps × 16 sequences × 64 units, bidirectional, that was 1,000 page faults and 1.1 of 2.7 ms (at
    100 × 32 × 256: 9,700 faults per trace; 25,800 for four layers, a 223 MB trace, with a 64 MB allowance). The
    cost: each malloc arena may keep up to 512 MB it no longer uses, as much as the largest trace it made (the
    app's own traces stay under 48 MB, `limits.MAX_TRACE_VALUES`)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, MAX_HEAP_BLOCK)
    libc.mallopt(m_trim_threshold, KEEP_FREED_BYTES)


class _Kernels(NamedTuple):
    forward: Any  # one layer-direction (lstm.cpp's `forward`)
    backward: Any  # its backward pass through time
    stack: Any  # every layer and direction, no autograd
    blas: int  # the address of the BLAS table they are given


_loaded: dict = {}  # dtype -> (_Kernels, the BLAS table, which must stay alive)


def _kernels(dtype: torch.dtype) -> _Kernels:
    """lstm.cpp's entry points for float32 or float64; the library is built on first use."""
    if not _loaded:
        _keep_freed_memory()
        so = ctypes.CDLL(str(build()))
        p, i64, flag = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int
        for kind, (suffix, blas) in _SUFFIX.items():
            forward, backward = getattr(so, f"lstm_forward_{suffix}"), getattr(so, f"lstm_backward_{suffix}")
            stack = getattr(so, f"lstm_stack_{suffix}")
            forward.argtypes = [i64, i64, i64, i64, flag, i64] + [p] * 17 + [p]  # sizes, 17 arrays, the BLAS
            backward.argtypes = [i64, i64, i64, i64, flag] + [p] * 15 + [p]  # sizes, 15 arrays, the BLAS
            stack.argtypes = [i64] * 7 + [p] * 3 + [p]  # sizes; x, lengths, the address table; the BLAS
            table = _blas(blas)
            _loaded[kind] = (_Kernels(forward, backward, stack, ctypes.addressof(table)), table)
    return _loaded[dtype][0]


def _ptr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


@dataclass(frozen=True)
class Spec:
    """What one layer-direction run needs besides its tensors."""

    reverse: bool
    lengths: Tensor | None = None  # (B,) int64: real steps per sequence (packed input), None = all
    clamp_mask: Tensor | None = None  # (T, 4, H) uint8: what-if clamps, None = none
    clamp_value: Tensor | None = None  # (T, 4, H) the values clamped gates take
    record: Any = None  # a callable given the backward's per-step gradients (see `Backward`)


class Backward(NamedTuple):
    """The backward pass through time of one layer and direction, every step (T, B, ·), real time order."""

    d_pre: Tensor  # ∂L/∂a_t, the pre-activations (gate order i, f, g, o)
    d_gates: Tensor  # ∂L/∂(i, f, g, o) — with respect to the gate values
    dh: Tensor  # ∂L/∂h_t, total (the layer's output and the next step)
    dc: Tensor  # ∂L/∂c_t, total


def _buffers(x: Tensor, hidden: int, r: int, projected: bool) -> tuple:
    """What the loop writes for one layer-direction: x_proj, pre, gates (T, B, 4H), m (or None), c_all, h_all."""
    steps, batch, new = x.shape[0], x.shape[1], x.new_empty
    x_proj, pre, gates = (new(steps, batch, 4 * hidden) for _ in range(3))
    m = new(steps, batch, hidden) if projected else None
    return x_proj, pre, gates, m, new(steps + 1, batch, hidden), new(steps + 1, batch, r)  # states in T+1 slots


def _states(c_all: Tensor, h_all: Tensor, reverse: bool) -> tuple:
    """(h, c, h_prev, c_prev): the states after and before each step, views of the (T+1)-slot arrays (lstm.cpp)."""
    if reverse:
        return h_all[:-1], c_all[:-1], h_all[1:], c_all[1:]
    return h_all[1:], c_all[1:], h_all[:-1], c_all[:-1]


def _forward(x: Tensor, w_ih: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, h0: Tensor, c0: Tensor,
             w_hh: Tensor, w_hr: Tensor | None, spec: Spec) -> tuple:
    steps, batch, inp = x.shape
    hidden, r = w_ih.shape[0] // 4, h0.shape[-1]
    x_proj, pre, gates, m, c_all, h_all = _buffers(x, hidden, r, w_hr is not None)
    kernels = _kernels(x.dtype)
    kernels.forward(steps, batch, hidden, r, spec.reverse, inp, x.data_ptr(), w_ih.data_ptr(), _ptr(b_ih),
                    _ptr(b_hh), w_hh.data_ptr(), _ptr(w_hr), h0.data_ptr(), c0.data_ptr(), _ptr(spec.lengths),
                    _ptr(spec.clamp_mask), _ptr(spec.clamp_value), x_proj.data_ptr(), pre.data_ptr(),
                    gates.data_ptr(), _ptr(m), c_all.data_ptr(), h_all.data_ptr(), kernels.blas)
    h, c, h_prev, c_prev = _states(c_all, h_all, spec.reverse)
    last = 0 if spec.reverse else -1  # the slot written last
    return h, h_all[last], c_all[last], x_proj, pre, gates, c, m, h_prev, c_prev, c_all


class _LayerFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr, spec: Spec):
        h, hn, cn, x_proj, pre, gates, c, m, h_prev, c_prev, c_all = _forward(x, w_ih, b_ih, b_hh, h0, c0, w_hh,
                                                                              w_hr, spec)
        hn, cn = hn.clone(), cn.clone()  # outputs of their own, not views of the states autograd also returns
        ctx.spec = spec
        ctx.save_for_backward(x, w_ih, gates, c_all, m, h_prev, w_hh, w_hr)
        ctx.mark_non_differentiable(x_proj, pre, gates, c, h_prev, c_prev, *([] if m is None else [m]))
        return h, hn, cn, x_proj, pre, gates, c, m, h_prev, c_prev

    @staticmethod
    def backward(ctx, grad_h, grad_hn, grad_cn, *_):
        x, w_ih, gates, c_all, m, h_prev, w_hh, w_hr = ctx.saved_tensors
        spec: Spec = ctx.spec
        steps, batch, four_h = gates.shape
        hidden, r = four_h // 4, h_prev.shape[-1]
        zeros = gates.new_zeros
        grad_h = zeros(steps, batch, r) if grad_h is None else grad_h.contiguous()
        grad_hn = zeros(batch, r) if grad_hn is None else grad_hn.contiguous()
        grad_cn = zeros(batch, hidden) if grad_cn is None else grad_cn.contiguous()
        new = gates.new_empty
        d_pre = new(steps, batch, four_h)
        d_gates = new(steps, batch, four_h) if spec.record is not None else None  # kept only when recorded
        dh, dc = new(steps, batch, r), new(steps, batch, hidden)
        dh0, dc0 = new(batch, r), new(batch, hidden)
        arrays = [gates, c_all, w_hh, w_hr, spec.lengths, spec.clamp_mask, grad_h, grad_hn, grad_cn,
                  d_pre, d_gates, dh, dc, dh0, dc0]
        kernels = _kernels(gates.dtype)
        kernels.backward(steps, batch, hidden, r, spec.reverse, *map(_ptr, arrays), kernels.blas)
        if spec.record is not None:
            spec.record(Backward(d_pre, d_gates, dh, dc))
        # what has no recurrence in it: one matrix product each, summed over every step and sequence
        flat = lambda t: t.reshape(steps * batch, -1)  # noqa: E731
        need = ctx.needs_input_grad
        d_x = flat(d_pre).mm(w_ih).view_as(x) if need[0] else None  # δx_t = W_ih^T δa_t
        d_w_ih = flat(d_pre).t().mm(flat(x)) if need[1] else None  # Σ_t δa_t x_t^T
        d_b = d_pre.sum((0, 1)) if need[2] or need[3] else None  # ∂L/∂b_ih = ∂L/∂b_hh, one sum
        d_b_ih = d_b if need[2] else None
        d_b_hh = (d_b.clone() if need[2] else d_b) if need[3] else None  # two tensors: each becomes a .grad
        d_w_hh = flat(d_pre).t().mm(flat(h_prev)) if need[6] else None  # Σ_t δa_t h_{t-1}^T
        d_w_hr = flat(dh).t().mm(flat(m)) if w_hr is not None and need[7] else None  # Σ_t δh_t m_t^T
        return d_x, d_w_ih, d_b_ih, d_b_hh, dh0, dc0, d_w_hh, d_w_hr, None


class LayerRun(NamedTuple):
    """One layer and direction over time, (T, B, ·) in real time order. At a padded step the state is carried
    over (h, c hold the state after the sequence's last real step) and pre, gates (and m) are zeros."""

    h: Tensor  # hidden state after each step (the layer's output for this direction)
    h_n: Tensor  # (B, R) state after the last real step
    c_n: Tensor  # (B, H)
    x_proj: Tensor  # the input's share of the pre-activations: W_ih x_t + b_ih + b_hh
    pre: Tensor  # pre-activations a_t, gate order i, f, g, o
    gates: Tensor  # [i | f | g | o] after their activations (and clamps)
    c: Tensor
    m: Tensor  # o ⊙ tanh(c), before the projection (equal to h without one)
    h_prev: Tensor  # state entering each step
    c_prev: Tensor


def layer(x: Tensor, w_ih: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, h0: Tensor, c0: Tensor,
          w_hh: Tensor, w_hr: Tensor | None, spec: Spec) -> LayerRun:
    """Run one layer-direction over x (T, B, I) from h0 (B, R), c0 (B, H), with torch's weights."""
    if x.dtype not in _SUFFIX:
        raise TypeError(f"the engine computes in float32 or float64, got {x.dtype}")
    if x.device.type != "cpu":
        raise RuntimeError("the engine runs on the CPU only")
    tensors = [t if t is None else t.contiguous() for t in (x, w_ih, b_ih, b_hh, h0, c0, w_hh, w_hr)]
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
        h, h_n, c_n, x_proj, pre, gates, c, m, h_prev, c_prev = _LayerFunction.apply(*tensors, spec)
    else:  # nothing to differentiate: no autograd bookkeeping
        h, h_n, c_n, x_proj, pre, gates, c, m, h_prev, c_prev, _ = _forward(*tensors, spec)
    m = h if m is None else m  # without a projection m is h
    return LayerRun(h, h_n, c_n, x_proj, pre, gates, c, m, h_prev, c_prev)


class Stack(NamedTuple):
    """Every layer and direction of one `stack` call."""

    runs: list  # LayerRun per layer-direction, layer·D + direction
    inputs: list  # per layer, the (T, B, ·) input it read
    output: Tensor  # (T, B, D·R) the last layer's outputs side by side, zeros at padded steps
    h_n: Tensor  # (layers·D, B, R)
    c_n: Tensor  # (layers·D, B, H)


def stack(x: Tensor, weights: list, num_layers: int, h0: Tensor, c0: Tensor, lengths: Tensor | None = None,
          clamps: dict | None = None) -> Stack:
    """Run the whole stack over x (T, B, I) in one call of the compiled loop, where nothing needs autograd.

    ``weights`` holds torch's (w_ih, w_hh, b_ih, b_hh, w_hr) per layer-direction; ``h0``/``c0`` are (layers·D,
    B, ·), or None for zeros; ``clamps`` maps (layer, direction) to what-if (mask, values). The same loop as
    `layer`, with no Python between the layers: a layer's trace pushes the interpreter's own code out of the
    caches, and each return to Python paid for it (~0.15 ms a layer at 50 steps × 16 sequences × 64 units)."""
    if x.dtype not in _SUFFIX:
        raise TypeError(f"the engine computes in float32 or float64, got {x.dtype}")
    x = x.contiguous()
    steps, batch, inp = x.shape
    dirs = len(weights) // num_layers
    hidden, r = weights[0][0].shape[0] // 4, weights[0][1].shape[1]  # w_hh: (4H, R)
    h0, c0 = (None, None) if h0 is None else (h0.contiguous(), c0.contiguous())
    h_n, c_n = x.new_empty(len(weights), batch, r), x.new_empty(len(weights), batch, hidden)
    size = x.element_size()
    alive, addresses, runs = [], [], []  # alive: keeps every tensor the call reads or writes (contiguous copies)
    for ld, (w_ih, w_hh, b_ih, b_hh, w_hr) in enumerate(weights):
        w_ih, w_hh, b_ih, b_hh, w_hr = (t if t is None else t.contiguous() for t in (w_ih, w_hh, b_ih, b_hh, w_hr))
        mask, values = (clamps or {}).get(divmod(ld, dirs), (None, None))
        x_proj, pre, gates, m, c_all, h_all = _buffers(x, hidden, r, w_hr is not None)
        alive += [w_ih, w_hh, b_ih, b_hh, w_hr, mask, values, x_proj, pre, gates, m, c_all, h_all]
        addresses += [_ptr(t) or 0 for t in (w_ih, b_ih, b_hh, w_hh, w_hr)]
        addresses += [0, 0] if h0 is None else [h0.data_ptr() + ld * batch * r * size,
                                                c0.data_ptr() + ld * batch * hidden * size]
        addresses += [_ptr(t) or 0 for t in (mask, values, x_proj, pre, gates, m, c_all, h_all)]
        addresses += [h_n.data_ptr() + ld * batch * r * size, c_n.data_ptr() + ld * batch * hidden * size]
        h, c, h_prev, c_prev = _states(c_all, h_all, ld % dirs == 1)
        runs.append(LayerRun(h, h_n[ld], c_n[ld], x_proj, pre, gates, c, h if m is None else m, h_prev, c_prev))
    copied = dirs == 2 or lengths is not None  # else each layer's output is its h: nothing to copy
    outputs = [x.new_empty(steps, batch, dirs * r) if copied else runs[layer * dirs].h for layer in range(num_layers)]
    addresses += [out.data_ptr() if copied else 0 for out in outputs]
    table = (ctypes.c_int64 * len(addresses))(*addresses)
    kernels = _kernels(x.dtype)
    kernels.stack(num_layers, dirs, steps, batch, inp, hidden, r, x.data_ptr(), _ptr(lengths),
                  ctypes.addressof(table), kernels.blas)
    return Stack(runs, [x, *outputs[:-1]], outputs[-1], h_n, c_n)
