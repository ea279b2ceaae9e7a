"""Small helpers shared by page tests."""

import json


def traces_by_meta(at) -> dict[str, dict]:
    """Every Plotly trace of the page that carries a ``meta`` tag, by tag (first one wins)."""
    out = {}
    for chart in at.get("plotly_chart"):
        for tr in json.loads(chart.proto.spec)["data"]:
            if "meta" in tr:
                out.setdefault(tr["meta"], tr)
    return out
