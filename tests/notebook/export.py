"""An executed notebook's widgets as a standalone HTML page, offline (the page nbconvert would write).

nbclient stores the widget state in the notebook's metadata (``application/vnd.jupyter.widget-state+json``) and
each displayed widget as a ``widget-view+json`` output; ipywidgets' own embed templates turn them into a page.
The widget manager is ``@jupyter-widgets/html-manager`` (``embed-amd.js``, loaded with require.js), both
vendored gzipped from the npm registry in ``vendor/`` (see vendor/README.md) instead of the CDN the default
page loads; anywidget's front end is the AMD bundle its Python package ships (``anywidget/nbextension``).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import anywidget
from ipywidgets.embed import escape_script, html_template, widget_view_template

VENDOR = Path(__file__).resolve().parent / "vendor"
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"

LOADER = """<script src="require.js"></script>
<script>require.config({{ paths: {{ anywidget: "./anywidget" }} }});</script>
<script src="embed-amd.js"></script>
<script type="application/vnd.jupyter.widget-state+json">
{state}
</script>
{views}"""


def widget_views(nb) -> list[dict]:
    return [out["data"][VIEW] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if VIEW in out.get("data", {})]


def export_page(nb, out_dir: Path, title: str = "LSTM Explorer widget") -> Path:
    """Write ``index.html`` (+ the vendored scripts) for the executed notebook `nb`; returns the page's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("embed-amd.js", "require.js"):
        (out_dir / name).write_bytes(gzip.decompress((VENDOR / f"{name}.gz").read_bytes()))
    shutil.copy(Path(anywidget.__file__).parent / "nbextension" / "index.js", out_dir / "anywidget.js")
    state = nb.metadata["widgets"][STATE]
    views = "\n".join(widget_view_template.format(view_spec=escape_script(json.dumps(v))) for v in widget_views(nb))
    snippet = LOADER.format(state=escape_script(json.dumps(state)), views=views)
    page = out_dir / "index.html"
    page.write_text(html_template.format(title=title, snippet=snippet), encoding="utf-8")
    return page
