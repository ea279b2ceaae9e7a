"""Bring your own weights: good state_dicts load with the right inferred configuration; every bad kind is
refused with its own reason code (which the Learn page translates)."""

from __future__ import annotations

import io
import pickle
import warnings

import pytest
import torch
from safetensors.torch import save as st_save

from lessons.weight_files import WeightsError, dump_pt, dump_safetensors, infer_config, load_weights
from lstm_core import LSTM, LSTMConfig
from lstm_core.limits import MAX_HIDDEN_SIZE, MAX_UPLOAD_BYTES

CONFIGS = [
    dict(input_size=3, hidden_size=5),
    dict(input_size=1, hidden_size=4, bias=False),
    dict(input_size=4, hidden_size=6, num_layers=3),
    dict(input_size=3, hidden_size=5, bidirectional=True),
    dict(input_size=3, hidden_size=6, num_layers=2, bidirectional=True, proj_size=2),
    dict(input_size=2, hidden_size=7, num_layers=2, proj_size=3, bias=False),
]


def torch_lstm(seed=0, **kw):
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.nn.LSTM(**kw)


def pt_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def refused(data: bytes, name: str = "w.pt") -> WeightsError:
    with pytest.raises(WeightsError) as info:
        load_weights(data, name)
    return info.value


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()))
@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_good_file_loads_with_inferred_config_and_same_outputs(kw, fmt):
    ref = torch_lstm(**kw)
    sd = {k: v.detach().clone() for k, v in ref.state_dict().items()}
    data = pt_bytes(sd) if fmt == "pt" else st_save(sd)
    loaded = load_weights(data, f"model.{'pth' if fmt == 'pt' else 'safetensors'}")
    assert loaded.config == LSTMConfig(**kw)
    assert loaded.num_params == sum(p.numel() for p in ref.parameters())
    model = loaded.build()
    assert isinstance(model, LSTM) and not model.training
    x = torch.randn(5, 2, kw["input_size"])
    with torch.no_grad():
        out, (h, c) = model(x)
        ref_out, (ref_h, ref_c) = ref(x)
    torch.testing.assert_close(out, ref_out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(h, ref_h, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(c, ref_c, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kw", CONFIGS[::2])
def test_download_roundtrip_pt_and_safetensors_load_into_torch(kw):
    model = LSTMConfig(**kw).build(seed=3)
    for data, name in ((dump_pt(model), "m.pt"), (dump_safetensors(model), "m.safetensors")):
        back = load_weights(data, name)
        assert back.config == model.config
        ref = torch.nn.LSTM(**kw)
        ref.load_state_dict(back.state_dict)  # strict: torch.nn.LSTM accepts the downloaded file as is
        for k, v in model.state_dict().items():
            assert torch.equal(back.state_dict[k], v)


def test_float64_and_float16_files_are_converted_and_reported():
    ref = torch_lstm(input_size=2, hidden_size=3).double()
    loaded = load_weights(pt_bytes(ref.state_dict()), "d.pt")
    assert loaded.source_dtype == "float64"
    assert all(v.dtype == torch.float32 for v in loaded.state_dict.values())
    half = {k: v.half() for k, v in ref.state_dict().items()}
    assert load_weights(st_save(half), "h.safetensors").source_dtype == "float16"


def test_prefixed_submodule_and_checkpoint_wrapper_are_accepted():
    ref = torch_lstm(input_size=2, hidden_size=3)
    prefixed = {f"encoder.lstm.{k}": v for k, v in ref.state_dict().items()}
    loaded = load_weights(pt_bytes(prefixed), "p.pt")
    assert loaded.stripped_prefix == "encoder.lstm." and loaded.config.hidden_size == 3
    wrapped = {"state_dict": ref.state_dict(), "epoch": 7}
    assert load_weights(pt_bytes(wrapped), "c.pt").config.input_size == 2


# ------------------------------------------------------------------------------------------ refusals
def test_refuses_missing_keys():
    sd = torch_lstm(input_size=2, hidden_size=3, num_layers=2).state_dict()
    del sd["weight_hh_l1"]
    err = refused(pt_bytes(sd))
    assert err.code == "missing_keys" and "weight_hh_l1" in err.details["keys"]
    only_bias = {"bias_ih_l0": torch.zeros(12)}
    assert refused(pt_bytes(only_bias)).code == "missing_keys"
    assert refused(pt_bytes({})).code == "missing_keys"


def test_refuses_half_a_bidirectional_layer():
    sd = torch_lstm(input_size=2, hidden_size=3, bidirectional=True).state_dict()
    del sd["weight_ih_l0_reverse"]
    err = refused(pt_bytes(sd))
    assert err.code == "missing_keys" and "weight_ih_l0_reverse" in err.details["keys"]


def test_refuses_extra_keys():
    ref = torch_lstm(input_size=2, hidden_size=3)
    model_sd = {**{f"lstm.{k}": v for k, v in ref.state_dict().items()},
                "fc.weight": torch.zeros(1, 3), "fc.bias": torch.zeros(1)}
    err = refused(pt_bytes(model_sd))
    assert err.code == "extra_keys" and "fc.weight" in err.details["keys"]
    sd = {**ref.state_dict(), "weight_hr_l5": torch.zeros(1, 3)}
    assert refused(pt_bytes(sd)).code == "extra_keys"
    sd = {**ref.state_dict(), "embedding.weight": torch.zeros(10, 2)}
    assert refused(pt_bytes(sd)).code == "extra_keys"


@pytest.mark.parametrize("key, shape", [
    ("weight_ih_l0", (13, 2)),     # 4H not divisible by 4
    ("weight_hh_l0", (12, 5)),     # H_out does not match ((12, 4) would be a whole GRU(2, 4): named as such)
    ("bias_ih_l0", (11,)),
    ("weight_ih_l0", (12,)),       # 1-D weight
])
def test_refuses_odd_shapes(key, shape):
    sd = dict(torch_lstm(input_size=2, hidden_size=3).state_dict())
    sd[key] = torch.zeros(shape)
    err = refused(pt_bytes(sd))
    assert err.code == "shape" and err.details["key"] == key


def test_refuses_projection_not_smaller_than_hidden():
    sd = dict(torch_lstm(input_size=2, hidden_size=3).state_dict())
    sd["weight_hr_l0"] = torch.zeros(3, 3)
    assert refused(pt_bytes(sd)).code == "shape"


class NotATensor:
    pass


def test_refuses_pickled_objects_without_running_them():
    whole_module = torch_lstm(input_size=2, hidden_size=3)
    err = refused(pt_bytes(whole_module))
    assert err.code == "not_plain" and "LSTM" in err.details["found"]
    err = refused(pt_bytes({"weight_ih_l0": NotATensor()}))
    assert err.code == "not_plain" and "NotATensor" in err.details["found"]


def test_refuses_plain_containers_that_are_not_tensors():
    assert refused(pt_bytes({"weight_ih_l0": [1.0, 2.0], "weight_hh_l0": 3})).code == "not_tensors"
    assert refused(pt_bytes(torch.zeros(3))).code == "not_dict"
    assert refused(pt_bytes([torch.zeros(3)])).code == "not_dict"
    assert refused(pickle.dumps({"a": 1}, protocol=2)).code == "corrupt"  # a pickle, but not torch.save


def test_refuses_wrong_dtype():
    sd = {k: v.to(torch.int32) for k, v in torch_lstm(input_size=2, hidden_size=3).state_dict().items()}
    err = refused(pt_bytes(sd))
    assert err.code == "dtype" and "int32" in err.details["dtype"]
    sd = {k: v.bool() for k, v in torch_lstm(input_size=2, hidden_size=3).state_dict().items()}
    assert refused(st_save(sd), "b.safetensors").code == "dtype"


def test_refuses_nan_weights():
    sd = dict(torch_lstm(input_size=2, hidden_size=3).state_dict())
    sd["weight_hh_l0"] = sd["weight_hh_l0"].clone()
    sd["weight_hh_l0"][0, 0] = float("nan")
    assert refused(pt_bytes(sd)).code == "not_finite"


def test_refuses_too_large_files_before_reading_them():
    err = refused(b"\0" * (MAX_UPLOAD_BYTES + 1))
    assert err.code == "too_large" and err.details["limit_mb"] == MAX_UPLOAD_BYTES / 2**20


def test_refuses_models_above_the_app_limits():
    sd = torch_lstm(input_size=2, hidden_size=MAX_HIDDEN_SIZE + 1).state_dict()
    err = refused(pt_bytes(sd))
    assert err.code == "limits" and "hidden_size" in err.details["reason"]


def test_refuses_corrupt_files():
    good = pt_bytes(torch_lstm(input_size=2, hidden_size=3).state_dict())
    assert refused(good[: len(good) // 2]).code == "corrupt"
    assert refused(b"garbage").code == "corrupt"
    assert refused(b"").code == "corrupt"
    assert refused(b"\x10\x00\x00\x00\x00\x00\x00\x00{bad json", "x.safetensors").code == "corrupt"
    st_good = st_save({"weight_ih_l0": torch.zeros(12, 2)})
    assert refused(st_good[:-5], "x.safetensors").code == "corrupt"


def test_refuses_unknown_extensions():
    good = pt_bytes(torch_lstm(input_size=2, hidden_size=3).state_dict())
    assert refused(good, "weights.h5").code == "extension"


def test_infer_config_matches_torch_names_for_every_config():
    for kw in CONFIGS:
        cfg, sd, prefix = infer_config(dict(torch_lstm(**kw).state_dict()))
        assert cfg == LSTMConfig(**kw) and prefix == ""
        assert set(sd) == set(torch_lstm(**kw).state_dict())


@pytest.mark.parametrize("module,name", [
    (lambda: torch.nn.GRU(3, 5), "torch.nn.GRU"),
    (lambda: torch.nn.GRU(2, 4, num_layers=2, bidirectional=True, bias=False), "torch.nn.GRU"),
    (lambda: torch.nn.RNN(3, 5, num_layers=2), "torch.nn.RNN"),
])
def test_other_recurrent_modules_are_named(module, name):
    """A GRU's weight_hh_l0 is (3H, H), an RNN's (H, H): the same names as an LSTM, other gate counts."""
    with pytest.raises(WeightsError) as err:
        load_weights(pt_bytes(module().state_dict()), "gru.pt")
    assert err.value.code == "other_module" and err.value.details == {"module": name}


@pytest.mark.parametrize("kw", CONFIGS)
def test_no_lstm_is_mistaken_for_another_module(kw):
    assert load_weights(pt_bytes(torch_lstm(**kw).state_dict()), "lstm.pt").config == LSTMConfig(**kw)


def test_a_pickle_that_runs_a_shell_command_is_named_not_corrupt():
    """torch refuses ``os.system`` as a blocked module ("unsupported GLOBAL posix.system whose module posix is
    blocked"): the upload names what it found instead of calling the file corrupt."""
    import os

    class Evil:
        def __reduce__(self):
            return (os.system, ("true",))

    buf = io.BytesIO()
    torch.save({"weight_ih_l0": Evil()}, buf)
    with pytest.raises(WeightsError) as err:
        load_weights(buf.getvalue(), "evil.pt")
    assert err.value.code == "not_plain" and "system" in err.value.details["found"]
