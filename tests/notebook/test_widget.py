"""The widget's synced data (Python side, no browser) equals the engine's trace and the model's own outputs."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest
import torch
import traitlets
from torch import nn

import lstm_explorer as lx
from lstm_explorer.widget import Explorer
from ui.figures import stepper as fs

COMPONENT = Path(__file__).resolve().parents[2] / "ui" / "components" / "stepper"


def decode(entry) -> np.ndarray:
    """What the browser decodes: base64 little-endian float32 of the given shape."""
    return np.frombuffer(base64.b64decode(entry["b64"]), dtype="<f4").reshape(entry["shape"])


def _model(**kw):
    torch.manual_seed(11)
    return nn.LSTM(**({"input_size": 3, "hidden_size": 5, "num_layers": 2, "bidirectional": True} | kw))


def test_synced_arrays_are_the_models_own_output_h_n_and_c_n():
    m = _model(batch_first=True)
    x = torch.randn(3, 7, 3)
    w = lx.explore(m, x)
    with torch.no_grad():
        out, (h_n, c_n) = m(x)  # out (B, T, 2H), h_n/c_n (L*D, B, H)
    for layer in (0, 1):
        for d in (0, 1):
            for b in (0, 2):
                w.layer, w.direction, w.sequence = layer, d, b
                state = w.get_state()["data"]  # what goes over the wire
                view, arrays = state["view"], {k: decode(v) for k, v in state["view"]["arrays"].items()}
                assert (view["layer"], view["direction"], view["b"]) == (layer, d, b)
                last = view["order"][-1]  # the step this direction computes last holds h_n, c_n
                np.testing.assert_allclose(arrays["h"][last], h_n[2 * layer + d, b].numpy(), rtol=1e-6, atol=1e-7)
                np.testing.assert_allclose(arrays["c"][last], c_n[2 * layer + d, b].numpy(), rtol=1e-6, atol=1e-7)
                if layer == 1:
                    np.testing.assert_allclose(arrays["h"], out[b, :, 5 * d:5 * (d + 1)].numpy(), rtol=1e-6, atol=1e-7)
                # and every gate is the engine's trace, float32
                lt = w.trace[layer, d]
                for q in ("i", "f", "g", "o", "c", "c_prev", "h_full", "pre", "x_proj"):
                    np.testing.assert_array_equal(arrays[q], getattr(lt, q)[:, b].numpy().astype(np.float32))


def test_the_check_against_the_model_is_shown():
    m = _model()
    x = torch.randn(4, 2, 3)
    w = lx.explore(m, x)
    info = w.get_state()["info"]
    with torch.no_grad():
        out, _ = m(x)
    assert info["checked"]["reference"] == "torch.nn.LSTM"
    assert info["checked"]["output"] == pytest.approx(float((w.trace.output - out).abs().max()), abs=1e-12)
    assert info["checked_text"] == ("Checked against your torch.nn.LSTM: max |Δ| output "
                                    f"{info['checked']['output']:.1e} · h_n {info['checked']['h_n']:.1e} · "
                                    f"c_n {info['checked']['c_n']:.1e}")
    assert info["precision_text"] == ""
    assert (info["L"], info["D"], info["lengths"]) == (2, 2, [4, 4])


def test_chinese_and_a_named_submodule():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = _model(num_layers=1, bidirectional=False)
            self.dec = _model(num_layers=1, bidirectional=False)

    w = lx.explore(Net(), torch.randn(3, 1, 3), name="dec", lang="zh")
    info = w.get_state()["info"]
    assert info["checked_text"].startswith("已与你的 torch.nn.LSTM（dec）核对：最大 |Δ| output ")
    assert w.data["strings"]["stepper.layer"] == "层"
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        lx.explore(Net(), torch.randn(3, 1, 3), name="dec", lang="fr")


def test_the_component_is_the_web_apps_own_files_and_the_adapter_imports_it():
    w = lx.explore(_model(num_layers=1), torch.randn(2, 1, 3))
    state = w.get_state()
    assert state["_component"] == fs.component_files()  # exactly what the web app registers
    assert state["_component"]["html"] == (COMPONENT / "stepper.html").read_text(encoding="utf-8")
    assert "export default { render }" in state["_esm"] and "await import(url)" in state["_esm"]
    assert (COMPONENT / "stepper.css").read_text(encoding="utf-8") in state["_css"]


def test_a_new_selection_opens_at_the_step_the_browser_reported():
    w = lx.explore(_model(), torch.randn(6, 1, 3))
    w.state = {"view": {"timestep": 4, "unit": 3}}  # as the component reports it (debounced)
    w.direction = 1
    assert w.data["start"] == {"k": 4, "unit": 3}
    w.state = {"view": {"timestep": 99, "unit": "x"}}
    w.layer = 1
    assert w.data["start"] == {"k": 5, "unit": 0}


def test_selection_out_of_range_is_refused():
    w = lx.explore(_model(bidirectional=False), torch.randn(6, 2, 3))
    with pytest.raises(traitlets.TraitError, match="direction must be between 0 and 0, got 1"):
        w.direction = 1
    with pytest.raises(traitlets.TraitError, match="sequence must be between 0 and 1, got 2"):
        w.sequence = 2
    assert isinstance(w, Explorer) and w.direction == 0


def test_packed_unbatched_and_our_lstm_inside_a_module():
    from torch.nn.utils.rnn import pack_sequence

    import lstm_core

    m = _model(num_layers=1, batch_first=True)
    packed = pack_sequence([torch.randn(5, 3), torch.randn(2, 3)], enforce_sorted=False)
    w = lx.explore(m, packed)
    assert w.info["lengths"] == [5, 2]
    w.sequence = 1
    view = w.data["view"]
    assert view["length"] == 2 and view["valid"] == [True, True, False, False, False]
    with torch.no_grad():
        _, (h_n, _) = m(packed)
    np.testing.assert_allclose(decode(view["arrays"]["h"])[1], h_n[0, 1].numpy(), rtol=1e-6, atol=1e-7)
    assert np.isnan(decode(view["arrays"]["h"])[2:]).all()

    x = torch.randn(4, 3)  # unbatched: (T, input_size), whatever batch_first says
    w = lx.explore(m, x)
    with torch.no_grad():
        out, _ = m(x)
    assert w.info["lengths"] == [4]
    np.testing.assert_allclose(decode(w.data["view"]["arrays"]["h"]), out[:, :5].numpy(), rtol=1e-6, atol=1e-7)

    holder = nn.Sequential(nn.Identity(), lstm_core.LSTM(3, 2))
    w = lx.explore(holder, torch.randn(3, 1, 3))
    assert w.info["checked"]["reference"] == "torch" and w.info["checked"]["path"] == "1"
    assert w.info["checked_text"].startswith("Checked against torch.nn.LSTM with the same weights (1): max |Δ|")
