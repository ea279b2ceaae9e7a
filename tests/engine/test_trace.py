"""Trace consistency: recorded intermediates recompute, chain, and agree with the forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstm_core import Clamp, LimitError, LSTMConfig, trace

from .strategies import cases

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _params(model, layer, direction):
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    get = lambda n: None if getattr(model, n + sfx, None) is None else getattr(model, n + sfx).detach().numpy()  # noqa: E731
    return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")


@SETTINGS
@given(cases(torch.float64))
def test_gates_recompute_from_x_and_previous_step(case):
    """Independent numpy maths on trace[l, d].x and h_prev/c_prev gives every recorded gate and state."""
    cfg, seed, x, hx, form = case
    model = cfg.build(seed, dtype=torch.float64)
    tr = trace(model, x, hx).numpy()
    real = np.arange(tr.T)[:, None] < tr.lengths[None, :]  # (T, B)
    for (layer, direction), lt in tr.layers.items():
        w_ih, w_hh, b_ih, b_hh, w_hr = _params(model, layer, direction)
        pre = lt.x @ w_ih.T + lt.h_prev @ w_hh.T + (0 if b_ih is None else b_ih + b_hh)
        hidden = cfg.hidden_size
        i, f, g, o = (pre[..., k * hidden:(k + 1) * hidden] for k in range(4))
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c = f * lt.c_prev + i * g
        h = o * np.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        for name, value in dict(pre=pre, i=i, f=f, g=g, o=o, c=c, h=h).items():
            np.testing.assert_allclose(getattr(lt, name)[real], value[real], atol=1e-12, err_msg=name)
        # chaining: the state entering step t is the state after the previous visited step
        order = lt.visit_order
        for a, b in zip(order, order[1:], strict=False):
            both = real[a] & real[b]
            np.testing.assert_array_equal(lt.h_prev[b][both], lt.h[a][both])
            np.testing.assert_array_equal(lt.c_prev[b][both], lt.c[a][both])


@SETTINGS
@given(cases(torch.float64))
def test_trace_agrees_with_forward(case):
    cfg, seed, x, hx, form = case
    model = cfg.build(seed, dtype=torch.float64)
    out, (h_n, c_n) = model(x, hx)
    tr = trace(model, x, hx)
    if isinstance(out, PackedSequence):
        assert torch.equal(tr.output.data, out.data)
        out_tm, _ = pad_packed_sequence(out)  # (T, B, F)
    else:
        assert torch.equal(tr.output, out)
        out_tm = out.unsqueeze(0 if cfg.batch_first else 1) if form == "unbatched" else out
        out_tm = out_tm.transpose(0, 1) if cfg.batch_first else out_tm
    assert torch.equal(tr.h_n, h_n) and torch.equal(tr.c_n, c_n)
    top, d, h_out = cfg.num_layers - 1, cfg.num_directions, cfg.h_out
    h_n3 = h_n.reshape(cfg.num_layers * d, tr.B, -1)
    c_n3 = c_n.reshape(cfg.num_layers * d, tr.B, -1)
    lengths = tr.lengths
    for b in range(tr.B):
        n = int(lengths[b])
        for direction in range(d):
            lt = tr[top, direction]
            # top-layer h is the output (each direction its half)
            half = slice(direction * h_out, (direction + 1) * h_out)
            assert torch.equal(lt.h[:n, b], out_tm[:n, b, half])
            assert torch.equal(tr.output_padded[:n, b], out_tm[:n, b])
            for layer in range(cfg.num_layers):
                lt = tr[layer, direction]
                last = n - 1 if direction == 0 else 0  # the last step this direction visited
                assert torch.equal(lt.h[last, b], h_n3[layer * d + direction, b])
                assert torch.equal(lt.c[last, b], c_n3[layer * d + direction, b])
                # NaN exactly at padded steps
                for name, value in lt.tensors().items():
                    assert not torch.isnan(value[:n, b]).any(), name
                    assert torch.isnan(value[n:, b]).all(), name


def test_unbatched_traces_as_batch_of_one_and_visit_order():
    model = LSTMConfig(3, 4, bidirectional=True).build(1)
    tr = trace(model, torch.randn(6, 3))
    assert tr.kind == "unbatched" and tr.B == 1 and tr.T == 6
    assert tr[0, 0].f.shape == (6, 1, 4) and tr[0, 1].h.shape == (6, 1, 4)
    assert tr[0, 0].visit_order == (0, 1, 2, 3, 4, 5)
    assert tr[0, 1].visit_order == (5, 4, 3, 2, 1, 0)
    assert tr.output.shape == (6, 8)


def test_numpy_and_arrays_are_the_same_numbers():
    model = LSTMConfig(3, 4, num_layers=2, proj_size=2).build(2)
    tr = trace(model, torch.randn(5, 2, 3))
    trn = tr.numpy()
    assert isinstance(trn[1, 0].g, np.ndarray)
    np.testing.assert_array_equal(trn[1, 0].g, tr[1, 0].g.numpy())
    flat = tr.arrays()
    np.testing.assert_array_equal(flat["l1_d0_h"], tr[1, 0].h.numpy())
    assert flat["l0_d0_h"].shape == (5, 2, 2) and flat["l0_d0_h_full"].shape == (5, 2, 4)
    np.testing.assert_array_equal(flat["h_n"], tr.h_n.numpy())


def test_trace_keeps_autograd_graph_only_when_asked():
    model = LSTMConfig(3, 4).build(0)
    x = torch.randn(5, 1, 3)
    assert not trace(model, x)[0, 0].h.requires_grad
    tr = trace(model, x, requires_grad=True)
    tr[0, 0].h[-1].sum().backward()
    assert model.weight_hh_l0.grad is not None and model.weight_hh_l0.grad.abs().sum() > 0


def test_trace_refuses_more_than_the_value_cap():
    model = LSTMConfig(3, 4).build(0)
    with pytest.raises(LimitError, match="traced values"):
        trace(model, torch.randn(50, 2, 3), max_values=100)


def test_trace_records_the_input_share_of_each_pre_activation():
    cfg = LSTMConfig(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    model = cfg.build(5, dtype=torch.float64)
    tr = trace(model, torch.randn(6, 2, 3, dtype=torch.float64))
    for (layer, d), lt in tr.layers.items():
        sfx = f"l{layer}{'_reverse' if d else ''}"
        w_ih, w_hh = getattr(model, f"weight_ih_{sfx}"), getattr(model, f"weight_hh_{sfx}")
        b = getattr(model, f"bias_ih_{sfx}") + getattr(model, f"bias_hh_{sfx}")
        torch.testing.assert_close(lt.x_proj, lt.x @ w_ih.T + b, rtol=0, atol=1e-12)
        torch.testing.assert_close(lt.pre - lt.x_proj, lt.h_prev @ w_hh.T, rtol=0, atol=1e-12)


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
    ["mps"] if torch.backends.mps.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_trace_runs_in_every_dtype_and_device_and_equals_the_forward(device, dtype):
    cfg = LSTMConfig(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    model = cfg.build(0).to(device=device, dtype=dtype)
    x = torch.nn.utils.rnn.pack_padded_sequence(torch.randn(5, 2, 3).to(device=device, dtype=dtype),
                                                torch.tensor([5, 3]), enforce_sorted=False)
    out, (h_n, c_n) = model(x)
    tr = trace(model, x)
    assert torch.equal(tr.output.data, out.data) and torch.equal(tr.h_n, h_n) and torch.equal(tr.c_n, c_n)
    lt = tr[1, 1]
    assert lt.c.dtype == dtype and lt.c.device.type == device
    assert torch.isnan(lt.c[3:, 1].float()).all() and not torch.isnan(lt.c[:3, 1].float()).any()


def test_trace_with_clamps_forces_the_gate_and_changes_what_follows():
    cfg = LSTMConfig(3, 4)
    model = cfg.build(1, dtype=torch.float64)
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    base = trace(model, x)
    clamped = trace(model, x, clamps=[Clamp("f", 1.0, units=[2], steps=[3, 4])])
    assert torch.equal(clamped[0, 0].f[3:5, :, 2], torch.ones(2, 2, dtype=torch.float64))
    assert torch.equal(clamped[0, 0].pre[:4], base[0, 0].pre[:4]) and torch.equal(clamped[0, 0].c[:3], base[0, 0].c[:3])
    assert not torch.equal(clamped[0, 0].c[3:, :, 2], base[0, 0].c[3:, :, 2])
    want = clamped[0, 0].c_prev[3] * 1.0 + clamped[0, 0].i[3] * clamped[0, 0].g[3]  # c = f ⊙ c_prev + i ⊙ g
    torch.testing.assert_close(clamped[0, 0].c[3, :, 2], want[:, 2], rtol=0, atol=1e-15)
