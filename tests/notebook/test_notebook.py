"""docs/notebook.ipynb runs headless (nbclient, the project's Python as kernel), and its widget, exported with
its state to a standalone page, draws the Stepper in Chromium offline and steps on a key press."""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from tests.notebook.export import STATE, export_page, widget_views
from ui.figures.stepper import fmt

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
STEPPER = "[data-testid=lstm-stepper]"


@pytest.fixture(scope="module")
def executed():
    """The example notebook, executed top to bottom by a kernel of this Python (the project's venv)."""
    # ipykernel's own spec: "python" there means the Python running this test (jupyter_client substitutes it)
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] in ("python", sys.executable)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")


def test_the_notebook_trains_then_explores(executed):
    errors = [out for cell in executed.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert not errors, errors
    losses = [float(v) for v in re.findall(r"loss (\d+\.\d+)", "".join(_text(c) for c in executed.cells
                                                                       if c.cell_type == "code"))]
    assert len(losses) == 4 and losses[-1] < losses[0] / 20  # it learned the task
    views = widget_views(executed)
    assert len(views) == 1
    model = executed.metadata["widgets"][STATE]["state"][views[0]["model_id"]]
    assert model["model_name"] == "AnyModel"
    info = model["state"]["info"]
    assert info["checked_text"].startswith("Checked against your torch.nn.LSTM (lstm): max |Δ| output ")
    assert max(info["checked"][k] for k in ("output", "h_n", "c_n")) < 1e-5
    assert "<table" in executed.cells[-1].outputs[0]["data"]["text/html"]  # the to_pandas table


@pytest.mark.browser
def test_the_exported_widget_draws_and_steps_offline(executed, browser, tmp_path):
    page_file = export_page(executed, tmp_path / "export")
    view = widget_views(executed)[0]
    data = executed.metadata["widgets"][STATE]["state"][view["model_id"]]["state"]["data"]["view"]
    c = np.frombuffer(base64.b64decode(data["arrays"]["c"]["b64"]), "<f4").reshape(data["arrays"]["c"]["shape"])

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    external, errors = [], []
    page.on("pageerror", lambda err: errors.append(str(err)))

    def offline(route):  # no network: every script the page needs is next to it
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function(f"document.querySelector('{STEPPER}')?.dataset.drawn >= 1", timeout=30_000)
        root = page.locator(STEPPER)
        assert root.get_attribute("data-k") == "0" and root.get_attribute("data-unit") == "0"
        assert page.locator("[data-eq=c] .val").text_content() == fmt(float(c[0, 0]))
        assert "Checked against your torch.nn.LSTM (lstm)" in page.locator(".lx-note").first.text_content()
        root.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"document.querySelector('{STEPPER}').dataset.k === '1'", timeout=10_000)
        page.wait_for_function(f"document.querySelector('{STEPPER}').dataset.drawn >= 2", timeout=10_000)
        shown = page.locator("[data-eq=c] .val").text_content()
        assert shown == fmt(float(c[1, 0])) and shown != fmt(float(c[0, 0]))
        # another sequence needs the kernel: this page has none, so the note says so and the selection stays
        before = root.get_attribute("data-id")
        page.locator("select[data-lx=sequence]").select_option("2")
        page.wait_for_selector("[data-lx=offline]:not([hidden])", timeout=15_000)
        assert page.locator("[data-lx=offline]").text_content().startswith("No kernel is running")
        assert page.locator("select[data-lx=sequence]").input_value() == "0"
        assert root.get_attribute("data-id") == before and root.get_attribute("data-k") == "1"
        assert not external and not errors, (external, errors)
    finally:
        context.close()
