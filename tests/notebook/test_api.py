"""lstm_explorer's Python API: which LSTM is found, the trace against torch.nn.LSTM itself, to_pandas, limits."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import lstm_core
import lstm_explorer as lx
from lstm_core import LimitError

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")


def _lstm(seed=0, **kw):
    torch.manual_seed(seed)
    return nn.LSTM(**({"input_size": 3, "hidden_size": 4} | kw))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(2, 3)
        self.lstm = _lstm(1)


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = nn.Module()
        self.decoder.lstm = _lstm(2)


class WithGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.GRU(3, 4)
        self.head = nn.Linear(4, 1)


# --------------------------------------------------------------------------------------------- lookup
def test_an_nn_lstm_is_itself():
    m = _lstm()
    assert lx.find_lstm(m) == (m, "")


def test_our_lstm_is_itself_and_checked_against_torch():
    ours = lstm_core.LSTM(3, 4, num_layers=2)
    x = torch.randn(5, 2, 3)
    tr = lx.trace(ours, x)
    with torch.no_grad():
        ref_out, _ = ours.to_torch()(x)
    assert tr.checked["reference"] == "torch"
    torch.testing.assert_close(tr.output, ref_out)
    assert tr.checked["output"] == pytest.approx(float((tr.output - ref_out).abs().max()), abs=0)


def test_module_with_one_lstm_finds_it_by_path():
    model = Encoder()
    assert lx.find_lstm(model) == (model.lstm, "lstm")


def test_module_with_two_lstms_asks_for_a_name_and_takes_one():
    model = Seq2Seq()
    with pytest.raises(LookupError, match=r"found 2 LSTMs: encoder\.lstm, decoder\.lstm — pass name="):
        lx.find_lstm(model)
    assert lx.find_lstm(model, "decoder.lstm") == (model.decoder.lstm, "decoder.lstm")
    with pytest.raises(LookupError, match=r"no submodule 'decoder\.gru'; its LSTMs: encoder\.lstm, decoder\.lstm"):
        lx.find_lstm(model, "decoder.gru")


def test_a_gru_is_named_as_such():
    with pytest.raises(LookupError, match=r"^no LSTM found in WithGRU: encoder is a GRU; explore\(\) shows LSTMs$"):
        lx.find_lstm(WithGRU())
    with pytest.raises(LookupError, match=r"^encoder is a GRU; explore\(\) shows LSTMs$"):
        lx.find_lstm(WithGRU(), "encoder")
    with pytest.raises(LookupError, match=r"^the model is a GRU \(GRU\); explore\(\) shows LSTMs$"):
        lx.trace(nn.GRU(3, 4), torch.randn(2, 3))


def test_no_lstm_at_all():
    with pytest.raises(LookupError, match=r"^no LSTM found in Sequential$"):
        lx.trace(nn.Sequential(nn.Linear(3, 3)), torch.randn(2, 3))
    with pytest.raises(TypeError, match="explore\\(\\) takes a torch.nn.Module"):
        lx.find_lstm("lstm.pt")


# ------------------------------------------------------------------------ the trace equals the model
@pytest.mark.parametrize("kw", [
    {},
    {"num_layers": 2, "bidirectional": True},
    {"num_layers": 2, "proj_size": 2, "batch_first": True},
    {"bias": False, "bidirectional": True, "batch_first": True},
])
def test_trace_equals_the_models_own_outputs(kw):
    m = _lstm(3, **kw)
    x = torch.randn(2, 6, 3) if m.batch_first else torch.randn(6, 2, 3)
    h0 = torch.randn(m.num_layers * (2 if m.bidirectional else 1), 2, m.proj_size or m.hidden_size)
    c0 = torch.randn(h0.shape[0], 2, m.hidden_size)
    tr = lx.trace(m, x, (h0, c0))
    out, (h_n, c_n) = m(x, (h0, c0))
    torch.testing.assert_close(tr.output, out)
    torch.testing.assert_close(tr.h_n, h_n)
    torch.testing.assert_close(tr.c_n, c_n)
    for key, ref in (("output", tr.output), ("h_n", tr.h_n), ("c_n", tr.c_n)):
        mine = {"output": out, "h_n": h_n, "c_n": c_n}[key]
        assert tr.checked[key] == pytest.approx(float((ref.double() - mine.double()).abs().max().detach()), abs=1e-12)
        assert tr.checked[key] < 1e-5
    # the last layer's h, both directions, is the module's output (batch-first: transposed)
    out_tm = out.transpose(0, 1) if m.batch_first else out
    P, L, D = m.proj_size or m.hidden_size, m.num_layers, 2 if m.bidirectional else 1
    for d in range(D):
        torch.testing.assert_close(tr[L - 1, d].h, out_tm[..., d * P:(d + 1) * P])


def test_training_mode_is_traced_as_eval_and_the_module_is_left_as_it_was():
    m = _lstm(4, num_layers=2, dropout=0.5).train()
    x = torch.randn(5, 2, 3)
    tr = lx.trace(m, x)
    assert m.training
    m.eval()
    torch.testing.assert_close(tr.output, m(x)[0])


def test_packed_input_is_traced_as_the_model_reads_it():
    m = _lstm(5, batch_first=True, bidirectional=True)
    x = torch.randn(3, 6, 3)
    packed = pack_padded_sequence(x, torch.tensor([6, 2, 4]), batch_first=True, enforce_sorted=False)
    tr = lx.trace(m, packed)
    out, (h_n, _) = m(packed)
    assert tr.kind == "packed"
    torch.testing.assert_close(tr.output.data, out.data)
    torch.testing.assert_close(tr.h_n, h_n)
    assert tr.checked["output"] < 1e-5
    padded, lengths = pad_packed_sequence(out)
    assert lengths.tolist() == [6, 2, 4] and tr.lengths.tolist() == [6, 2, 4]
    forward = tr.numpy()[0, 0].h
    np.testing.assert_allclose(forward[:2, 1], padded[:2, 1, :4].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert np.isnan(forward[2:, 1]).all()


def test_input_follows_the_model_dtype_and_numpy_is_accepted():
    m = _lstm(6).double()
    x = np.random.default_rng(0).standard_normal((4, 1, 3)).astype(np.float32)
    tr = lx.trace(m, x)
    assert tr.output.dtype == torch.float64 and tr.checked["dtype"] == "float64"
    torch.testing.assert_close(tr.output, m(torch.from_numpy(x).double())[0])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_on_cpu_is_traced_in_its_dtype_checked_and_sent_as_float32(dtype):
    m = _lstm(7, num_layers=2).to(dtype)
    x = torch.randn(5, 2, 3)  # float32: brought to the model's dtype
    tr = lx.trace(m, x)
    with torch.no_grad():
        out, (h_n, c_n) = m(x.to(dtype))
    name = str(dtype).replace("torch.", "")
    assert tr.output.dtype == dtype and tr.checked["dtype"] == name
    for key, ref in (("output", out), ("h_n", h_n), ("c_n", c_n)):
        got = {"output": tr.output, "h_n": tr.h_n, "c_n": tr.c_n}[key]
        assert tr.checked[key] == float((got.double() - ref.double()).abs().max()) < 2e-2
    assert tr.numpy32()[1, 0].h.dtype == np.float32 and tr.to_pandas().h.dtype == np.float32
    w = lx.explore(m, x)
    assert w.info["precision_text"] == (f"The model computes in {name} on cpu; the engine traced it there, and the "
                                        "numbers are shown as float32.")
    np.testing.assert_array_equal(w.trace[0, 0].h[:, 0].float().numpy(),
                                  np.frombuffer(base64.b64decode(w.data["view"]["arrays"]["h"]["b64"]),
                                                "<f4").reshape(5, 4))


# ------------------------------------------------------------------------------------------ to_pandas
def test_to_pandas_has_one_row_per_layer_direction_step_sequence_unit():
    m = _lstm(8, num_layers=2, bidirectional=True, proj_size=2)
    x = torch.randn(5, 3, 3)
    tr = lx.trace(m, x)
    df = tr.to_pandas()
    L, D, T, B, H = 2, 2, 5, 3, 4
    assert len(df) == L * D * T * B * H
    assert not df.duplicated(["layer", "direction", "step", "sequence", "unit"]).any()
    for col in ("i", "f", "g", "o", "pre_i", "pre_f", "pre_g", "pre_o", "c_prev", "c", "h_full", "h"):
        assert col in df.columns
    row = df[(df.layer == 1) & (df.direction == 1) & (df.step == 3) & (df.sequence == 2) & (df.unit == 1)].iloc[0]
    lt = tr[1, 1]
    assert row.f == pytest.approx(float(lt.f[3, 2, 1]))
    assert row.pre_g == pytest.approx(float(lt.pre[3, 2, 2 * H + 1]))
    assert row.h == pytest.approx(float(lt.h[3, 2, 1]))
    # projection: h has proj_size units, NaN above
    assert df[df.unit >= 2].h.isna().all() and df[df.unit < 2].h.notna().all()
    # the last layer's h at the last step (forward) is h_n
    last = df[(df.layer == 1) & (df.direction == 0) & (df.step == T - 1) & (df.unit < 2)]
    last = last.sort_values(["sequence", "unit"])
    np.testing.assert_allclose(last.h.to_numpy().reshape(B, 2), tr.h_n[2].numpy(), rtol=1e-6)
    assert lx.to_pandas(tr).equals(df)


def test_to_pandas_marks_padding():
    m = _lstm(9)
    packed = pack_padded_sequence(torch.randn(4, 2, 3), torch.tensor([4, 1]))
    df = lx.trace(m, packed).to_pandas()
    pad = df[(df.sequence == 1) & (df.step >= 1)]
    assert (~pad.valid).all() and pad[["i", "c", "h"]].isna().all().all()
    assert df[df.valid][["i", "c", "h"]].notna().all().all()


# ---------------------------------------------------------------------------------------------- limits
def test_explore_refuses_sizes_above_the_apps_limits_naming_the_limit():
    with pytest.raises(LimitError, match=r"^hidden_size = 65 exceeds the limit of 64"):
        lx.explore(nn.LSTM(3, 65), torch.randn(2, 1, 3))
    with pytest.raises(LimitError, match=r"^seq_len = 201 exceeds the limit of 200"):
        lx.explore(_lstm(batch_first=True), torch.randn(1, 201, 3))
    with pytest.raises(LimitError, match=r"^batch_size = 17 exceeds the limit of 16"):
        lx.explore(_lstm(), torch.randn(3, 17, 3))


def test_trace_refuses_more_numbers_than_the_cap():
    with pytest.raises(LimitError, match="traced values"):
        lx.trace(nn.LSTM(64, 64, num_layers=4), torch.randn(2000, 16, 64))


def test_the_api_imports_no_streamlit():
    import subprocess
    import sys

    code = ("import sys, lstm_explorer, lstm_explorer.widget, lstm_explorer.tracing; "
            "print('streamlit' in sys.modules, 'plotly' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_explore_without_the_notebook_extra_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "lstm_explorer.widget", raising=False)
    with pytest.raises(ModuleNotFoundError, match=r'needs anywidget: pip install "lstm-explorer\[notebook\]"'):
        lx.explore(_lstm(), torch.randn(2, 1, 3))
    assert lx.trace(_lstm(), torch.randn(2, 1, 3)).checked["output"] < 1e-5  # the numbers need no widget
