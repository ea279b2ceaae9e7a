"""Tutorial errors in the tutorials' own recipes (shapes, multivariate series, IMDB, variants, bidirectional by
hand, gradients, parameter counts, hierarchical segments, the training loop), each run live through the real
``torch.nn.LSTM`` — torch only, no UI. Registered in `lessons.errata` (its `Erratum` and `KEYS`).

Each function runs the tutorial's code, adapted only as much as needed to run (small sizes, no dataset
download), and returns what torch really printed or raised, next to the tutorial's claim and the fix. The
tutorial's words are quoted verbatim in the catalogs' ``errata.<key>.quote``; ``Erratum.snippet`` is the code
run here, ``Erratum.fix`` the corrected code (also run here).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .errata import Erratum, _raised, _randn, _seeded_lstm
from .gru import Seed001Cell  # tutorial 001's cell, written once


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


# ------------------------------------------------------------------ 4. tutorial 004: residual and layer norm

class ResidualLSTM(nn.Module):
    """Tutorial 004's class, verbatim."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(input_size, hidden_size) if input_size != hidden_size else None

    def forward(self, x):
        outputs, (h_n, c_n) = self.lstm(x)
        residual = self.linear(x) if self.linear is not None else x
        if outputs.size(1) == residual.size(1):  # "only when the sequence lengths match"
            outputs = outputs + residual
        return outputs, (h_n, c_n)


class LayerNormLSTM(nn.Module):
    """Tutorial 004's class, verbatim."""

    def __init__(self, input_size, hidden_size, num_layers):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.layer_norm = nn.LayerNorm(hidden_size)

    def forward(self, x):
        outputs, (h_n, c_n) = self.lstm(x)
        outputs = self.layer_norm(outputs)
        h_n = self.layer_norm(h_n)
        return outputs, (h_n, c_n)


def _grad_x(model: nn.Module, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """∂L/∂x for L = Σ v ⊙ outputs[:, -1] (a loss on the last step; a fixed random v, since the plain sum of
    a layer-normed vector is a constant), float64."""
    xg = x.detach().clone().requires_grad_(True)
    out, _ = model(xg)
    (grad,) = torch.autograd.grad((out[:, -1] * v).sum(), xg)
    return grad


def seed004_variants(T: int = 50, seed: int = 0) -> Erratum:
    """Residual and layer norm act on the outputs, outside the recurrence: for a loss on the last step,
    ∂L/∂x₀ with the residual equals the plain LSTM's exactly; layer norm rescales it by one Jacobian at the
    last step and leaves the decay through time as it was. The length check is always true."""
    snippet = ("inputs = torch.randn(2, 50, 10)  # batch_size=2, seq_len=50, input_size=10\n"
               "plain = residual_lstm.lstm            # the same nn.LSTM(10, 20, 2) without the 'fix'\n"
               "loss = (residual_lstm(inputs)[0][:, -1] * v).sum()   # a loss on the last step, v fixed\n"
               "# compare ∂loss/∂inputs[:, 0] through ResidualLSTM, LayerNormLSTM and the plain LSTM")
    fix = "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)  # for exploding gradients\n" \
          "# for vanishing ones: a forget-gate bias of +1 or more (see Gradient flow)"
    residual = _seeded(lambda: ResidualLSTM(10, 20, 2), seed).double().eval()
    norm = _seeded(lambda: LayerNormLSTM(10, 20, 2), seed).double().eval()
    norm.lstm.load_state_dict(residual.lstm.state_dict())
    x = _randn(2, T, 10, seed=seed).double()
    v = _randn(20, seed=seed + 1).double()
    plain_g, res_g, norm_g = (_grad_x(m, x, v) for m in (residual.lstm, residual, norm))
    decay = lambda g: float(g[:, 0].norm() / g[:, -1].norm())  # noqa: E731  step 0 vs the last step
    checks = {}
    for length in (1, 7, T):
        xx = _randn(2, length, 10, seed=seed).double()
        with torch.no_grad():
            out, _ = residual.lstm(xx)
        checks[length] = out.size(1) == residual.linear(xx).size(1)
    same_width = _seeded(lambda: ResidualLSTM(10, 20, 2), seed)
    same_width.linear = None  # what the check should have guarded: x is 10 wide, outputs 20
    width_error = _raised(lambda: same_width(x.float()))
    return Erratum("seed004_variants", "004", snippet, claimed={"T": T},
                   actual={"dx0_plain": float(plain_g[:, 0].norm()), "dx0_residual": float(res_g[:, 0].norm()),
                           "delta_residual": _max_delta(res_g[:, 0], plain_g[:, 0]),
                           "dx0_norm": float(norm_g[:, 0].norm()), "decay_plain": decay(plain_g),
                           "decay_norm": decay(norm_g), "decay_residual": decay(res_g),
                           "length_checks": checks, "width_error": width_error},
                   fix=fix)


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


# ------------------------------------------------------------------ 6. tutorial 002: "the previous layer"

def seed002_previous_layer(T: int = 3, seed: int = 0) -> Erratum:
    """The forget gate multiplies the cell state of the previous time step of the same layer. Recomputed from
    nn.LSTM(5, 6, 2)'s weights: layer 1's c_t = f ⊙ c¹_{t-1} + i ⊙ g exactly; with the previous layer's cell
    c⁰_t in its place the result is far off."""
    snippet = ("rnn = nn.LSTM(5, 6, 2)\nx = torch.randn(3, 1, 5)          # 3 steps, one at a time\n"
               "f, i, g = gates of layer 1 at step t  # from rnn.weight_ih_l1, weight_hh_l1, the biases\n"
               "same_layer = f * c[1][t-1] + i * g    # previous time step, same layer\n"
               "prev_layer = f * c[0][t] + i * g      # 'the previous layer'")
    rnn = _seeded_lstm(5, 6, 2, seed=seed).double()
    x = _randn(T, 1, 5, seed=seed).double()
    w = {k: v.detach() for k, v in rnn.state_dict().items()}
    same, prev = [], []
    state = None
    with torch.no_grad():
        for t in range(T):
            h_prev, c_prev = (state if state is not None else (torch.zeros(2, 1, 6, dtype=torch.float64),) * 2)
            _, state = rnn(x[t : t + 1], state)
            h, c = state
            pre = h[0] @ w["weight_ih_l1"].T + w["bias_ih_l1"] + h_prev[1] @ w["weight_hh_l1"].T + w["bias_hh_l1"]
            i, f, g, _ = pre.chunk(4, dim=1)
            i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
            same.append(_max_delta(c[1], f * c_prev[1] + i * g))
            prev.append(_max_delta(c[1], f * c[0] + i * g))
    return Erratum("seed002_previous_layer", "002", snippet, claimed={},
                   actual={"delta_same_layer": max(same), "delta_previous_layer": max(prev), "T": T},
                   fix="c_t = f_t * c_{t-1} + i_t * g_t   # c_{t-1}: this layer's cell state one time step earlier")


# ------------------------------------------------------------------ 7. tutorials 001/002/004: gradients, counts

def exploding(T: int = 20, scale: float = 4.0, forget_bias: float = 3.0, max_norm: float = 1.0,
              seed: int = 0) -> Erratum:
    """An LSTM's gradient can explode: nn.LSTM(4, 8) with W_hh scaled ×``scale`` and the forget gates held
    open (bias +``forget_bias``, the other biases 0), on a small input, for a loss at step ``T``-1: near h = 0
    one step multiplies a gradient by about f·I + ¼·W_hg, whose largest eigenvalue exceeds 1. The default
    initialisation on the same input for comparison; ``clip_grad_norm_`` returns the norm it saw and scales the
    gradient down to ``max_norm``."""
    snippet = (f"lstm = nn.LSTM(4, 8)\nwith torch.no_grad():\n"
               f"    lstm.weight_hh_l0.mul_({scale:g})   # a strong recurrence\n"
               f"    lstm.bias_ih_l0.zero_(); lstm.bias_hh_l0.zero_()\n"
               f"    lstm.bias_hh_l0[8:16] += {forget_bias:g}  # forget gates open, as advised against vanishing\n"
               f"x = 0.01 * torch.randn({T}, 1, 4)\nout, _ = lstm(x)\nout[-1].sum().backward()\n"
               f"total = nn.utils.clip_grad_norm_(lstm.parameters(), max_norm={max_norm:g})")
    sizes = {}
    for name in ("default", "strong"):
        lstm = _seeded_lstm(4, 8, seed=seed).double()
        if name == "strong":
            with torch.no_grad():
                lstm.weight_hh_l0.mul_(scale)
                lstm.bias_ih_l0.zero_()
                lstm.bias_hh_l0.zero_()
                lstm.bias_hh_l0[8:16] += forget_bias
        lstm.train()
        out, _ = lstm(0.01 * _randn(T, 1, 4, seed=seed).double())
        out[-1].sum().backward()
        total = float(nn.utils.clip_grad_norm_(lstm.parameters(), max_norm=max_norm))
        after = float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in lstm.parameters()])))
        sizes[name] = (total, after)
    return Erratum("exploding", "001", snippet, claimed={},
                   actual={"norm_default": sizes["default"][0], "norm_strong": sizes["strong"][0],
                           "after_clip": sizes["strong"][1], "ratio": sizes["strong"][0] / sizes["default"][0],
                           "scale": scale, "forget_bias": forget_bias, "max_norm": max_norm, "T": T},
                   fix=f"nn.utils.clip_grad_norm_(model.parameters(), max_norm={max_norm:g})  # after backward()")


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


# ------------------------------------------------------------------ 8. hierarchical segments, 001's loop

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


class _Layer001(nn.Module):
    """Tutorial 001's LSTMLayer, verbatim in what it computes."""

    def __init__(self, input_size, hidden_size, num_layers=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.cells = nn.ModuleList([Seed001Cell(input_size if i == 0 else hidden_size, hidden_size)
                                    for i in range(num_layers)])

    def forward(self, x):
        batch_size = x.size(0)
        h_0 = torch.zeros(batch_size, self.hidden_size)
        states = [(h_0, torch.zeros(batch_size, self.hidden_size))] * len(self.cells)
        outputs = []
        for t in range(x.size(1)):
            input_t = x[:, t, :]
            new_h, new_c = [], []
            for layer, cell in enumerate(self.cells):
                h_t, c_t = cell(input_t, states[layer])
                new_h.append(h_t)
                new_c.append(c_t)
                input_t = h_t
            states = list(zip(new_h, new_c, strict=True))
            outputs.append(states[-1][0])
        return torch.stack(outputs, dim=1)


def seed001_training(epochs: int = 100, seed: int = 0) -> Erratum:
    """Tutorial 001's loop regresses h (|h| < 1, tanh-bounded) onto N(0, 1) targets with no readout layer:
    every target beyond ±1 is out of reach, so the loss cannot fall below a floor computed from the data."""
    snippet = ("model = LSTMLayer(input_size=10, hidden_size=32, num_layers=2)\n"
               "x = torch.randn(4, 5, 10)\n"
               "y = torch.randn(4, 5, 32)     # N(0, 1) targets for h, which tanh bounds to (-1, 1)\n"
               f"for epoch in range({epochs}): ...  # Adam, MSELoss, as in the tutorial")
    fix = ("self.readout = nn.Linear(hidden_size, output_size)   # predictions = self.readout(outputs)")

    def run():
        torch.manual_seed(seed)
        model = _Layer001(10, 32, 2)
        x, y = torch.randn(4, 5, 10), torch.randn(4, 5, 32)
        opt = torch.optim.Adam(model.parameters())
        for _ in range(epochs):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
        with torch.no_grad():
            return y, float(loss), float(model(x).abs().max())

    with torch.random.fork_rng(devices=[]):
        y, loss, h_max = run()
    excess = (y.abs() - 1).clamp(min=0)
    return Erratum("seed001_training", "001", snippet, claimed={},
                   actual={"out_of_reach": round(100 * float((y.abs() > 1).float().mean()), 1),
                           "floor": float((excess ** 2).mean()),
                           "loss": loss, "h_max": h_max, "epochs": epochs},
                   fix=fix)


# ------------------------------------------------------------------ 9. tutorial 004: truncated BPTT

def _saved_bytes(fn) -> int:
    """Bytes of the distinct tensors autograd saves for the backward pass while ``fn()`` runs (the memory a
    backward pass needs, kept alive until it runs)."""
    seen: set[int] = set()
    total = 0

    def pack(t):
        nonlocal total
        if t.data_ptr() not in seen:
            seen.add(t.data_ptr())
            total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return total


def seed004_tbptt(T: int = 100, k: int = 25, seed: int = 0) -> Erratum:
    """The tutorial's TruncatedBPTTLSTM detaches h and c between chunks inside ONE forward pass and returns the
    concatenated outputs: one backward then runs through every chunk's graph, all kept in memory at once. The
    detach only cuts the gradient; the memory that truncated BPTT exists to save is not saved. A real loop
    (forward one chunk, backward, step) keeps one chunk's graph."""
    snippet = (f"lstm = nn.LSTM(10, 20, 2, batch_first=True)\nx = torch.randn(2, {T}, 10)\n"
               f"outputs = truncated_model(x)           # TruncatedBPTTLSTM(..., truncation_steps={k})\n"
               "# bytes autograd keeps for the backward pass, measured with saved_tensors_hooks")
    fix = ("for chunk, target in zip(x.split(k, dim=1), y.split(k, dim=1)):\n"
           "    out, (h, c) = lstm(chunk, (h, c))\n"
           "    loss_fn(out, target).backward()   # this chunk's graph is freed here\n"
           "    optimizer.step(); optimizer.zero_grad()\n    h, c = h.detach(), c.detach()")
    lstm = _seeded(lambda: nn.LSTM(10, 20, 2, batch_first=True), seed)
    x = _randn(2, T, 10, seed=seed)

    def tutorial(x=x):
        h = torch.zeros(2, 2, 20)
        c = torch.zeros(2, 2, 20)
        outputs = []
        for chunk in torch.split(x, k, dim=1):
            out, (h, c) = lstm(chunk, (h, c))
            outputs.append(out)
            h, c = h.detach(), c.detach()
        return torch.cat(outputs, dim=1)

    tut, full, chunk = (_saved_bytes(f) for f in (tutorial, lambda: lstm(x), lambda: lstm(x[:, :k])))
    xg = x.clone().requires_grad_(True)  # the detach does cut the gradient: nothing before the last chunk
    (grad,) = torch.autograd.grad(tutorial(xg)[:, -1].sum(), xg)
    return Erratum("seed004_tbptt", "004", snippet, claimed={"k": k, "T": T},
                   actual={"bytes_tutorial": tut, "bytes_full": full, "bytes_chunk": chunk,
                           "ratio_tutorial": tut / full, "ratio_chunk": chunk / full,
                           "grad_before_cut": float(grad[:, : T - k].abs().max())}, fix=fix)


RECIPES = (seed000_bidir_shapes, seed004_shared_weight, seed004_torchtext, seed004_variants, seed001_two_lstm,
           seed002_previous_layer, exploding, seed002_param_count, seed004_hierarchical, seed001_training,
           seed004_tbptt)
