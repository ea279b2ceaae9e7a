"""LSTM Explorer's engine: a from-scratch LSTM equal to ``torch.nn.LSTM``, with full tracing.

The LSTM cell — the six equations, one line each — is `cell.cell_step`; the time loop that calls it, over
layers, directions and steps, is `recurrence.run_layers`. Plain torch, differentiated by autograd.
torch + numpy only; never imports streamlit or plotly. What the pages teach with it lives in ``lessons/``.
"""

try:
    import torch  # noqa: F401  (the only thing the engine needs beyond numpy: no compiler, no build step)
except ModuleNotFoundError as err:
    raise ModuleNotFoundError(
        "LSTM Explorer's engine is plain PyTorch and needs torch in this Python. `bash scripts/run` (or "
        "`bash scripts/test`) installs it into the clone's .venv: run the app that way, or use .venv/bin/python.",
        name="torch") from err

from . import limits
from .cell import GATES, CellStep, cell_step, param_name
from .gru import GRU, GRUTrace, gru_trace
from .limits import LimitError
from .lstm import LSTM, LSTMConfig
from .recurrence import LayerWeights, layer_weights
from .rnn import RNN
from .shapes import ShapeReport, shapes
from .trace import Clamp, LayerTrace, Trace, clamp_mask, trace

ENGINE = "torch"  # the one path: the time loop in plain PyTorch (there is no compiled accelerator)


def engine_name() -> str:
    """Which implementation runs the LSTM: always ``"torch"`` (plain PyTorch, differentiated by autograd)."""
    return ENGINE


__all__ = ["ENGINE", "GATES", "GRU", "CellStep", "Clamp", "GRUTrace", "LSTM", "LSTMConfig", "LayerTrace",
           "LayerWeights", "LimitError", "RNN", "ShapeReport", "Trace", "cell_step", "clamp_mask", "engine_name",
           "gru_trace", "layer_weights", "limits", "param_name", "shapes", "trace"]
