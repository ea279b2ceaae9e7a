"""The code page's snippet really runs: generated for many configurations, executed in a subprocess from the
repository root, it prints the shapes the app shows and its own comparison with lstm_core passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import torch

from lessons import code as codegen
from lessons import layout, proof
from lstm_core.lstm import LSTMConfig

ROOT = Path(__file__).resolve().parents[2]

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


def test_generated_snippets_run_print_shapes_and_agree():
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

    # the snippet's own assert is real: with lstm_core's weights nudged after loading, the same snippet fails
    wrong = snippets[0].replace("ours.eval()", "ours.eval()\nwith torch.no_grad():\n    ours.weight_hh_l0.add_(0.01)")
    assert wrong != snippets[0]
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(snippets + [wrong]), capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
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


def test_snippet_runs_as_a_file_from_the_repo_root(tmp_path):
    case = proof.Case(LSTMConfig(3, 4, 2, True, True, 0.2, True, 2), 2, 5, "packed", (5, 3), 4)
    path = tmp_path / "snippet.py"
    path.write_text(codegen.generate(case.config, case.seed, case.input().float(), case.lengths),
                    encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:5] == codegen.printed_shapes(case.config, 2, 5, case.lengths)
    assert proc.stdout.splitlines()[-1] == codegen.OK_LINE


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
        assert torch.equal(namespace["ours"].state_dict()[name], value), name
