"""The compiled time loop (lstm_core/native): every matrix-product path against torch, the build and its cache,
and a backward pass through time that autograd calls once per layer and direction, not once per operation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_core import LSTMConfig, native

from .test_parity import _check

ROOT = Path(__file__).resolve().parents[2]

# hidden sizes that reach each way lstm.cpp multiplies by its weights: columns fewer than one panel (5), panels
# plus the last columns (20, 40), whole panels (64); the second layer's input projection (4H × 2H weights) done
# at every step, fused with W_hh's product, up to 65,536 weights, and once with the BLAS gemm from there (128).
SIZES = [5, 20, 40, 64, 128]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("hidden", SIZES)
@pytest.mark.parametrize("batch", [5, 9])  # row tiles: one of fewer rows than a full tile; a full one and a row
def test_every_product_path_equals_torch(hidden, batch, dtype):
    cfg = LSTMConfig(7, hidden, num_layers=2, bidirectional=True)
    gen = torch.Generator().manual_seed(hidden)
    x = torch.randn(6, batch, 7, generator=gen, dtype=dtype)
    hx = tuple(torch.randn(4, batch, w, generator=gen, dtype=dtype) for w in (hidden, hidden))
    _check((cfg, hidden, x, hx, "batched"), dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_projection_and_packing_where_the_input_projection_goes_to_the_blas(dtype):
    cfg = LSTMConfig(9, 128, num_layers=2, bidirectional=True, proj_size=96)
    gen = torch.Generator().manual_seed(1)
    x = pack_padded_sequence(torch.randn(7, 3, 9, generator=gen, dtype=dtype), torch.tensor([7, 4, 2]),
                             enforce_sorted=False)
    _check((cfg, 1, x, None, "packed"), dtype)


def _graph_size(tensor) -> int:
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        todo += [next_fn for next_fn, _ in node.next_functions]
    return len(seen)


def test_autograd_sees_one_node_per_layer_and_direction_whatever_the_length():
    """Backpropagation through time is written by hand: the autograd graph does not grow with T."""
    model = LSTMConfig(3, 4, num_layers=2, bidirectional=True).build(0)
    sizes = {steps: _graph_size(model(torch.randn(steps, 2, 3))[0].sum()) for steps in (2, 50)}
    assert sizes[2] == sizes[50]
    out = model(torch.randn(5, 2, 3))[0]
    names = set()
    todo = [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None:
            names.add(type(node).__name__)
            todo += [n for n, _ in node.next_functions]
    assert "_LayerFunctionBackward" in names
    assert not any(name.startswith(("Sigmoid", "Tanh")) for name in names)  # no per-step activations


def _build_in(cache: Path, **env) -> subprocess.CompletedProcess:
    code = "from lstm_core import native; print(native.build())"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "LSTM_EXPLORER_CACHE": str(cache), **env})


def test_two_processes_building_at_once_share_one_library(tmp_path):
    runs = [subprocess.Popen([sys.executable, "-c", "from lstm_core import native; print(native.build())"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "LSTM_EXPLORER_CACHE": str(tmp_path)}) for _ in range(2)]
    outs = [r.communicate(timeout=300) for r in runs]
    assert all(r.returncode == 0 for r in runs), outs
    paths = {out.strip() for out, _ in outs}
    assert len(paths) == 1 and Path(paths.pop()).is_file()
    assert [p.suffix for p in tmp_path.iterdir() if p.suffix == ".so"] == [".so"]  # no half-written leftovers
    again = _build_in(tmp_path, CXX="no-such-compiler")  # cached: no compiler needed any more
    assert again.returncode == 0, again.stderr


def test_no_compiler_is_a_clear_error(tmp_path):
    done = _build_in(tmp_path, CXX="no-such-compiler")
    assert done.returncode != 0
    assert "BuildError" in done.stderr and "needs a C++ compiler" in done.stderr and "g++" in done.stderr


def test_the_engine_refuses_what_it_does_not_compute():
    model = LSTMConfig(3, 4).build(0)
    with pytest.raises(TypeError, match="float32 or float64"):
        model.to(torch.bfloat16)(torch.randn(2, 1, 3, dtype=torch.bfloat16))
    assert native.library_path().is_file()
