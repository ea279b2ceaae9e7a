"""LSTM Explorer's engine: a from-scratch LSTM equal to ``torch.nn.LSTM``, with full tracing.

torch + numpy only; never imports streamlit or plotly.
"""

from . import limits
from .cell import GATES, CellStep, cell_step
from .config import LSTMConfig
from .inputs import InputBatch
from .limits import LimitError
from .lstm import LSTM
from .shapes import ShapeReport, shapes
from .trace import Clamp, LayerTrace, Trace, trace

__all__ = ["GATES", "CellStep", "Clamp", "InputBatch", "LSTM", "LSTMConfig", "LayerTrace", "LimitError",
           "ShapeReport", "Trace", "cell_step", "limits", "shapes", "trace"]
