"""A Python without torch (e.g. the system's python3, not the clone's .venv) gets a message that says what to run,
not a bare "No module named 'torch'"."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_without_torch_says_how_to_get_it():
    hide_torch = "import sys; sys.modules['torch'] = None; import lstm_core"  # None: `import torch` fails
    done = subprocess.run([sys.executable, "-c", hide_torch], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr and "bash scripts/run" in done.stderr and ".venv" in done.stderr
