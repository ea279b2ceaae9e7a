"""Pure helpers for the stepper's browser component (no streamlit): its files, its data, the colours.

The stepper draws everything in the browser (``ui/components/stepper/``). Two hosts show it, with the same
files and the same data: the web app (``ui/stepper_view.py``, Streamlit components v2) and the notebook widget
(``lstm_explorer``, anywidget). Both call:

- `component_files()` -> ``{"html", "css", "js"}``: ``js`` is one ES module whose default export takes
  ``{data, parentElement, setStateValue}`` and returns a cleanup function;
- `stepper_data(trace, layer, direction, b, labels, lang, start)` -> the ``data`` the component draws.

``fmt`` is the number format the component mirrors.
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from lessons.stepper import cell_code, view_payload
from ui.palette import GATE_COLORS, NEGATIVE_COLOR, SIGMOID_GATES

ROOT = Path(__file__).resolve().parents[2]
CELL_SVG = ROOT / "assets" / "cell.svg"
COMPONENT_DIR = ROOT / "ui" / "components" / "stepper"
LOCALES_DIR = ROOT / "assets" / "locales"


def fmt(v: float, nd: int = 3) -> str:
    """A number as the stepper shows it (the component's JS ``fmt`` writes the same text)."""
    if v is None or not math.isfinite(float(v)):
        return "—"
    s = f"{float(v):.{nd}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s  # never "-0.000"


def palette() -> dict:
    """The gate colours and scale rule of ui/palette.py, for the component's heatmaps and lines."""
    return {"colors": dict(GATE_COLORS), "negative": NEGATIVE_COLOR, "sigmoid": list(SIGMOID_GATES)}


@lru_cache(maxsize=1)
def cell_svg_template() -> str:
    """assets/cell.svg with the colours filled and comments/line breaks removed; numbers stay ``$name``."""
    svg = Template(CELL_SVG.read_text(encoding="utf-8")).safe_substitute(
        {f"col_{q}": c for q, c in GATE_COLORS.items()})
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return " ".join(line.strip() for line in svg.splitlines() if line.strip())


# The component's ES modules, each with one job, in dependency order; stepper.js (the default export) last.
JS_MODULES = ("util.js", "markup.js", "colour.js", "heatmap.js", "charts.js", "diagram.js", "equations.js",
              "explain.js", "code.js", "controls.js", "stepper.js")
_LOCAL_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./[\w-]+\.js";[ \t]*\n', re.M)
_EXPORT = re.compile(r"^export (?=(?:async )?function |const |let |class )", re.M)


def join_modules(sources: list[str]) -> str:
    """Our modules as ONE ES module (what a Streamlit/anywidget host loads): imports between our own files are
    dropped and ``export`` is removed from their declarations, so every name lives in one module scope; only the
    last file's ``export default`` stays. Names are unique across the files (a clash is a SyntaxError)."""
    parts = []
    for n, src in enumerate(sources):
        src = _LOCAL_IMPORT.sub("", src)
        if n < len(sources) - 1:
            src = _EXPORT.sub("", src)
        parts.append(src)
    return "\n".join(parts)


def component_files() -> dict:
    """The component's HTML, CSS and JS (one ES module, default export ``(component) -> cleanup``)."""
    read = lambda name: (COMPONENT_DIR / name).read_text(encoding="utf-8")  # noqa: E731
    return {"html": read("stepper.html"), "css": read("stepper.css"), "js": join_modules([read(m) for m in JS_MODULES])}


@lru_cache(maxsize=4)
def strings(lang: str) -> dict:
    """Every ``stepper.*`` string in `lang`, English where `lang` has none (the component formats them)."""
    def load(code):
        path = LOCALES_DIR / code / "stepper.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    english = load("en")
    return english | {k: v for k, v in load(lang).items() if k.startswith("stepper.")}


def stepper_data(trn, layer: int, direction: int, b: int, labels=None, lang: str = "en",
                 start: dict | None = None, pid: str = "") -> dict:
    """The component's ``data`` for one selection of a numpy Trace: the view (``lessons.stepper``), the strings
    of `lang`, the colours, the cell diagram and the engine's cell source (``code``, ``lessons.stepper.code_view``);
    ``start`` = ``{"k", "unit"}``, where the cursor opens."""
    return {"id": pid, "start": start or {"k": 0, "unit": 0}, "lang": lang,
            "view": view_payload(trn, layer, direction, b, labels),
            "strings": strings(lang), "palette": palette(), "svg": cell_svg_template(), "code": _cell_code()}


@lru_cache(maxsize=1)
def _cell_code() -> dict:
    """The engine's own cell function for the code view (read once per process)."""
    return cell_code()
