"""Resource limits for interactive use — the one place the app's size caps live.

The engine itself runs any size (benchmarks go far beyond these); the UI bounds its widgets with these
numbers and `trace` refuses to record more than ``MAX_TRACE_VALUES`` numbers unless told otherwise.
"""

from __future__ import annotations

MAX_INPUT_SIZE = 64
MAX_HIDDEN_SIZE = 64
MAX_NUM_LAYERS = 4
MAX_BATCH_SIZE = 16
MAX_SEQ_LEN = 200
MAX_TRACE_VALUES = 6_000_000  # ~48 MB in float64: every recorded intermediate of one trace
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # uploaded CSV / state_dict files


class LimitError(ValueError):
    """A size is above an interactive limit. ``limit`` names it, ``value`` and ``maximum`` say by how much."""

    def __init__(self, limit: str, value: int, maximum: int):
        self.limit, self.value, self.maximum = limit, value, maximum
        super().__init__(f"{limit} = {value} exceeds the limit of {maximum} ({limit} <= {maximum})")


def trace_value_count(config, batch_size: int, seq_len: int) -> int:
    """How many numbers a full trace of ``config`` on a (seq_len, batch_size) input records."""
    h, h_out, d = config.hidden_size, config.h_out, config.num_directions
    total = 0
    for layer in range(config.num_layers):
        layer_in = config.input_size if layer == 0 else d * h_out
        # x, pre (4H), x_proj (4H), i f g o (4H), c, c_prev, h_full, h, h_prev
        per_step = layer_in + 12 * h + 2 * h + h + 2 * h_out
        total += d * seq_len * batch_size * per_step
    return total


def check_limits(config, batch_size: int = 1, seq_len: int = 1) -> None:
    """Raise `LimitError` naming the first limit ``config`` with this batch and length exceeds."""
    for name, value, maximum in (
        ("input_size", config.input_size, MAX_INPUT_SIZE),
        ("hidden_size", config.hidden_size, MAX_HIDDEN_SIZE),
        ("num_layers", config.num_layers, MAX_NUM_LAYERS),
        ("batch_size", batch_size, MAX_BATCH_SIZE),
        ("seq_len", seq_len, MAX_SEQ_LEN),
        ("traced values", trace_value_count(config, batch_size, seq_len), MAX_TRACE_VALUES),
    ):
        if value > maximum:
            raise LimitError(name, value, maximum)
