"""Input sequences for the app: `InputBatch` (always batch-major) and its conversion to the model's layout."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence


@dataclass
class InputBatch:
    """``data`` (B, T, I), batch-major whatever the model's batch_first; ``lengths`` per sequence when ragged
    (run as a PackedSequence); ``labels`` name the timesteps (e.g. tokens of a sentence)."""

    data: Tensor
    lengths: list[int] | None = None
    labels: list[str] | None = None

    @property
    def batch_size(self) -> int:
        return self.data.size(0)

    @property
    def seq_len(self) -> int:
        return self.data.size(1)

    def model_input(self, cfg) -> Tensor | PackedSequence:
        """The tensor (or PackedSequence) in the layout a model with configuration ``cfg`` expects."""
        if self.lengths is not None:
            return pack_padded_sequence(self.data, list(self.lengths), batch_first=True, enforce_sorted=False)
        return self.data if cfg.batch_first else self.data.transpose(0, 1)
