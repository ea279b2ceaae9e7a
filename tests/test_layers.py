"""Layering, checked on every module of every package in a fresh interpreter (a real import, not a grep):
the engine (``lstm_core``) and the lessons never load streamlit or plotly; figure builders never load streamlit."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for p in (ROOT / package).rglob("*.py"))


ENGINE_AND_LESSONS = modules("lstm_core") + modules("lessons")
FIGURES = [m for m in modules("ui/figures") if m != "ui.figures"]


def loaded_after_import(module: str) -> set[str]:
    code = f"import sys, importlib; importlib.import_module({module!r}); print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert module in out.stdout.split()  # the probe sees the real import
    return {name.split(".")[0] for name in out.stdout.split()}


@pytest.mark.parametrize("module", ENGINE_AND_LESSONS)
def test_engine_and_lessons_load_neither_streamlit_nor_plotly(module):
    top = loaded_after_import(module)
    assert "streamlit" not in top and "plotly" not in top


@pytest.mark.parametrize("module", FIGURES)
def test_figure_builders_do_not_load_streamlit(module):
    top = loaded_after_import(module)
    assert "streamlit" not in top


def test_every_package_is_probed():
    assert {"lstm_core.lstm", "lstm_core.trace", "lessons.proof", "lessons.pitfalls"} <= set(ENGINE_AND_LESSONS)
    assert {"ui.figures.shapes", "ui.figures.stepper"} <= set(FIGURES)


@pytest.mark.parametrize("folder", ["tests/engine", "tests/lessons"])
def test_pure_torch_tests_load_neither_streamlit_nor_plotly(folder):
    """Collecting the engine and lesson tests (their modules, conftest and helpers) in a fresh interpreter loads
    no streamlit or plotly, and no test there imports the streamlit layer inside a function either."""
    code = ("import sys, pytest; rc = pytest.main(['-q', '--collect-only', '-p', 'no:randomly', "
            f"'-p', 'no:cacheprovider', {folder!r}]); "
            "print('LOADED', *sorted({m.split('.')[0] for m in sys.modules})); sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split("LOADED", 1)[1].split())
    assert "torch" in loaded and not {"streamlit", "plotly"} & loaded
    for path in (ROOT / folder).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(?:import streamlit|from streamlit|from ui\b|import ui\b)", text,
                             re.MULTILINE), path.name
