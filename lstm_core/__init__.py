"""LSTM Explorer's engine: a from-scratch LSTM equal to ``torch.nn.LSTM``, with full tracing.

torch + numpy only; never imports streamlit or plotly. What the pages teach with it lives in ``lessons/``.
"""

from . import limits
from .cell import GATES, CellStep, cell_step
from .limits import LimitError
from .lstm import LSTM, LSTMConfig
from .rnn import RNN
from .shapes import ShapeReport, shapes
from .trace import Clamp, LayerTrace, Trace, trace

__all__ = ["GATES", "CellStep", "Clamp", "LSTM", "LSTMConfig", "LayerTrace", "LimitError", "RNN",
           "ShapeReport", "Trace", "cell_step", "limits", "shapes", "trace"]
