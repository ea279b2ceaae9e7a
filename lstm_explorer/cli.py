"""``lstm-explorer``: start the web app from an installation or a clone, from any working directory.

The app's files sit next to this package (the wheel mirrors the repository, see pyproject.toml), so the app is
``<root>/app.py`` and its Streamlit settings ``<root>/.streamlit/config.toml``. Streamlit reads that file only
from the working directory, so its settings are passed along as command-line options; extra arguments go to
``streamlit run`` after them (``lstm-explorer --server.port 8600`` overrides the file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
CONFIG = ROOT / ".streamlit" / "config.toml"


def config_options(path: Path = CONFIG) -> list[str]:
    """``[section] key = value`` of a Streamlit config file as ``--section.key=value`` options."""
    if not path.is_file():
        return []
    options = []
    for section, values in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for key, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            options.append(f"--{section}.{key}={text}")
    return options


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *config_options(), *args]
    if os.name == "posix":
        os.execv(sys.executable, command)  # the server replaces this process (signals reach it directly)
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
