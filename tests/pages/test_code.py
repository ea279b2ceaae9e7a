"""Code page: the displayed snippet runs, prints exactly the "What it prints" lines, which equal the shapes
torch.nn.LSTM gives (computed here independently); the user's sequence is embedded; download = display."""

from __future__ import annotations

import contextlib
import io
import re

import torch

from lessons import code
from lessons.sources import InputBatch


def _snippet_and_prints(at):
    codes = [c.value for c in at.main.code]
    snippet = next(c for c in codes if c.startswith('"""LSTM Explorer'))
    prints = next(c for c in codes if c.startswith("input:"))
    return snippet, prints.splitlines()


def _exec(snippet: str) -> list[str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(snippet, "lstm_snippet.py", "exec"), {"__name__": "__main__"})
    return buf.getvalue().splitlines()


def test_snippet_runs_and_prints_what_the_page_shows(run_app, assert_app_ok):
    query = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "batch_first": True,
             "proj_size": 2, "dropout": 0.25, "seed": 5}
    at = run_app(page="code", query=query)
    assert_app_ok(at)
    snippet, prints = _snippet_and_prints(at)
    assert "torch.manual_seed(5)" in snippet
    assert "    dropout=0.25,\n" in snippet and "    proj_size=2,\n" in snippet and "    batch_first=True,\n" in snippet
    # independently: torch.nn.LSTM on a (B=2, T=5, I=3) batch-first input
    torch.manual_seed(5)
    ref = torch.nn.LSTM(3, 4, 2, batch_first=True, dropout=0.25, bidirectional=True, proj_size=2).eval()
    out, (h_n, c_n) = ref(torch.zeros(2, 5, 3))
    assert prints[:4] == ["input: (2, 5, 3)", f"output: {tuple(out.shape)}", f"h_n: {tuple(h_n.shape)}",
                          f"c_n: {tuple(c_n.shape)}"]
    ran = _exec(snippet)
    assert ran[:4] == prints[:4] and ran[-1] == code.OK_LINE == prints[-1]
    assert float(ran[-2].split(":")[-1]) < 1e-5
    # the app's default input (seeded randn) is pasted as a literal, rounded to 6 digits
    x = torch.randn(2, 5, 3, generator=torch.Generator().manual_seed(5))
    literal = re.search(r"x = torch\.tensor\((\[.*?\]), dtype", snippet, re.S).group(1)
    assert torch.allclose(torch.tensor(eval(literal)), x, rtol=1e-5, atol=1e-6)
    assert at.main.get("download_button")[0].label == "Download lstm_snippet.py"


def test_packed_user_sequence_and_zh(run_app, assert_app_ok, app_text):
    data = torch.arange(2 * 4 * 2, dtype=torch.float32).reshape(2, 4, 2) / 10
    batch = InputBatch(data=data, lengths=[4, 2])
    at = run_app(page="code", query={"input_size": 2, "hidden_size": 3}, session={"input_batch": batch},
                 lang="zh")
    assert_app_ok(at)
    snippet, prints = _snippet_and_prints(at)
    assert "pack_padded_sequence(x, lengths, batch_first=False, enforce_sorted=False)" in snippet
    assert "lengths = torch.tensor([4, 2])" in snippet
    assert "[0.2, 0.3],\n        [1, 1.1]," in snippet.replace("1.,", "1,")  # time-major literal: x[t=1]
    ref = torch.nn.LSTM(2, 3)
    packed = torch.nn.utils.rnn.pack_padded_sequence(data.transpose(0, 1), [4, 2], enforce_sorted=False)
    out, (h_n, c_n) = ref(packed)
    assert prints[:5] == ["input: (4, 2, 2)", f"output.data: {tuple(out.data.shape)}", "output: (4, 2, 3)",
                          f"h_n: {tuple(h_n.shape)}", f"c_n: {tuple(c_n.shape)}"]
    assert _exec(snippet)[:5] == prints[:5]
    assert "pack_padded_sequence" in app_text(at) and "复制为 PyTorch" in app_text(at)


def test_unbatched_toggle_and_large_input(run_app, assert_app_ok):
    at = run_app(page="code", query={"input_size": 2, "hidden_size": 3, "batch_size": 1, "seq_len": 4})
    at.toggle(key="code_unbatched").set_value(True).run()
    assert_app_ok(at)
    snippet, prints = _snippet_and_prints(at)
    assert prints[:4] == ["input: (4, 2)", "output: (4, 3)", "h_n: (1, 3)", "c_n: (1, 3)"]
    assert _exec(snippet)[:4] == prints[:4]

    at = run_app(page="code", query={"input_size": 4, "hidden_size": 3, "batch_size": 3, "seq_len": 40})
    assert_app_ok(at)
    snippet, prints = _snippet_and_prints(at)
    assert "x = torch.randn(40, 3, 4)" in snippet and "too many to paste" in snippet
    assert any("480 numbers" in c.value for c in at.main.caption)
    assert _exec(snippet)[:4] == prints[:4] == ["input: (40, 3, 4)", "output: (40, 3, 3)", "h_n: (1, 3, 3)",
                                                "c_n: (1, 3, 3)"]


def test_trained_model_ships_its_weights(run_app, assert_app_ok):
    from lstm_core import LSTMConfig
    from ui.model_source import Stored, weights_digest

    cfg = LSTMConfig(2, 3)
    sd = {k: v * 2 for k, v in cfg.build(seed=9).state_dict().items()}
    item = Stored(cfg, sd, "my.pt", weights_digest(sd))
    at = run_app(page="code", query={"input_size": 2, "hidden_size": 3},
                 session={"_model_store": {"uploaded": item}, "model_source": "uploaded"})
    assert_app_ok(at)
    snippet, _ = _snippet_and_prints(at)
    assert "lstm.load_state_dict(torch.load(weights, weights_only=True))" in snippet
    buttons = at.main.get("download_button")
    assert [b.label for b in buttons] == ["Download lstm_snippet.py", "Download lstm_weights.pt (your weights)"]
    assert any("lstm_weights.pt as well" in c.value for c in at.main.caption)
