"""The facts about ``torch.nn.LSTM`` the app demonstrates, each by ONE function that every page showing it
calls (Shapes, Pitfalls, Proof), plus the tools they share. torch only, no UI.

Every fact runs real tensors through the real ``torch.nn.LSTM`` (`reference`, float64, eval mode, the
learner's weights when their shapes fit) on exactly the configuration it is given, and returns a small
dataclass of live evidence (shapes as tuples, max |Δ| as floats, captured messages). A page that needs a
configuration the learner lacks (e.g. ``bidirectional=True``) changes it first (`changed`, `grow`) and says so.

==================  ==========================================================  =========================
fact                what it shows                                               shown on
==================  ==========================================================  =========================
`batch_first`       transposes input and output only; h_n/c_n never             Shapes, Pitfalls 1
`last_step`         output's last step = forward h_n; backward h_n = step 0     Shapes, Pitfalls 2, claim
`hn_layout`         h_n[layer·D + direction]; h_n.view(num_layers, D, B, H)     Shapes, Pitfalls 3, claim
`padding`           packed: h_n at each real end; padded (not packed): changed  Shapes, Pitfalls 4
`dropout`           between layers, training mode only; none with one layer     Proof, Pitfalls 5
`unbatched`         a 2-D input is one sequence: no batch axis anywhere         Shapes, Pitfalls 10
==================  ==========================================================  =========================

The tools are in `tools`; the facts by concept in `outputs` (batch_first, last_step, hn_layout, unbatched),
`padding` and `modes` (dropout). Import them from here: ``from lessons import facts; facts.padding(...)``.
"""

from .modes import DropoutFact, dropout
from .outputs import (
    BatchFirstFact,
    HnLayoutFact,
    HnRow,
    LastStepFact,
    UnbatchedFact,
    batch_first,
    hn_layout,
    last_step,
    unbatched,
)
from .padding import PaddingFact, SeqPadding, padding
from .tools import (
    DTYPE,
    MAX_DEMO_BATCH,
    MAX_DEMO_STEPS,
    changed,
    demo_input,
    error_of,
    grow,
    layer_finals,
    max_abs,
    packed_lengths,
    quiet_lstm,
    reference,
    shape,
)

__all__ = [
    "DTYPE",
    "MAX_DEMO_BATCH",
    "MAX_DEMO_STEPS",
    "BatchFirstFact",
    "DropoutFact",
    "HnLayoutFact",
    "HnRow",
    "LastStepFact",
    "PaddingFact",
    "SeqPadding",
    "UnbatchedFact",
    "batch_first",
    "changed",
    "demo_input",
    "dropout",
    "error_of",
    "grow",
    "hn_layout",
    "last_step",
    "layer_finals",
    "max_abs",
    "packed_lengths",
    "padding",
    "quiet_lstm",
    "reference",
    "shape",
    "unbatched",
]
