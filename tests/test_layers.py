"""Layering, checked by real imports (not a grep): the engine (``lstm_core``) and the lessons never load
streamlit or plotly; figure builders never load streamlit.

One fresh interpreter per layer imports every module of that layer and then looks at ``sys.modules`` (torch is
imported once per layer, not once per module: three interpreters instead of fifty). A forbidden package in a
layer's ``sys.modules`` means at least one of its modules pulled it in; only then is each module of that layer
re-probed alone, in its own interpreter, so the failure names the culprits."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for p in (ROOT / package).rglob("*.py"))


LAYERS = {
    "lstm_core": (modules("lstm_core"), {"streamlit", "plotly"}),
    "lessons": (modules("lessons"), {"streamlit", "plotly"}),
    "ui.figures": ([m for m in modules("ui/figures") if m != "ui.figures"], {"streamlit"}),
}

PROBE = """
import importlib, json, sys
names = json.loads(sys.argv[1])
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": [n for n in names if n in sys.modules],
                  "top": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def loaded_after_import(names: list[str]) -> set[str]:
    """The top-level packages in ``sys.modules`` of a fresh interpreter that imported `names`."""
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(names)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["imported"] == names  # the probe saw the real imports
    return set(report["top"])


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_loads_no_forbidden_package(layer):
    names, forbidden = LAYERS[layer]
    if not forbidden & loaded_after_import(names):
        return
    culprits = {name: sorted(forbidden & loaded_after_import([name])) for name in names}
    culprits = {name: found for name, found in culprits.items() if found}
    pytest.fail(f"{layer} must not load {sorted(forbidden)}; these modules do: {culprits}")


def test_every_package_is_probed():
    assert {"lstm_core", "lstm_core.lstm", "lstm_core.trace"} <= set(LAYERS["lstm_core"][0])
    assert {"lessons.proof", "lessons.pitfalls", "lessons.gradients", "lessons.facts"} <= set(LAYERS["lessons"][0])
    assert {"ui.figures.shapes", "ui.figures.stepper"} <= set(LAYERS["ui.figures"][0])


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
