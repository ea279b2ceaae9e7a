"""Pure helpers for the stepper's browser component (no streamlit): the colours and the cell-diagram template.

The stepper draws everything in the browser (``ui/components/stepper/stepper.js``); the server only hands it
the gate colours of ``ui.palette`` and ``assets/cell.svg`` with those colours filled in — the JS fills the
numbers (``$v_f``, ``$op_f``, ...) at every step. ``fmt`` is the number format the component mirrors.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from ui.palette import GATE_COLORS, NEGATIVE_COLOR, SIGMOID_GATES

CELL_SVG = Path(__file__).resolve().parents[2] / "assets" / "cell.svg"


def fmt(v: float, nd: int = 3) -> str:
    """A number as the stepper shows it (the component's JS ``fmt`` writes the same text)."""
    if v is None or not math.isfinite(float(v)):
        return "—"
    s = f"{float(v):.{nd}f}"
    return "0." + "0" * nd if s == "-0." + "0" * nd else s


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
