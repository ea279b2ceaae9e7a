"""Deliberately wrong engines for tests that must see the proof turn red."""

from torch.nn.utils.rnn import PackedSequence

from lstm_core import LSTM


class OutputNudged(LSTM):
    """Our engine with every output value shifted by 1e-3: forward rows must fail, nothing else changes."""

    def forward(self, input, hx=None):
        out, (h, c) = super().forward(input, hx)
        if isinstance(out, PackedSequence):
            return out._replace(data=out.data + 1e-3), (h, c)
        return out + 1e-3, (h, c)
