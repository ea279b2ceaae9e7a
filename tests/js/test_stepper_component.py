"""The stepper component's JavaScript: node's own test runner over its pure functions
(ui/components/stepper/tests/), the one ES module the hosts load, and the number format shared with Python."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ui.figures import stepper as fs

NODE = shutil.which("node")
TESTS = fs.COMPONENT_DIR / "tests"
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def test_node_unit_tests_pass():
    run = subprocess.run([NODE, "--test", str(TESTS)], capture_output=True, text=True, timeout=120)
    summary = [line for line in run.stdout.splitlines() if line.startswith(("# pass", "# fail"))]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert summary[0] != "# pass 0" and summary[1] == "# fail 0", summary


def test_the_joined_module_loads_with_one_default_export(tmp_path: Path):
    js = fs.component_files()["js"]
    assert "import " not in js.split("export default", 1)[0].replace("// ", "")  # no import left between our files
    assert js.count("export default") == 1 and js.count("\nexport ") == 1
    path = tmp_path / "stepper.mjs"
    path.write_text(js, encoding="utf-8")
    probe = "import(process.argv[1]).then(m => console.log(typeof m.default, Object.keys(m).join(',')))"
    run = subprocess.run([NODE, "-e", probe, path.as_uri()], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["function", "default"]


def test_join_modules_drops_only_our_own_imports_and_exports():
    a = 'export function one() { return 1; }\nexport const two = 2;\n'
    b = 'import { one, two } from "./a.js";\nimport x from "lib";\nexport default function () { return one() + two; }\n'
    joined = fs.join_modules([a, b])
    assert "export function" not in joined and "export const" not in joined
    assert 'import x from "lib";' in joined and "export default function" in joined
    assert './a.js' not in joined


def test_python_fmt_writes_what_the_component_writes():
    """The same cases as ui/components/stepper/tests/util.test.js (fmt_cases.json), so both sides agree."""
    cases = json.loads((TESTS / "fmt_cases.json").read_text())
    num = {"nan": float("nan"), "inf": float("inf")}
    for v, nd, want in cases:
        assert fs.fmt(num.get(v, v) if isinstance(v, str) else v, nd) == want, (v, nd)
