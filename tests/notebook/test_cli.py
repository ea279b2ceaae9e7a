"""``lstm-explorer open FILE``: the app starts on FILE's weights (every page's model), with the upload's checks.

The numbers: AppTest runs app.py with the environment variable the command sets, and the Stepper's component
data is compared with the very ``torch.nn.LSTM`` the file was saved from. The command itself: one real start,
waiting on Streamlit's ``/_stcore/health``; refused files exit with the upload's message and start no server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from deploy.local import free_port, healthy
from lessons.sources import random_batch
from lstm_explorer import cli
from tests.notebook.test_widget import decode

ROOT = Path(__file__).resolve().parents[2]


def _trained(**kw) -> nn.LSTM:
    """A small nn.LSTM after a few optimiser steps (weights no seed of the app produces)."""
    torch.manual_seed(21)
    m = nn.LSTM(**({"input_size": 3, "hidden_size": 4, "num_layers": 2} | kw))
    opt = torch.optim.SGD(m.parameters(), lr=0.5)
    for _ in range(5):
        out, _ = m(torch.randn(6, 2, 3))
        loss = out.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return m.eval()


def _save(obj, path: Path) -> Path:
    torch.save(obj, path)
    return path


def component(at) -> dict:
    """The JSON the Stepper component receives (exactly one on the page)."""
    found = at.get("bidi_component")
    assert len(found) == 1, found
    return json.loads(found[0].proto.json)


def decoded(view: dict, name: str) -> np.ndarray:
    return decode(view["arrays"][name])


@pytest.fixture
def opened(run_app, monkeypatch):
    """run_app with LSTM_EXPLORER_WEIGHTS set, as ``lstm-explorer open FILE`` starts the server."""
    def run(path: Path, **kw):
        monkeypatch.setenv(cli.WEIGHTS_ENV, str(path))
        return run_app(**kw)
    return run


@pytest.mark.parametrize("how", ["state_dict", "checkpoint"])
def test_the_stepper_shows_the_files_weights(opened, assert_app_ok, tmp_path, how):
    m = _trained(bidirectional=True)
    sd = m.state_dict()
    path = _save(sd if how == "state_dict" else {"epoch": 3, "state_dict": sd, "note": "x"}, tmp_path / "mine.pt")
    at = opened(path, page="stepper", query={"batch_size": 2, "seq_len": 5})
    assert_app_ok(at)
    assert at.session_state["model_source"] == "uploaded"
    assert at.slider(key="hidden_size").value == 4 and at.slider(key="hidden_size").disabled
    batch = random_batch(2, 5, 3, 0)  # the app's input for these settings (seed 0), which every page reads
    x = batch.model_input(m)  # time-major, as nn.LSTM(batch_first=False) reads it
    with torch.no_grad():
        out, (h_n, c_n) = m(x)
    view = component(at)["view"]
    assert (view["layer"], view["direction"], view["b"]) == (0, 0, 0)
    np.testing.assert_allclose(decoded(view, "h")[-1], h_n[0, 0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(decoded(view, "c")[-1], c_n[0, 0].numpy(), rtol=1e-5, atol=1e-6)
    at.selectbox(key="layer").set_value(1).run()
    at.selectbox(key="direction").set_value(1).run()
    view = component(at)["view"]
    assert (view["layer"], view["direction"]) == (1, 1)
    np.testing.assert_allclose(decoded(view, "h"), out[:, 0, 4:].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(decoded(view, "c")[0], c_n[3, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_every_page_keeps_the_opened_model_and_switching_back_is_possible(opened, assert_app_ok, tmp_path):
    path = _save(_trained().state_dict(), tmp_path / "w.pt")
    at = opened(path, page="shapes")
    assert_app_ok(at)
    assert at.session_state["model_source"] == "uploaded"
    radio = at.radio(key="model_source")
    assert radio.options[-1].endswith("w.pt")
    radio.set_value("random").run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "random"  # opened once per session: not forced back


def _hostile_files(tmp: Path) -> dict:
    """name -> path of files the upload refuses, one per reason."""
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    files = {
        "reduce": _save({"weight_ih_l0": Evil()}, tmp / "evil.pt"),
        "not_plain": _save(nn.LSTM(3, 4), tmp / "whole_module.pt"),
        "gru": _save(nn.GRU(3, 4).state_dict(), tmp / "gru.pt"),
        "extra": _save({**nn.LSTM(3, 4).state_dict(), "head.weight": torch.zeros(1, 4)}, tmp / "extra.pt"),
        "too_big": _save(nn.LSTM(3, 65).state_dict(), tmp / "big.pt"),
        "not_dict": _save(torch.zeros(3), tmp / "tensor.pt"),
        "extension": _save(nn.LSTM(3, 4).state_dict(), tmp / "w.txt"),
    }
    (tmp / "junk.pt").write_bytes(b"\x00not a pickle at all")
    files["corrupt"] = tmp / "junk.pt"
    return files


def test_hostile_or_mismatched_files_get_the_uploads_message_in_the_app_and_the_cli(opened, app_text, tmp_path):
    from ui.i18n import translate

    for reason, path in _hostile_files(tmp_path).items():
        at = opened(path, page="stepper")
        assert not at.exception, (reason, at.exception)
        assert at.session_state["model_source"] == "random"
        shown = [e.value for e in at.sidebar.error]
        loaded, message = cli.check_weights(path, "en")
        assert loaded is None and shown == [translate("en", "notebook.cli.refused", path=path.name, reason=message)]
        expected = {"gru": translate("en", "learn.err.other_module", module="torch.nn.GRU"),
                    "not_plain": "Refused: the file contains a Python object (`torch.nn.modules.rnn.LSTM`)"}.get(reason)
        if expected:
            assert message.startswith(expected), (reason, message)
    assert "hidden_size = 65 exceeds the limit of 64" in cli.check_weights(tmp_path / "big.pt")[1]


def test_the_refusal_is_in_chinese_for_a_chinese_locale(opened, tmp_path):
    path = _hostile_files(tmp_path)["gru"]
    at = opened(path, page="stepper", lang="zh")
    from ui.i18n import translate

    loaded, message = cli.check_weights(path, cli.cli_lang({"LANG": "zh_CN.UTF-8"}))
    assert [e.value for e in at.sidebar.error] == [translate("zh", "notebook.cli.refused", path="gru.pt",
                                                             reason=message)]
    assert message.startswith("这是 torch.nn.GRU 的 state_dict")


def test_the_cli_refuses_without_starting_a_server(tmp_path):
    path = _hostile_files(tmp_path)["gru"]
    env = {**os.environ, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    for args, needle in ((["open", str(path)], "not a torch.nn.LSTM one"),
                         (["open", str(tmp_path / "missing.pt")], "cannot be read"),
                         (["open"], "Which file?")):
        done = subprocess.run([sys.executable, "-m", "lstm_explorer.cli", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        assert done.returncode == 2 and needle in done.stderr and "Streamlit" not in done.stdout, (args, done)


def test_lstm_explorer_open_serves_the_app(tmp_path):
    path = _save(_trained().state_dict(), tmp_path / "trained.pt")
    port = free_port()
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "lstm_explorer.cli", "open", str(path), "--server.headless=true",
                                 f"--server.port={port}", "--server.address=127.0.0.1"], stdout=log,
                                stderr=subprocess.STDOUT, cwd=tmp_path,
                                env={**os.environ, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 90
            while not healthy(f"http://127.0.0.1:{port}"):  # the app's own health endpoint, polled
                assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            text = log_path.read_text()
            assert "Opening trained.pt: nn.LSTM(input_size=3, hidden_size=4, num_layers=2), 304 parameters" in text
            # the server (this very process: exec'd) has the file's path for the app's sessions to read
            environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
            assert f"{cli.WEIGHTS_ENV}={path}".encode() in environ
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
            assert b"streamlit" in cmdline and str(cli.APP).encode() in cmdline
            assert b"--runner.postScriptGC=false" in cmdline  # .streamlit/config.toml's settings passed along
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_without_open_the_command_starts_the_app_as_before(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: calls.append((exe, cmd, env)))
    monkeypatch.setenv(cli.WEIGHTS_ENV, "/stale/from/a/parent.pt")
    cli.main(["--server.port", "8600"])
    exe, cmd, env = calls[0]
    assert exe == sys.executable and cmd[:5] == [sys.executable, "-m", "streamlit", "run", str(cli.APP)]
    assert "--runner.postScriptGC=false" in cmd and cmd[-2:] == ["--server.port", "8600"]
    assert cli.WEIGHTS_ENV not in env  # a plain start never opens a file
    assert cli.main(["--help"]) == 0 and "lstm-explorer open FILE" in capsys.readouterr().out
