"""The code page's snippet is standalone and really runs: generated for many configurations, executed by a
fresh interpreter in an empty folder with no PYTHONPATH (so this project cannot be imported), it prints the
shapes the app shows and its own from-scratch LSTM agrees with torch.nn.LSTM."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys

import pytest
import torch

import lstm_core
from lessons import code as codegen
from lessons import layout, proof
from lstm_core.lstm import LSTMConfig

PYTHON = "/work/venv/bin/python" if os.path.exists("/work/venv/bin/python") else sys.executable
CLEAN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run_fresh(args, tmp_path, **kwargs) -> subprocess.CompletedProcess:
    """A fresh interpreter in an empty folder, no PYTHONPATH: only installed packages can be imported."""
    return subprocess.run([PYTHON, *args], capture_output=True, text=True, cwd=tmp_path, env=CLEAN_ENV,
                          timeout=300, **kwargs)

# Runs each snippet in a fresh namespace (as `python snippet.py` would), capturing its stdout.
RUNNER = r"""
import contextlib, io, json, sys, traceback
results = []
for code in json.load(sys.stdin):
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(code, "snippet.py", "exec"), {"__name__": "__main__"})
        results.append({"ok": True, "stdout": buf.getvalue()})
    except BaseException:
        results.append({"ok": False, "stdout": buf.getvalue(), "error": traceback.format_exc()})
print(json.dumps(results))
"""


def _torch_shapes(case: proof.Case, x_bm: torch.Tensor) -> list[str]:
    """The shape lines computed independently with torch.nn.LSTM (not our engine)."""
    from torch.nn.utils.rnn import pad_packed_sequence

    ref = torch.nn.LSTM(**case.config.kwargs())
    unbatched = case.form == "unbatched"
    x = layout.model_input(case.config, x_bm.float(), case.lengths, unbatched)
    with torch.no_grad():
        out, (h_n, c_n) = ref(x)
    shown = x_bm[0].shape if unbatched else layout.model_input(case.config, x_bm, None).shape
    lines = [f"input: {tuple(shown)}"]
    if case.form == "packed":
        lines += [f"output.data: {tuple(out.data.shape)}",
                  f"output: {tuple(pad_packed_sequence(out, batch_first=case.config.batch_first)[0].shape)}"]
    else:
        lines.append(f"output: {tuple(out.shape)}")
    return lines + [f"h_n: {tuple(h_n.shape)}", f"c_n: {tuple(c_n.shape)}"]


def _cases() -> list[tuple[proof.Case, torch.Tensor | None]]:
    cases = [(c, c.input().float()) for c in proof.random_cases(12, seed=11)]
    big = proof.Case(LSTMConfig(5, 6, 2, True, True, 0.3, True, 3), 4, 20, "batched", None, 2)
    cases.append((big, big.input().float()))  # 400 numbers: too big to embed -> seeded randn of that shape
    cases.append((proof.Case(LSTMConfig(2, 3), 2, 4, "batched", None, 5), None))  # no user input
    cases.append((proof.Case(LSTMConfig(3, 4, 3, False, False, 0.0, True, 2), 3, 4, "packed", (2, 4, 1), 8),
                  None))
    return cases


def test_generated_snippets_run_print_shapes_and_agree(tmp_path):
    cases = _cases()
    flags = {(c.config.bidirectional, c.config.batch_first, c.config.proj_size > 0) for c, _ in cases}
    assert len(cases) >= 12 and len(flags) >= 5
    assert {c.form for c, _ in cases} == {"batched", "unbatched", "packed"}
    assert any(not c.config.bias for c, _ in cases) and any(c.config.num_layers > 1 for c, _ in cases)

    snippets, expected = [], []
    for case, x in cases:
        unbatched = case.form == "unbatched"
        code = codegen.generate(case.config, seed=case.seed, x_bm=x, lengths=case.lengths, unbatched=unbatched,
                                batch_size=case.batch_size, seq_len=case.seq_len)
        compile(code, "snippet.py", "exec")
        assert "lstm_core" not in code.replace("lstm_core/", "") and "sys.path" not in code  # standalone
        assert f"torch.manual_seed({case.seed})" in code
        for key, value in case.config.kwargs().items():
            assert f"    {key}={value!r},\n" in code  # every argument of nn.LSTM(...) spelled out
        assert ("pack_padded_sequence(" in code) == (case.form == "packed")
        embedded = x is not None and x.numel() <= codegen.EMBED_LIMIT
        assert ("x = torch.tensor([" in code) == embedded and ("x = torch.randn(" in code) == (not embedded)
        snippets.append(code)
        x_app = x if x is not None else torch.zeros(case.batch_size, case.seq_len, case.config.input_size)
        app_lines = codegen.printed_shapes(case.config, case.batch_size, case.seq_len, case.lengths, unbatched)
        assert app_lines == _torch_shapes(case, x_app)  # what the app shows is what torch gives
        expected.append(app_lines)

    # the snippet's own assert is real: with a weight nudged after torch ran, the from-scratch LSTM disagrees
    call = "    ours = lstm_from_scratch(lstm, x_time_major, lengths)"
    wrong = snippets[0].replace(call, "    lstm.weight_hh_l0.add_(0.01)\n" + call)
    assert wrong != snippets[0]
    proc = _run_fresh(["-c", RUNNER], tmp_path, input=json.dumps(snippets + [wrong]))
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == len(cases) + 1
    assert not results[-1]["ok"] and "disagrees with torch.nn.LSTM" in results[-1]["error"]
    for (case, _), want, res in zip(cases, expected, results[:-1], strict=True):
        assert res["ok"], (case.encode(), res.get("error"))
        lines = res["stdout"].splitlines()
        assert lines[:len(want)] == want, case.encode()
        assert lines[-1] == codegen.OK_LINE
        diff = float(lines[-2].split(":")[-1])
        assert diff < 1e-5, case.encode()


FILE_CASES = [
    proof.Case(LSTMConfig(3, 4, 2, True, True, 0.2, True, 2), 2, 5, "packed", (5, 3), 4),  # everything at once
    proof.Case(LSTMConfig(3, 5, bidirectional=True), 3, 6, "batched", None, 1),
    proof.Case(LSTMConfig(2, 4, num_layers=2), 2, 4, "batched", None, 2),
    proof.Case(LSTMConfig(4, 6, proj_size=3), 2, 5, "batched", None, 3),
    proof.Case(LSTMConfig(3, 4, batch_first=True), 2, 5, "batched", None, 5),
    proof.Case(LSTMConfig(2, 3, bias=False), 1, 4, "unbatched", None, 6),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=["packed-all", "bidirectional", "2layers", "proj", "batch_first",
                                                  "unbatched-nobias"])
def test_snippet_runs_as_a_file_in_an_empty_folder(case, tmp_path):
    path = tmp_path / "lstm_snippet.py"
    unbatched = case.form == "unbatched"
    path.write_text(codegen.generate(case.config, case.seed, case.input().float(), case.lengths,
                                     unbatched=unbatched), encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["lstm_snippet.py"]
    proc = _run_fresh([str(path)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    want = codegen.printed_shapes(case.config, case.batch_size, case.seq_len, case.lengths, unbatched)
    assert lines[: len(want)] == want
    assert lines[-1] == codegen.OK_LINE
    diff = float(lines[-2].split(":")[-1])
    assert lines[-2] == codegen.DIFF_LINE.format(diff=f"{diff:.3g}") and diff < 1e-5


def test_snippet_carries_the_engines_own_cell_and_loop():
    """The snippet's LSTM is the engine's code as its modules hold it (read with inspect), not a copy."""
    code = codegen.generate(LSTMConfig(2, 3), seed=0)
    for obj in (lstm_core.cell.cell_step, lstm_core.cell.CellStep, lstm_core.recurrence.run_direction):
        assert inspect.getsource(obj) in code
    for line in ("    i = torch.sigmoid(pre_i)", "    c = f * c_prev + i * g", "    h_full = o * torch.tanh(c)"):
        assert line in code


def test_tensor_literal_roundtrip():
    x = torch.tensor([[[0.5, -1.25e-7, 3.0]], [[2.0, 0.1, -7.0]]])
    lit = codegen.tensor_literal(x)
    back = torch.tensor(eval(lit))  # our own literal
    assert torch.allclose(back, x, rtol=1e-6, atol=0)


def test_snippet_loads_trained_weights_next_to_it(tmp_path, capsys):
    """Trained/uploaded weights are not the seed's: the snippet loads the saved state_dict beside it."""
    cfg = LSTMConfig(2, 3, 2, True, False, 0.0, True, 0)
    trained = cfg.build(seed=1)
    with torch.no_grad():
        for p in trained.parameters():
            p.mul_(3.0)  # far from any seed's initialisation
    torch.save(trained.state_dict(), tmp_path / "lstm_weights.pt")
    code = codegen.generate(cfg, seed=1, x_bm=torch.randn(2, 4, 2), weights_file="lstm_weights.pt")
    assert "torch.load(weights, weights_only=True)" in code
    namespace = {"__name__": "__main__", "__file__": str(tmp_path / "lstm_snippet.py")}
    exec(compile(code, "lstm_snippet.py", "exec"), namespace)
    assert capsys.readouterr().out.splitlines()[-1] == codegen.OK_LINE
    for name, value in trained.state_dict().items():
        assert torch.equal(namespace["lstm"].state_dict()[name], value), name
    with torch.no_grad():  # the from-scratch LSTM ran with these weights: it gives the trained model's output
        want = trained(namespace["x"])
    assert torch.allclose(namespace["ours"][0], want[0], atol=1e-6) and torch.allclose(namespace["ours"][1], want[1][0])
