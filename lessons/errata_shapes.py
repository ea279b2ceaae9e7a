"""Tutorial errors about shapes and layouts in the tutorials' own recipes (bidirectional shapes, the shared-weight
multivariate view, the IMDB pipeline's time-major batches, bidirectional by hand, parameter counts, hierarchical
segments), each run live through the real ``torch.nn.LSTM`` — torch only, no UI. Also the helpers the recipe
modules share (`_seeded`, `_max_delta`). Registered in `lessons.errata` (its `Erratum` and `KEYS`); the
gradient/training ones are in `lessons.errata_training`.

Each function runs the tutorial's code, adapted only as much as needed to run (small sizes, no dataset
download), and returns what torch really printed or raised, next to the tutorial's claim and the fix. The
tutorial's words are quoted verbatim in the catalogs' ``errata.<key>.quote``; ``Erratum.snippet`` is the code
run here, ``Erratum.fix`` the corrected code (also run here).
"""

from __future__ import annotations

import torch
from torch import nn

from .errata import Erratum, _raised, _randn, _seeded_lstm


def _seeded(build, seed: int = 0):
    """``build()`` right after ``torch.manual_seed(seed)``, the global RNG restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _max_delta(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


# ------------------------------------------------------------------ 1. tutorial 000: bidirectional shapes

def seed000_bidir_shapes() -> Erratum:
    """Tutorial 000's bidirectional example prints [24, 10, 32] and [2, 10, 16]; torch gives [10, 24, 32]
    and [2, 24, 16], and the loop runs 10 times (the first axis is time), not 24."""
    snippet = ("x = torch.rand(10,24,100)\nlstm = nn.LSTM(100,16,bidirectional=True)\noutput,(h,c) = lstm(x)\n"
               "print(output.size())\nprint(h.size())\nprint(c.size())")
    lstm = _seeded_lstm(100, 16, bidirectional=True)
    x = torch.rand(10, 24, 100, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out, (h, c) = lstm(x)
        # the loop: feeding the steps one at a time gives the same forward half -> it ran x.size(0) steps
        state, steps = None, 0
        fwd = nn.LSTM(100, 16)
        fwd.load_state_dict({k: v for k, v in lstm.state_dict().items() if not k.endswith("_reverse")})
        for t in range(x.size(0)):
            _, state = fwd(x[t : t + 1], state)
            steps += 1
    return Erratum("seed000_bidir_shapes", "000", snippet,
                   claimed={"output": (24, 10, 32), "h": (2, 10, 16), "c": (2, 10, 16), "steps": 24},
                   actual={"output": tuple(out.shape), "h": tuple(h.shape), "c": tuple(c.shape), "steps": steps,
                           "delta_loop": _max_delta(out[-1, :, :16], state[0][0])},
                   fix="lstm = nn.LSTM(100, 16, bidirectional=True, batch_first=True)  # if x is (batch, seq, feature)")


# ------------------------------------------------------------------ 2. tutorial 004: SharedWeightLSTM

class SharedWeightLSTM(nn.Module):
    """Tutorial 004's class, verbatim (its comments translated in the page's quote, not here)."""

    def __init__(self, num_variables, input_size, hidden_size, num_layers):
        super().__init__()
        self.num_variables = num_variables
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fusion = nn.Linear(hidden_size * num_variables, hidden_size)

    def forward(self, x, how: str = "view"):
        batch_size, seq_len, num_variables, input_size = x.size()
        if how == "view":  # the tutorial
            x = x.view(batch_size * num_variables, seq_len, input_size)
            outputs, (h_n, c_n) = self.lstm(x)
            outputs = outputs.view(batch_size, seq_len, num_variables, -1)
        elif how == "reshape":  # .view -> .reshape only: runs, but still interleaves
            x = x.reshape(batch_size * num_variables, seq_len, input_size)
            outputs, (h_n, c_n) = self.lstm(x)
            outputs = outputs.reshape(batch_size, seq_len, num_variables, -1)
        else:  # the fix: move the variable axis next to the batch axis first, and back afterwards
            x = x.permute(0, 2, 1, 3).reshape(batch_size * num_variables, seq_len, input_size)
            outputs, (h_n, c_n) = self.lstm(x)
            outputs = outputs.reshape(batch_size, num_variables, seq_len, -1).permute(0, 2, 1, 3)
        concat_outputs = outputs.reshape(batch_size, seq_len, -1)
        return self.fusion(concat_outputs), (h_n, c_n)


def seed004_shared_weight(seed: int = 0) -> Erratum:
    """``outputs.view`` raises on the non-contiguous batch_first output; ``x.view(B*V, T, I)`` on a
    (B, T, V, I) tensor mixes time steps and variables (permute first). Checked against running each
    variable's series through the LSTM on its own."""
    snippet = ("inputs = torch.randn(2, 10, 3, 4)  # (batch_size, seq_len, num_variables, input_size)\n"
               "shared_model = SharedWeightLSTM(num_variables=3, input_size=4, hidden_size=5, num_layers=2)\n"
               "shared_output, (shared_h_n, shared_c_n) = shared_model(inputs)")
    fix = ("x = x.permute(0, 2, 1, 3).reshape(batch_size * num_variables, seq_len, input_size)\n"
           "outputs, (h_n, c_n) = self.lstm(x)\n"
           "outputs = outputs.reshape(batch_size, num_variables, seq_len, -1).permute(0, 2, 1, 3)")
    model = _seeded(lambda: SharedWeightLSTM(3, 4, 5, 2), seed).eval()
    x = _randn(2, 10, 3, 4, seed=seed)
    message = _raised(lambda: model(x))
    with torch.no_grad():
        right, _ = model(x, "permute")
        loose, _ = model(x, "reshape")
        # independent: variable v of sample b alone through the same LSTM
        alone = torch.stack([torch.stack([model.lstm(x[b : b + 1, :, v])[0][0] for v in range(3)], dim=1)
                             for b in range(2)])  # (B, T, V, H)
        fused_alone = model.fusion(alone.reshape(2, 10, -1))
    return Erratum("seed004_shared_weight", "004", snippet, claimed={"input": (2, 10, 3, 4)},
                   actual={"output": tuple(right.shape), "delta_reshape": _max_delta(loose, right),
                           "delta_alone": _max_delta(right, fused_alone)},
                   error=message, fix=fix)


# ------------------------------------------------------------------ 3. tutorial 004: the IMDB pipeline

class LSTMSentiment(nn.Module):
    """Tutorial 004's model, verbatim."""

    def __init__(self, vocab_size, embedding_dim, hidden_dim, output_dim, n_layers, bidirectional, dropout,
                 pad_idx):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=n_layers, bidirectional=bidirectional,
                            dropout=dropout if n_layers > 1 else 0, batch_first=True)
        self.fc = nn.Linear(hidden_dim * 2 if bidirectional else hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, text):
        embedded = self.embedding(text)
        output, (hidden, cell) = self.lstm(embedded)
        if self.lstm.bidirectional:
            hidden = self.dropout(torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1))
        else:
            hidden = self.dropout(hidden[-1, :, :])
        return self.fc(hidden.squeeze(0))


def _sentiment_model(seed: int = 0) -> LSTMSentiment:
    return _seeded(lambda: LSTMSentiment(50, 8, 6, 1, 2, True, 0.5, 1), seed).eval()


def seed004_torchtext(seed: int = 0) -> Erratum:
    """A legacy ``data.Field`` batch is time-major, ``[sent len, batch size]``; the model says batch_first and
    reads sent len as the batch: the loss raises a target-size error. (``torchtext.legacy`` is gone.)"""
    snippet = ("text = torch.randint(2, 50, (7, 4))   # a legacy Field batch: [sent len = 7, batch size = 4]\n"
               "label = torch.tensor([1., 0., 1., 0.])\n"
               "predictions = model(text).squeeze(1)  # model: LSTMSentiment(..., batch_first=True)\n"
               "loss = criterion(predictions, label)   # criterion = nn.BCEWithLogitsLoss()")
    fix = ("TEXT = data.Field(tokenize='spacy', lower=True, batch_first=True)  # legacy torchtext\n"
           "# or, without torchtext: predictions = model(text.t()).squeeze(1)  # (batch, sent len)")
    model = _sentiment_model(seed)
    text = torch.randint(2, 50, (7, 4), generator=torch.Generator().manual_seed(seed))
    label = torch.tensor([1.0, 0.0, 1.0, 0.0])
    criterion = nn.BCEWithLogitsLoss()
    message = _raised(lambda: criterion(model(text).squeeze(1), label))
    with torch.no_grad():
        wrong = model(text).squeeze(1)
        right = model(text.t()).squeeze(1)
    try:
        import torchtext.legacy  # noqa: F401
        legacy = "import torchtext.legacy: OK"
    except ImportError as err:
        legacy = f"{type(err).__name__}: {err}"
    return Erratum("seed004_torchtext", "004", snippet, claimed={"text": tuple(text.shape)},
                   actual={"predictions": tuple(wrong.shape), "label": tuple(label.shape),
                           "right_predictions": tuple(right.shape), "legacy": legacy},
                   error=message, fix=fix)


# ------------------------------------------------------------------ 5. tutorial 001: two LSTMs, one reversed

def seed001_two_lstm(seed: int = 0) -> Erratum:
    """Two LSTMs, one on the reversed sequence, concatenated: without flipping the backward outputs back,
    step t holds the backward state of step T-1-t. With the flip it equals bidirectional=True exactly."""
    snippet = ("fwd = nn.LSTM(4, 6, batch_first=True)\nbwd = nn.LSTM(4, 6, batch_first=True)\n"
               "out_f, _ = fwd(x)\nout_b, _ = bwd(torch.flip(x, dims=[1]))     # the reversed sequence\n"
               "recipe = torch.cat([out_f, out_b], dim=2)      # 'concatenate the outputs'\n"
               "bi = nn.LSTM(4, 6, batch_first=True, bidirectional=True)  # same weights copied in")
    fix = "recipe = torch.cat([out_f, torch.flip(out_b, dims=[1])], dim=2)  # flip back to real time order"
    bi = _seeded_lstm(4, 6, batch_first=True, bidirectional=True, seed=seed).double()
    sd = bi.state_dict()
    fwd, bwd = nn.LSTM(4, 6, batch_first=True).double(), nn.LSTM(4, 6, batch_first=True).double()
    fwd.load_state_dict({k: v for k, v in sd.items() if not k.endswith("_reverse")})
    bwd.load_state_dict({k.removesuffix("_reverse"): v for k, v in sd.items() if k.endswith("_reverse")})
    x = _randn(3, 7, 4, seed=seed).double()
    with torch.no_grad():
        out_bi, _ = bi(x)
        out_f, _ = fwd(x)
        out_b, _ = bwd(torch.flip(x, dims=[1]))
        recipe = torch.cat([out_f, out_b], dim=2)
        fixed = torch.cat([out_f, torch.flip(out_b, dims=[1])], dim=2)
    return Erratum("seed001_two_lstm", "001", snippet, claimed={},
                   actual={"delta_recipe": _max_delta(recipe, out_bi), "delta_fixed": _max_delta(fixed, out_bi),
                           "delta_forward": _max_delta(recipe[..., :6], out_bi[..., :6])},
                   fix=fix)


# ------------------------------------------------------------------ 7. tutorial 002: parameter counts

def seed002_param_count() -> Erratum:
    """"A BiLSTM doubles the parameters": with 2 layers the second layer's input doubles too, so
    nn.LSTM(10, 20, 2) goes from 5,920 to 15,040 (×2.54), not 11,840."""
    snippet = ("uni = nn.LSTM(10, 20, num_layers=2)\nbi = nn.LSTM(10, 20, num_layers=2, bidirectional=True)\n"
               "count = lambda m: sum(p.numel() for p in m.parameters())\nprint(count(uni), count(bi))")
    uni, bi = nn.LSTM(10, 20, num_layers=2), nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    per_layer = {name: p.numel() for name, p in bi.named_parameters() if name.endswith("l1")}
    return Erratum("seed002_param_count", "002", snippet, claimed={"bi": 2 * count(uni)},
                   actual={"uni": count(uni), "bi": count(bi), "ratio": count(bi) / count(uni),
                           "weight_ih_l1": tuple(bi.weight_ih_l1.shape), "layer1": sum(per_layer.values())})


# ------------------------------------------------------------------ 8. tutorial 004: hierarchical segments

class HierarchicalLSTM(nn.Module):
    """Tutorial 004's class, verbatim."""

    def __init__(self, input_size, hidden_size, num_layers, segment_size):
        super().__init__()
        self.segment_size = segment_size
        self.lower_lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.upper_lstm = nn.LSTM(hidden_size, hidden_size, num_layers, batch_first=True)

    def forward(self, x):
        batch_size, seq_len, input_size = x.size()
        padding_size = (self.segment_size - (seq_len % self.segment_size)) % self.segment_size
        if padding_size > 0:
            x = torch.cat([x, torch.zeros(batch_size, padding_size, input_size).to(x.device)], dim=1)
        num_segments = x.size(1) // self.segment_size
        x_segments = x.view(batch_size, num_segments, self.segment_size, input_size)
        x_segments = x_segments.view(batch_size * num_segments, self.segment_size, input_size)
        lower_outputs, _ = self.lower_lstm(x_segments)
        segment_representations = lower_outputs[:, -1, :].view(batch_size, num_segments, -1)
        upper_outputs, (h_n, c_n) = self.upper_lstm(segment_representations)
        return upper_outputs, (h_n, c_n), segment_representations


def seed004_hierarchical(seq_len: int = 90, segment: int = 25, seed: int = 0) -> Erratum:
    """With seq_len = 90 and segments of 25 the last segment holds 15 real steps and 10 zeros; the tutorial
    reads its representation after the zeros. Packing (or reading at the real last step) is the fix."""
    snippet = (f"model = HierarchicalLSTM(input_size=10, hidden_size=20, num_layers=2, segment_size={segment})\n"
               f"x = torch.randn(2, {seq_len}, 10)   # {seq_len} is not a multiple of {segment}: zeros are appended\n"
               "upper_outputs, (h_n, c_n) = model(x)")
    fix = ("real = seq_len - (num_segments - 1) * segment_size     # real steps in the last segment\n"
           "last = lower_outputs.view(batch_size, num_segments, segment_size, -1)\n"
           "reps = last[:, :, -1].clone(); reps[:, -1] = last[:, -1, real - 1]  # or pack the segments")
    model = _seeded(lambda: HierarchicalLSTM(10, 20, 2, segment), seed).eval()
    x = _randn(2, seq_len, 10, seed=seed)
    real = seq_len - (seq_len // segment) * segment
    with torch.no_grad():
        _, _, reps = model(x)
        last_seg = x[:, seq_len - real :]
        alone, _ = model.lower_lstm(last_seg)  # the last segment's real steps, no zeros
    return Erratum("seed004_hierarchical", "004", snippet, claimed={"segments": reps.shape[1]},
                   actual={"padding": segment - real if real else 0, "real": real,
                           "delta": _max_delta(reps[:, -1], alone[:, -1])}, fix=fix)
