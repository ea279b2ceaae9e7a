"""LSTM Explorer in your notebook: the Stepper and a full trace for any trained ``torch.nn.LSTM``.

    import lstm_explorer
    lstm_explorer.explore(model, x)          # a widget: every layer, direction and step, checked against model
    lstm_explorer.trace(model, x).to_pandas()  # every gate, c and h as a table

No streamlit is imported. ``lstm-explorer`` (``lstm_explorer.cli``) starts the web app.
"""

from .lookup import NoLSTMError, find_lstm
from .tracing import Trace, to_pandas, trace


def explore(model, input, hx=None, *, name=None, lang="en", labels=None):
    """The Stepper widget on the LSTM in `model` (see `lstm_explorer.widget.explore`)."""
    try:
        from .widget import explore as _explore  # anywidget is the optional "notebook" extra
    except ModuleNotFoundError as err:
        if err.name not in ("anywidget", "ipywidgets", "traitlets"):
            raise
        raise ModuleNotFoundError(f"explore() draws a notebook widget and needs {err.name}: "
                                  "pip install \"lstm-explorer[notebook]\"", name=err.name) from None
    return _explore(model, input, hx, name=name, lang=lang, labels=labels)


__all__ = ["NoLSTMError", "Trace", "explore", "find_lstm", "to_pandas", "trace"]
