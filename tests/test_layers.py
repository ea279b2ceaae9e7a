"""Layering: the engine imports neither streamlit nor plotly; figure builders do not import streamlit."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURE_MODULES = sorted(f"ui.{p.stem}" for p in (ROOT / "ui").glob("figures*.py"))


def loaded_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_engine_imports_neither_streamlit_nor_plotly():
    top = loaded_after_import("lstm_core")
    assert "torch" in top  # the probe sees real imports
    assert "streamlit" not in top and "plotly" not in top


@pytest.mark.parametrize("module", FIGURE_MODULES)
def test_figure_builders_do_not_import_streamlit(module):
    top = loaded_after_import(module)
    assert "plotly" in top
    assert "streamlit" not in top


def test_there_are_figure_modules():
    assert "ui.figures_shapes" in FIGURE_MODULES
