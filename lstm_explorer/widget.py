"""`explore(model, input)`: the web app's Stepper as a notebook widget (anywidget) for your own LSTM.

One widget, no ipywidgets controls inside (so it also runs where only anywidget does, e.g. marimo). Synced
state:

- ``_component``: the Stepper's own files (``ui.figures.stepper.component_files``: html, css, js), the same
  the web app serves; ``_esm`` is a small adapter (``_adapter.py``) that imports the component's module;
- ``data``: ``ui.figures.stepper.stepper_data`` of the current selection (float32, base64 arrays);
- ``layer``, ``direction``, ``sequence``: the selection (the widget's own selects, or Python:
  ``widget.layer = 1``); a change rebuilds ``data`` from the trace kept in Python;
- ``info``: sizes for the selects and the check against the model (max |Δ| output / h_n / c_n) as text;
- ``state``: what the component reports (``state["view"] = {"timestep", "unit"}``), where a new selection opens.
"""

from __future__ import annotations

import json
from functools import lru_cache

import anywidget
import traitlets

from ui.figures import stepper as fs

from ._adapter import ADAPTER_CSS, ADAPTER_JS
from .tracing import Trace, _run, numpy32

LANGS = ("en", "zh")


@lru_cache(maxsize=4)
def _strings(lang: str) -> dict:
    """The ``notebook.*`` catalog of `lang` (assets/locales/<lang>/notebook.json), English where missing."""
    def load(code):
        path = fs.LOCALES_DIR / code / "notebook.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    return load("en") | load(lang)


def _t(lang: str, key: str, **args) -> str:
    return _strings(lang)[key].format(**args)


def checked_text(checked: dict, lang: str = "en") -> str:
    """"Checked against your torch.nn.LSTM (encoder.lstm): max |Δ| output 0.0e+00 · h_n … · c_n …"."""
    path = _t(lang, "notebook.path", path=checked["path"]) if checked["path"] else ""
    ref = checked["reference"]
    reference = (_t(lang, "notebook.ref_torch", path=path) if ref == "torch" else
                 _t(lang, "notebook.ref_own", cls=ref, path=path))
    return _t(lang, "notebook.checked", reference=reference,
              **{k: f"{checked[k]:.1e}" for k in ("output", "h_n", "c_n")})


def precision_text(checked: dict, lang: str = "en") -> str:
    """Said when the model is not float32 on the CPU: where and in what it computed (shown as float32)."""
    if checked["dtype"] == "float32" and checked["device"] == "cpu":
        return ""
    return _t(lang, "notebook.precision", dtype=checked["dtype"], device=checked["device"])


class Explorer(anywidget.AnyWidget):
    """The Stepper on one traced LSTM; build it with `explore`."""

    _esm = ADAPTER_JS
    _css = traitlets.Unicode("").tag(sync=True)  # the component's stylesheet + the bar's (anywidget injects it)
    _component = traitlets.Dict().tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    info = traitlets.Dict().tag(sync=True)
    state = traitlets.Dict().tag(sync=True)
    layer = traitlets.Int(0).tag(sync=True)
    direction = traitlets.Int(0).tag(sync=True)
    sequence = traitlets.Int(0).tag(sync=True)

    def __init__(self, tr: Trace, *, lang: str = "en", labels=None):
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
        self.trace = tr  # the torch trace (with `checked`): trace.to_pandas() for the numbers
        self._numpy = numpy32(tr)
        self._lang, self._labels = lang, labels
        cfg = tr.config
        files = fs.component_files()
        info = {"L": cfg.num_layers, "D": cfg.num_directions, "lengths": [int(n) for n in self._numpy.lengths],
                "checked": tr.checked, "checked_text": checked_text(tr.checked, lang),
                "precision_text": precision_text(tr.checked, lang), "offline_text": _t(lang, "notebook.offline")}
        super().__init__(_component=files, _css=files["css"] + ADAPTER_CSS, info=info)
        self._rebuild()
        self.observe(self._on_pick, names=["layer", "direction", "sequence"])

    @traitlets.validate("layer", "direction", "sequence")
    def _in_range(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        count = {"layer": "L", "direction": "D"}.get(name)
        hi = (self.info[count] if count else len(self.info["lengths"])) - 1
        if not 0 <= value <= hi:
            raise traitlets.TraitError(f"{name} must be between 0 and {hi}, got {value}")
        return value

    def _on_pick(self, _change=None) -> None:
        self._rebuild()

    def _start(self) -> dict:
        """Where a new selection opens: the step and unit the component last reported, clamped."""
        view = self.state.get("view") or {}
        T, H = self._numpy.T, self._numpy.config.hidden_size
        k, unit = view.get("timestep", 0), view.get("unit", 0)
        clamp = lambda v, hi: min(max(v, 0), hi) if isinstance(v, int) else 0  # noqa: E731
        return {"k": clamp(k, T - 1), "unit": clamp(unit, H - 1)}

    def _rebuild(self) -> None:
        b = self.sequence
        labels = self._labels[b] if self._labels is not None and b < len(self._labels) else None
        pid = f"{self.model_id[:8]}-{self.layer}-{self.direction}-{b}-{self._lang}"
        data = fs.stepper_data(self._numpy, self.layer, self.direction, b, labels, self._lang, self._start(), pid)
        self.data = data | {"keys": "focus"}  # a notebook may hold several widgets: keys step the focused one


def explore(model, input, hx=None, *, name: str | None = None, lang: str = "en", labels=None) -> Explorer:
    """The Stepper on the LSTM in `model` for `input`: a widget (JupyterLab, Notebook 7, VS Code, Colab, marimo).

    `model`: a ``torch.nn.LSTM``, ``lstm_core.LSTM``, or a module containing one (`name`: its attribute path,
    e.g. ``"encoder.lstm"``, when there are several). `input`: what the LSTM reads (batch-first if it is, or a
    PackedSequence; for a model that embeds tokens first, the embedded sequence); `hx`: ``(h_0, c_0)`` or None.
    `lang`: "en" or "zh". `labels`: optional token labels per sequence (``labels[b][t]``).

    Traced by the engine on the model's device and dtype (eval mode), checked against the model itself (the Δ
    shown), sent to the browser as float32. Sizes above the app's limits (``lstm_core.limits``: hidden_size,
    num_layers, sequence length, batch size...) raise ``lstm_core.LimitError`` naming the limit.
    """
    return Explorer(_run(model, input, hx, name, check_sizes=True), lang=lang, labels=labels)
