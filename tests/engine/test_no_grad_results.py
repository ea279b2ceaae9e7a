"""Without autograd the time loop runs its steps in inference mode (`recurrence.run_layers`), for speed. What a
no-grad forward or a `trace` hands back must still be ordinary tensors: a learner may feed them to autograd
later (a frozen LSTM under a trainable head; a trace's h multiplied by a parameter), which inference tensors
refuse ("Inference tensors cannot be saved for backward")."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_core import LSTMConfig, trace

CONFIGS = [
    dict(input_size=3, hidden_size=4),
    dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2),
    dict(input_size=3, hidden_size=5, num_layers=3, batch_first=True, bidirectional=True),
]


def _inputs(cfg: LSTMConfig):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 6, 3, generator=gen) if cfg.batch_first else torch.randn(6, 2, 3, generator=gen)
    yield "batched", x
    yield "unbatched", torch.randn(6, 3, generator=gen)
    packed = pack_padded_sequence(x, torch.tensor([6, 4]), batch_first=cfg.batch_first)
    yield "packed", packed


def _tensors(result):
    out, (h_n, c_n) = result
    return {"output": out.data if hasattr(out, "batch_sizes") else out, "h_n": h_n, "c_n": c_n}


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_a_no_grad_forward_gives_ordinary_tensors_that_autograd_can_use_later(kwargs):
    cfg = LSTMConfig(**kwargs)
    model = cfg.build(0).eval()
    head = torch.nn.Linear(cfg.h_out, 1)
    for kind, x in _inputs(cfg):
        with torch.no_grad():
            got = _tensors(model(x))
        for name, value in got.items():
            assert not value.is_inference(), (kind, name)
        head.zero_grad()
        head(got["h_n"]).sum().backward()  # a frozen encoder under a trainable head
        assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0, kind
        with torch.inference_mode():  # a caller's own inference mode is kept
            assert _tensors(model(x))["output"].is_inference(), kind


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_a_trace_without_autograd_gives_ordinary_tensors(kwargs):
    cfg = LSTMConfig(**kwargs)
    model = cfg.build(0).eval()
    weight = torch.nn.Parameter(torch.ones(cfg.h_out, 2))
    for kind, x in _inputs(cfg):
        tr = trace(model, x)
        named = {"output_padded": tr.output_padded, "h_n": tr.h_n, "c_n": tr.c_n} | _tensors((tr.output, (tr.h_n,
                                                                                                     tr.c_n)))
        for key, lt in tr.layers.items():
            named |= {f"{key} {name}": value for name, value in lt.tensors().items()}
        for name, value in named.items():
            assert not value.is_inference() and not value.requires_grad, (kind, name)
        top = tr[cfg.num_layers - 1, 0]
        weight.grad = None
        (top.h.nan_to_num() @ weight).sum().backward()  # NaN marks padded steps of a packed batch
        assert weight.grad is not None and weight.grad.abs().sum() > 0, kind


def test_the_same_numbers_with_and_without_autograd():
    cfg = LSTMConfig(**CONFIGS[1])
    model = cfg.build(0).eval()
    for kind, x in _inputs(cfg):
        with torch.no_grad():
            fast = _tensors(model(x))
        slow = _tensors(model(x))
        assert slow["output"].requires_grad, kind  # the autograd path really ran
        for name in fast:
            assert torch.equal(fast[name], slow[name].detach()), (kind, name)
