"""``lstm-explorer``: start the web app; ``lstm-explorer open weights.pt``: start it on your own LSTM's weights.

    lstm-explorer [streamlit options]               the app (random weights, as `streamlit run app.py`)
    lstm-explorer open FILE [streamlit options]     the app with FILE's weights as the model every page shows

FILE is what the Learn page's upload takes: a ``torch.nn.LSTM`` ``state_dict`` saved with ``torch.save``
(``.pt``/``.pth``/``.bin``) or ``.safetensors``, or a checkpoint holding one under ``state_dict`` /
``model_state_dict`` / ``model``. It is checked here first, with the upload's checks and messages (a refused
file: the message and exit status 2, no server); the app then reads it again at each session's start
(``ui.model_source.open_from_env``, through the environment variable ``LSTM_EXPLORER_WEIGHTS``) as if it had
been uploaded and made the model every page shows. Messages follow ``LANG`` (``zh*``: 简体中文).

The app's files sit next to this package (the wheel mirrors the repository), so the app is ``<root>/app.py``
and its Streamlit settings ``<root>/.streamlit/config.toml``. Streamlit reads that file only from the working
directory, so its settings are passed along as options; extra arguments follow them (``--server.port 8600``
overrides the file).
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
WEIGHTS_ENV = "LSTM_EXPLORER_WEIGHTS"  # read by ui/model_source.py (same name there)
USAGE = __doc__.split("\n\n")[1]


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


def cli_lang(env=os.environ) -> str:
    """"zh" when the terminal's locale is Chinese (LC_ALL, LC_MESSAGES, LANG), else "en"."""
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(key):
            return "zh" if env[key].lower().startswith("zh") else "en"
    return "en"


def check_weights(path: Path, lang: str = "en"):
    """(LoadedWeights, None) for a file the upload would accept, else (None, the upload's message for it).

    The same order and messages as ``ui.parse.weights_file`` (the upload): the size cap, then
    ``lessons.weight_files.load_weights`` (format, names, shapes, limits, values)."""
    from lessons import weight_files
    from lstm_core.limits import MAX_UPLOAD_BYTES
    from ui.i18n import translate

    try:
        data = path.read_bytes()
    except OSError as err:
        return None, translate(lang, "notebook.cli.unreadable", path=str(path), error=err.strerror or str(err))
    if len(data) > MAX_UPLOAD_BYTES:
        return None, translate(lang, "inputs.err.file_too_big", size_mb=f"{len(data) / 2**20:.1f}",
                               limit_mb=f"{MAX_UPLOAD_BYTES / 2**20:g}")
    try:
        return weight_files.load_weights(data, path.name), None
    except weight_files.WeightsError as err:
        return None, translate(lang, f"learn.err.{err.code}", **err.details)
    except Exception as err:
        text = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in f"{type(err).__name__}: {err}")
        return None, translate(lang, "inputs.err.other", error=text[:200])


def _serve(args: list[str], env: dict | None = None) -> int:
    command = [sys.executable, "-m", "streamlit", "run", str(APP), *config_options(), *args]
    if os.name == "posix":  # the server replaces this process (signals reach it directly)
        os.execve(sys.executable, command, os.environ if env is None else env)
        return 0  # not reached (exec does not return)
    return subprocess.call(command, env=env)


def open_weights(args: list[str]) -> int:
    from lessons.code import torch_call
    from ui.i18n import translate

    lang = cli_lang()
    if not args or args[0].startswith("-"):
        print(translate(lang, "notebook.cli.no_file") + "\n\n" + USAGE, file=sys.stderr)
        return 2
    path = Path(args[0]).expanduser().resolve()
    loaded, problem = check_weights(path, lang)
    if problem is not None:
        print(translate(lang, "notebook.cli.refused", path=str(path), reason=problem), file=sys.stderr)
        return 2
    print(translate(lang, "notebook.cli.opening", name=path.name, call=torch_call(loaded.config),
                    params=f"{loaded.num_params:,}", dtype=loaded.source_dtype), flush=True)
    return _serve(args[1:], {**os.environ, WEIGHTS_ENV: str(path)})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if args[:1] == ["open"]:
        return open_weights(args[1:])
    env = {k: v for k, v in os.environ.items() if k != WEIGHTS_ENV}  # no stale file from a parent's `open`
    return _serve(args, env)


if __name__ == "__main__":
    sys.exit(main())
