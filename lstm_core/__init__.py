"""LSTM Explorer's engine: a from-scratch LSTM equal to ``torch.nn.LSTM``, with full tracing.

torch + numpy only; never imports streamlit or plotly. What the pages teach with it lives in ``lessons/``.
"""

from . import limits
from .cell import GATES, CellStep, cell_step
from .gru import GRU, GRUTrace, gru_trace
from .limits import LimitError
from .lstm import LSTM, LSTMConfig
from .rnn import RNN
from .shapes import ShapeReport, shapes
from .trace import Clamp, LayerTrace, Trace, trace

__all__ = ["GATES", "GRU", "CellStep", "Clamp", "GRUTrace", "LSTM", "LSTMConfig", "LayerTrace", "LimitError", "RNN",
           "ShapeReport", "Trace", "cell_step", "gru_trace", "limits", "shapes", "trace"]
