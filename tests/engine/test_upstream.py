"""PyTorch's own nn.LSTM tests (test/test_nn.py, test/test_modules.py with common_modules' LSTM samples),
retold in our words: each builds our engine where upstream builds ``nn.LSTM`` and uses torch (same weights)
as the reference. They keep closed the drop-in gaps user code hits (all_weights, _flat_weights, mode,
flatten_parameters, weight_norm, the zero-length error, repr). ``isinstance(ours, nn.LSTM)`` stays False.
"""

from __future__ import annotations

import copy
import io
import itertools
import pickle

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_core import LSTM


def _pair(seed=0, dtype=torch.float64, **kwargs):
    """(ours, torch's) with identical weights."""
    torch.manual_seed(seed)
    ours = LSTM(**kwargs, dtype=dtype)
    return ours, ours.to_torch()


def _close(a, b, tol=1e-12):
    assert a.shape == b.shape
    assert torch.allclose(a, b, atol=tol, rtol=0), (a - b).abs().max()


# ---- test_modules.py: module_inputs_torch_nn_LSTM (2 layers, hidden 3, input 2) over bias × batch_first ×
# bidirectional × proj_size, unbatched input with and without (h_0, c_0), against the batched reference.
SAMPLES = list(itertools.product((False, True), (False, True), (False, True), (0, 2)))


@pytest.mark.parametrize("bias,batch_first,bidirectional,proj_size", SAMPLES)
@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched_samples_equal_torch_and_the_batched_reference(bias, batch_first, bidirectional, proj_size,
                                                                  with_hx):
    kwargs = dict(input_size=2, hidden_size=3, num_layers=2, proj_size=proj_size, batch_first=batch_first,
                  bias=bias, bidirectional=bidirectional)
    ours, ref = _pair(**kwargs)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    d = 2 if bidirectional else 1
    hx = (torch.randn(2 * d, proj_size or 3, generator=gen, dtype=torch.float64),
          torch.randn(2 * d, 3, generator=gen, dtype=torch.float64)) if with_hx else None
    out, (h, c) = ours(x, hx)
    out_ref, (h_ref, c_ref) = ref(x, hx)
    _close(out, out_ref), _close(h, h_ref), _close(c, c_ref)
    # upstream's no_batch_dim_reference_lstm: add a batch of one, run batched, take it away again
    xb = x.unsqueeze(0 if batch_first else 1)
    hxb = None if hx is None else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
    out_b, (h_b, c_b) = ours(xb, hxb)
    _close(out, out_b.squeeze(0 if batch_first else 1)), _close(h, h_b.squeeze(1)), _close(c, c_b.squeeze(1))


# ---- test_modules.py: test_repr
@pytest.mark.parametrize("kwargs", [
    {}, {"proj_size": 2, "num_layers": 2}, {"bias": False}, {"batch_first": True}, {"dropout": 0.5, "num_layers": 2},
    {"bidirectional": True}, {"dropout": 1, "num_layers": 3, "bidirectional": True, "proj_size": 4,
                              "bias": False, "batch_first": True},
])
def test_repr_is_torchs(kwargs):
    torch.manual_seed(0)
    assert repr(LSTM(3, 5, **kwargs)) == repr(nn.LSTM(3, 5, **kwargs))


def test_repr_of_the_issue_example():
    assert repr(LSTM(3, 5, proj_size=2, num_layers=2)) == "LSTM(3, 5, proj_size=2, num_layers=2)"


# ---- RNNBase attributes that tools read
@pytest.mark.parametrize("kwargs", [{}, {"bias": False}, {"proj_size": 2, "num_layers": 2, "bidirectional": True},
                                    {"bias": False, "proj_size": 1}])
def test_flat_weights_all_weights_and_mode_match_torch(kwargs):
    ours, ref = _pair(input_size=3, hidden_size=4, **kwargs)
    assert ours.mode == ref.mode == "LSTM"
    assert ours._flat_weights_names == ref._flat_weights_names
    assert len(ours._flat_weights) == len(ref._flat_weights)
    for a, b in zip(ours._flat_weights, ref._flat_weights, strict=True):
        assert torch.equal(a, b)
    assert [[p.shape for p in ws] for ws in ours.all_weights] == [[p.shape for p in ws] for ws in ref.all_weights]
    for ws, wr in zip(ours.all_weights, ref.all_weights, strict=True):
        assert all(torch.equal(a, b) for a, b in zip(ws, wr, strict=True))
    # all_weights are the parameters themselves, so optimisers and in-place init see the same tensors
    assert all(p is q for p, q in zip(ours._flat_weights, ours.parameters(), strict=True))


def test_flat_weights_follow_assignment_to_dtype_and_load_state_dict():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2)
    new = nn.Parameter(torch.ones_like(ours.weight_hh_l0))
    ours.weight_hh_l0 = new
    assert ours._flat_weights[1] is new
    ours.float()
    assert all(w.dtype == torch.float32 for w in ours._flat_weights)
    ours.load_state_dict(ref.float().state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours._flat_weights, ref._flat_weights, strict=True))
    x = torch.randn(4, 2, 3)
    _close(ours.double()(x.double())[0], ref.double()(x.double())[0])


# ---- test_nn.py: test_rnn_weight_norm (old weight_norm and the parametrization)
@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated")
@pytest.mark.parametrize("proj_size,num_params", [(0, 4), (2, 5)])
@pytest.mark.parametrize("name", ["weight_ih_l0", "weight_hh_l0"])
def test_weight_norm_on_a_weight(proj_size, num_params, name):
    ours, ref = _pair(input_size=3, hidden_size=4, proj_size=proj_size)
    ours = nn.utils.weight_norm(ours, name=name)
    ref = nn.utils.weight_norm(ref, name=name)
    assert sum(isinstance(p, nn.Parameter) for p in ours._flat_weights) == num_params - 1
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    _close(ours(x)[0], ref(x)[0])
    out = ours(x)[0].sum()
    out.backward()
    assert getattr(ours, name + "_g").grad is not None and getattr(ours, name + "_v").grad is not None
    ours = nn.utils.remove_weight_norm(ours, name=name)
    assert sum(isinstance(p, nn.Parameter) for p in ours._flat_weights) == num_params
    assert name in ours._parameters and ours._parameters[name] is not None
    assert name + "_v" not in ours._parameters and name + "_g" not in ours._parameters
    assert name in dict(ours.named_parameters())


def test_weight_norm_parametrization_and_functional_call():
    ours, ref = _pair(input_size=3, hidden_size=4)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    nn.utils.parametrizations.weight_norm(ours, "weight_hh_l0")
    nn.utils.parametrizations.weight_norm(ref, "weight_hh_l0")
    _close(ours(x)[0], ref(x)[0])
    # torch.func.functional_call swaps the weights for one call (torch's _weights_have_changed path)
    plain, plain_ref = _pair(input_size=3, hidden_size=4)
    params = {n: torch.zeros_like(p) for n, p in plain.named_parameters()}
    _close(torch.func.functional_call(plain, params, (x,))[0], torch.func.functional_call(plain_ref, params, (x,))[0])
    assert torch.equal(torch.func.functional_call(plain, params, (x,))[0], torch.zeros(5, 2, 4, dtype=torch.float64))


# ---- flatten_parameters (a no-op on CPU), often called inside forward
def test_flatten_parameters_is_a_harmless_no_op():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2)
    before = [p.clone() for p in ours.parameters()]
    assert ours.flatten_parameters() is None and ref.flatten_parameters() is None
    assert all(torch.equal(a, b) for a, b in zip(before, ours.parameters(), strict=True))
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    _close(ours(x)[0], ref(x)[0])


# ---- zero-length and zero-batch inputs
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("shape", [(0, 2, 3), (2, 0, 3), (0, 3)])
def test_zero_sizes_behave_as_torch(batch_first, shape):
    ours, ref = _pair(input_size=3, hidden_size=5, batch_first=batch_first)
    x = torch.randn(*shape, dtype=torch.float64)
    try:
        expected = ref(x)
    except RuntimeError as err:
        with pytest.raises(RuntimeError) as ours_err:
            ours(x)
        assert str(ours_err.value) == str(err) == "Expected sequence length to be larger than 0 in RNN"
        return
    out, (h, c) = ours(x)
    assert out.shape == expected[0].shape and h.shape == expected[1][0].shape and c.shape == expected[1][1].shape


# ---- test_modules.py: test_factory_kwargs, test_multiple_device_transfer, dtype moves
def test_factory_kwargs_and_dtype_moves():
    ours = LSTM(3, 4, num_layers=2, dtype=torch.float64, device="cpu")
    assert all(p.dtype == torch.float64 and p.device.type == "cpu" for p in ours.parameters())
    for move, dtype in ((ours.float, torch.float32), (ours.double, torch.float64),
                        (lambda: ours.to(torch.float32), torch.float32)):
        moved = move()
        assert moved is ours and all(w.dtype == dtype for w in ours._flat_weights)
        ref = ours.to_torch()
        x = torch.randn(4, 2, 3, dtype=dtype)
        _close(ours(x)[0], ref(x)[0], tol=1e-6)


# ---- test_modules.py: test_pickle / test_save_load, and deepcopy
def test_pickle_save_load_and_deepcopy_keep_outputs():
    ours, _ = _pair(input_size=3, hidden_size=4, proj_size=2, bidirectional=True)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    expected = ours(x)[0]
    buffer = io.BytesIO()
    torch.save(ours, buffer)
    buffer.seek(0)
    for clone in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours), torch.load(buffer, weights_only=False)):
        assert torch.equal(clone(x)[0], expected)
        assert clone._flat_weights_names == ours._flat_weights_names
        assert all(a is b for a, b in zip(clone._flat_weights, clone.parameters(), strict=True))


# ---- test_modules.py: test_non_contiguous_tensors
def test_non_contiguous_input_and_states():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(2, 5, 6, dtype=torch.float64)[:, :, ::2].transpose(0, 1)  # (5, 2, 3), not contiguous
    h0 = torch.randn(2, 4, 2, dtype=torch.float64).transpose(1, 2)
    c0 = torch.randn(2, 4, 2, dtype=torch.float64).transpose(1, 2)
    assert not x.is_contiguous() and not h0.is_contiguous()
    for a, b in zip(ours(x, (h0, c0))[1], ref(x.contiguous(), (h0.contiguous(), c0.contiguous()))[1], strict=True):
        _close(a, b)


# ---- test_nn.py: test_rnn_args_check and test_projections_lstm_args_check
@pytest.mark.parametrize("proj_size", [0, 2])
def test_bad_shapes_raise_torchs_errors(proj_size):
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, proj_size=proj_size, bidirectional=True)
    h_out = proj_size or 4
    good_h, good_c = torch.zeros(4, 2, h_out, dtype=torch.float64), torch.zeros(4, 2, 4, dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    bad = [
        (torch.randn(5, 2, 4, dtype=torch.float64), None),  # wrong input size
        (x, (torch.zeros(3, 2, h_out, dtype=torch.float64), good_c)),  # wrong number of layers
        (x, (torch.zeros(4, 3, h_out, dtype=torch.float64), good_c)),  # wrong batch
        (x, (torch.zeros(4, 2, h_out + 1, dtype=torch.float64), good_c)),  # wrong hidden width
        (x, (good_h, torch.zeros(4, 2, 5, dtype=torch.float64))),  # wrong cell width
        (x, (good_h[0], good_c[0])),  # 2-D states for batched input
        (x.float(), None),  # dtype mismatch
        (torch.randn(2, 3, 5, 3, dtype=torch.float64), None),  # 4-D input
    ]
    for inp, hx in bad:
        with pytest.raises(Exception) as expected:
            ref(inp, hx)
        with pytest.raises(type(expected.value)) as got:
            ours(inp, hx)
        assert str(got.value) == str(expected.value)


# ---- test_nn.py: test_rnn_initial_hidden_state / test_projections_lstm_initial_hidden_state
@pytest.mark.parametrize("proj_size", [0, 2])
def test_zero_initial_state_is_no_initial_state(proj_size):
    ours, _ = _pair(input_size=3, hidden_size=4, num_layers=2, proj_size=proj_size)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    hx = (torch.zeros(2, 2, proj_size or 4, dtype=torch.float64), torch.zeros(2, 2, 4, dtype=torch.float64))
    a, (ha, ca) = ours(x)
    b, (hb, cb) = ours(x, hx)
    assert torch.equal(a, b) and torch.equal(ha, hb) and torch.equal(ca, cb)
    assert ha.shape == (2, 2, proj_size or 4) and ca.shape == (2, 2, 4)


# ---- test_nn.py: test_LSTM_grad_and_gradgrad (first order here: our engine's own gradients, numerically)
@pytest.mark.parametrize("kwargs", [{}, {"proj_size": 2, "bidirectional": True, "num_layers": 2}, {"bias": False}])
def test_gradcheck(kwargs):
    ours, _ = _pair(input_size=2, hidden_size=3, **kwargs)
    d = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(4, 2, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    h0 = torch.randn(layers * d, 2, kwargs.get("proj_size") or 3, dtype=torch.float64, generator=gen,
                     requires_grad=True)
    c0 = torch.randn(layers * d, 2, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    params = tuple(ours.parameters())

    def fn(x, h0, c0, *weights):
        names = [n for n, _ in ours.named_parameters()]
        out, (h, c) = torch.func.functional_call(ours, dict(zip(names, weights, strict=True)), (x, (h0, c0)))
        return out, h, c

    assert torch.autograd.gradcheck(fn, (x, h0, c0, *params))


# ---- test_nn.py: test_rnn_retain_variables
def test_backward_twice_with_retained_graph():
    ours, _ = _pair(input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    out = ours(x)[0].sum()
    out.backward(retain_graph=True)
    first = [p.grad.clone() for p in ours.parameters()] + [x.grad.clone()]
    ours.zero_grad()
    x.grad = None
    out.backward()
    for a, b in zip(first, [p.grad for p in ours.parameters()] + [x.grad], strict=True):
        assert torch.equal(a, b)


# ---- test_nn.py: test_RNN_change_dropout / test_RNN_dropout_state
def test_changing_dropout_after_construction():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    ours.train()
    for p in (0.0, 1.0):
        ours.dropout = p
        ref.dropout = p
        ref.train()
        out, (h, c) = ours(x)
        out_ref, (h_ref, c_ref) = ref(x)
        _close(out, out_ref), _close(h, h_ref), _close(c, c_ref)  # p=0: nothing dropped; p=1: all of it
    ours.dropout, ref.dropout = 0.5, 0.5
    ours.eval()
    ref.eval()
    _close(ours(x)[0], ref(x)[0])  # evaluation never drops


# ---- packed sequences: unsorted batches, round trip through pad_packed_sequence
def test_packed_unsorted_batch_like_torch():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    x = torch.randn(6, 3, 3, dtype=torch.float64)
    packed = pack_padded_sequence(x, [2, 6, 4], enforce_sorted=False)
    out, (h, c) = ours(packed)
    out_ref, (h_ref, c_ref) = ref(packed)
    _close(pad_packed_sequence(out)[0], pad_packed_sequence(out_ref)[0]), _close(h, h_ref), _close(c, c_ref)
    assert torch.equal(out.batch_sizes, out_ref.batch_sizes)
    assert torch.equal(out.unsorted_indices, out_ref.unsorted_indices)


def test_not_an_nn_lstm_by_design():
    assert not isinstance(LSTM(2, 3), nn.LSTM) and isinstance(LSTM(2, 3), nn.Module)


def test_a_pickle_from_before_the_weight_lists_still_loads():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    names = ours._flat_weights_names
    state = ours.__getstate__().copy()
    del state["_all_weights"], state["_flat_weights_names"]
    old = LSTM.__new__(LSTM)
    old.__setstate__(state)
    assert old._flat_weights_names == names == ref._flat_weights_names
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    _close(old(x)[0], ref(x)[0])


# ---- test_nn.py: test_LSTM_grad_and_gradgrad (second order), with batched gradients (vmap) on
def _functional(model):
    names = [n for n, _ in model.named_parameters()]

    def fn(x, h0, c0, *weights):
        out, (h, c) = torch.func.functional_call(model, dict(zip(names, weights, strict=True)), (x, (h0, c0)))
        return out, h, c

    return fn


@pytest.mark.parametrize("kwargs", [{}, {"proj_size": 2, "bidirectional": True, "num_layers": 2}])
def test_gradcheck_and_gradgradcheck_with_batched_grad(kwargs):
    ours, _ = _pair(input_size=2, hidden_size=3, **kwargs)
    d = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1)
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(3, 2, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    h0 = torch.randn(layers * d, 2, kwargs.get("proj_size") or 3, dtype=torch.float64, generator=gen,
                     requires_grad=True)
    c0 = torch.randn(layers * d, 2, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    inputs = (x, h0, c0, *ours.parameters())
    assert torch.autograd.gradcheck(_functional(ours), inputs, check_batched_grad=True)
    assert torch.autograd.gradgradcheck(_functional(ours), inputs, check_batched_grad=True)


def test_double_backward_with_create_graph_equals_torch():
    """A gradient penalty (as MAML and WGAN-GP use): backward through ∂L/∂x, same numbers as nn.LSTM."""
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    x = torch.randn(5, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    results = []
    for model in (ours, ref):
        xg = x.clone().requires_grad_(True)
        out, (h, c) = model(xg)
        (dx,) = torch.autograd.grad((out ** 2).sum() + h.sum() + c.sum(), xg, create_graph=True)
        assert dx.requires_grad
        penalty = (dx ** 2).sum()
        penalty.backward()
        results.append([dx.detach(), xg.grad, *(p.grad for p in model.parameters())])
    for a, b in zip(*results, strict=True):
        _close(a, b, tol=1e-10)
    assert all(float(g.abs().max()) > 0 for g in results[0])


# ---- torch.func: vmap over a batch of sequences, grad of the parameters, jacrev of the input
def test_vmap_over_sequences_equals_a_python_loop_and_torch():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, proj_size=2)
    xs = torch.randn(6, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))  # 6 × (T=5, I=3)
    out, (h, c) = torch.func.vmap(ours)(xs)
    assert out.shape == (6, 5, 2) and h.shape == (6, 2, 2) and c.shape == (6, 2, 4)
    for k in range(6):
        want, (want_h, want_c) = ref(xs[k])  # unbatched, one sequence at a time
        _close(out[k], want), _close(h[k], want_h), _close(c[k], want_c)


def test_func_grad_of_the_parameters_equals_torch():
    ours, ref = _pair(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    x = torch.randn(5, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    params = {n: p.detach() for n, p in ours.named_parameters()}
    grads = torch.func.grad(lambda p: torch.func.functional_call(ours, p, (x,))[0].tanh().sum())(params)
    ref(x)[0].tanh().sum().backward()
    for name, p in ref.named_parameters():
        _close(grads[name], p.grad)
    # and per-sample gradients: vmap of grad, each equal to that sample alone
    per_sample = torch.func.vmap(torch.func.grad(
        lambda p, xb: torch.func.functional_call(ours, p, (xb,))[0].tanh().sum()), in_dims=(None, 1))(params, x)
    for b in range(2):
        ref.zero_grad()
        ref(x[:, b])[0].tanh().sum().backward()
        for name, p in ref.named_parameters():
            _close(per_sample[name][b], p.grad)


def test_jacrev_of_the_output_equals_torch():
    ours, ref = _pair(input_size=2, hidden_size=3, proj_size=1)
    x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    jac = torch.func.jacrev(lambda inp: ours(inp)[0])(x)
    want = torch.autograd.functional.jacobian(lambda inp: ref(inp)[0], x)
    assert jac.shape == (4, 1, 4, 2)
    _close(jac, want)


# ---- test_nn.py: the half-precision forwards (CPU): float16 and bfloat16 against torch in the same dtype,
# and against torch in float32 on the same (rounded) weights
@pytest.mark.parametrize("dtype,tol", [(torch.float16, 5e-3), (torch.bfloat16, 4e-2)])
def test_half_precision_forward_and_backward(dtype, tol):
    ours, ref = _pair(dtype=dtype, input_size=3, hidden_size=8, num_layers=2, bidirectional=True, proj_size=4)
    x = torch.randn(6, 2, 3, generator=torch.Generator().manual_seed(7)).to(dtype)
    out, (h, c) = ours(x)
    assert out.dtype == h.dtype == c.dtype == dtype
    for value, expected in zip((out, h, c), (ref(x)[0], *ref(x)[1]), strict=True):
        _close(value.float(), expected.float(), tol=tol)
    ref32 = ours.to_torch().float()
    out32, (h32, c32) = ref32(x.float())
    for value, expected in ((out, out32), (h, h32), (c, c32)):
        _close(value.float(), expected, tol=tol)
    out.float().sum().backward()
    assert all(p.grad is not None and p.grad.dtype == dtype and torch.isfinite(p.grad).all()
               for p in ours.parameters())


# ---- test_nn.py: input_size=0 (torch 2.13 refuses it in the constructor)
def test_input_size_zero_raises_torchs_error():
    with pytest.raises(ValueError) as expected:
        nn.LSTM(0, 4)
    with pytest.raises(ValueError) as got:
        LSTM(0, 4)
    assert str(got.value) == str(expected.value) == "input_size must be greater than zero"
