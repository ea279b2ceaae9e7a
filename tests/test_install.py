"""Install anywhere: the README's run command in a fresh clone on the system's own python3, and ``pip install .``
of a fresh clone giving importable packages and a working ``lstm-explorer`` command.

A fresh clone is the repository's tracked files (``git ls-files``) copied into an empty folder, so nothing
untracked (a local venv, caches, test artifacts) can make it pass. Both tests reuse what is already installed:
``scripts/run`` is pointed at the virtual environment this test run uses (``LSTM_EXPLORER_VENV``), and
the ``pip install .`` venv sees the test run's own site-packages through a ``.pth`` file (``--no-deps``, the
build backend from there too: no download)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parent.parent
# The first run of scripts/run on a machine creates the venv and installs torch & co. (minutes); later runs reuse it.
START_TIMEOUT_S = 900


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, f"the install tests copy the clone's tracked files; git ls-files failed: {out.stderr}"
    return [name for name in out.stdout.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture
def fresh_clone(tmp_path) -> Path:
    clone = tmp_path / "lstm-explorer"
    for name in tracked_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    return clone


def outside_any_venv() -> dict[str, str]:
    """The environment with every virtual environment taken off PATH (and VIRTUAL_ENV, PYTHONPATH unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    keep = [entry for entry in env.get("PATH", "").split(os.pathsep)
            if entry and not (Path(entry).parent / "pyvenv.cfg").exists()]
    env["PATH"] = os.pathsep.join(keep)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, port: int, log: Path, timeout: float) -> float:
    """Seconds until ``/_stcore/health`` answers 200; fails with the log if the process ends or time runs out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode} before answering:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200 and answer.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            pass
        try:  # a refused connection returns at once: poll again in 0.5 s, or at once if the server exits
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
    pytest.fail(f"no answer from /_stcore/health within {timeout} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def readme_run_command() -> list[str]:
    """The run command of the README's "Run it" section (the test runs what the README says)."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Run it", 1)[1].split("\n## ", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in section.splitlines()]
    commands = [line for line in lines if re.match(r"bash scripts/run\b", line)]
    assert commands, "README's 'Run it' section has no `bash scripts/run` command"
    return shlex.split(commands[0])


def serve(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--server.port", str(port), "--server.headless", "true"], cwd=cwd,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, port


def test_readme_run_command_on_the_system_python3(fresh_clone, tmp_path):
    env = outside_any_venv() | {"LSTM_EXPLORER_VENV": sys.prefix}  # the suite's own environment: no new install
    python3 = shutil.which("python3", path=env["PATH"])
    assert python3, ("no system python3 on PATH (outside any virtual environment): the README's run command "
                     "needs one; install Python 3.11+ (Debian/Ubuntu: sudo apt-get install -y python3)")
    command = readme_run_command()
    log = tmp_path / "run.log"
    process, port = serve(command, fresh_clone, env, log)
    try:
        waited = wait_until_healthy(process, port, log, START_TIMEOUT_S)
    finally:
        stop(process)
    assert "break-system-packages" not in log.read_text()
    print(f"{' '.join(command)} answered /_stcore/health after {waited:.1f} s (system python3: {python3})")


def app_files(root: Path) -> set[str]:
    """The files the app reads at run time, relative to its root."""
    names = {"app.py", ".streamlit/config.toml"}
    for folder, pattern in (("pages", "*.py"), ("assets", "*"), ("ui/components", "*"),
                            ("lstm_core", "*.py"), ("lessons", "*.py"), ("ui", "*.py"), ("lstm_explorer", "*.py")):
        names |= {p.relative_to(root).as_posix() for p in (root / folder).rglob(pattern) if p.is_file()
                  and "__pycache__" not in p.parts}
    return names


RENDER = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.query_params["page"] = "shapes"
at.run()
assert not at.exception, [e.value for e in at.exception]
print("TITLES", json.dumps([t.value for t in at.title]))
"""


def test_pip_install_gives_the_packages_and_a_working_command(fresh_clone, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies (and the build backend) come from this test run's environment, not from a download.
    (site / "shared-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-build-isolation", "--no-index", str(fresh_clone)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"  # not the clone: imports must come from the installation
    elsewhere.mkdir()
    probe = subprocess.run([python, "-c", "import lstm_core, lstm_explorer, ui, lessons; "
                            "print(lstm_core.__file__); print(lstm_explorer.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=outside_any_venv())
    assert probe.returncode == 0, probe.stderr
    for path in probe.stdout.split():
        assert Path(path).is_relative_to(site), f"{path} was not imported from the installation {site}"
    missing = app_files(fresh_clone) - app_files(site)
    assert not missing, f"the wheel leaves out files the app reads: {sorted(missing)}"

    # The installed app.py runs a page with its catalogs and figures found inside the installation.
    render = subprocess.run([python, "-c", RENDER, str(site / "app.py")], cwd=elsewhere, capture_output=True,
                            text=True, env=outside_any_venv())
    assert render.returncode == 0, render.stdout[-3000:] + render.stderr[-3000:]
    title = json.loads((fresh_clone / "assets/locales/en/shapes.json").read_text(encoding="utf-8"))["shapes.title"]
    assert render.stdout.split("TITLES ", 1)[1].splitlines()[0] == json.dumps([title])

    command = venv / "bin" / "lstm-explorer"
    assert command.is_file(), "pip install . made no lstm-explorer command"
    log = tmp_path / "lstm-explorer.log"
    process, port = serve([str(command)], elsewhere, outside_any_venv(), log)
    try:
        waited = wait_until_healthy(process, port, log, 120)
    finally:
        stop(process)
    print(f"lstm-explorer (installed in {venv}) answered /_stcore/health after {waited:.1f} s")
