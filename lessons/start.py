"""Start here: the numbers behind each stop of the guided first visit — torch + numpy only, no UI.

Eight stops follow the seeds' arc (an LSTM at a glance, one cell, through time, stacked layers, two
directions, the shapes, which output for which task, training). Each function below computes one stop's live
view with the engine (`lstm_core`) or the gradient lesson (`lessons.gradients`) and returns a small
dataclass; the page only draws it. Stops 1-5 show pictures drawn from a real engine trace (`demo`): a
sentence read by a small LSTM, its tokens under the timesteps. `PRESETS` holds the tutorials' own examples as
query parameters of the deeper pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lessons import gradients
from lessons.sources import text_batch
from lstm_core import GATES, LSTMConfig, limits, shapes, trace

STOPS = ("glance", "cell", "time", "layers", "directions", "shapes", "outputs", "training")

# The sentences the tour's pictures read (one token per timestep).
SHORT_TEXT = "the movie was not good"
LONG_TEXT = "the movie was not good , but the music was great !"

# stop -> (deeper page, its query parameters): the link at the end of each stop.
DEEPER = {
    "glance": ("stepper", {"input_source": "text", "input_text": SHORT_TEXT, "batch_size": 1}),
    "cell": ("stepper", {"input_size": 1, "hidden_size": 1, "seq_len": 5, "batch_size": 1}),
    "time": ("gradients", {"input_size": 4, "hidden_size": 8, "seq_len": 40}),
    "layers": ("stepper", {"num_layers": 2, "hidden_size": 4, "layer": 1}),
    "directions": ("stepper", {"bidirectional": 1, "hidden_size": 4, "direction": 1}),
    "shapes": ("shapes", {"num_layers": 2, "bidirectional": 1, "batch_first": 1}),
    "outputs": ("pitfalls", {"bidirectional": 1, "num_layers": 2}),
    "training": ("learn", {}),
}

# The tutorials' own examples: name -> query parameters (``page`` names the page that opens).
PRESETS: dict[str, dict[str, object]] = {
    # seed 002: "我爱中国" read left to right and right to left, the two halves concatenated
    "woaizhongguo": {"page": "stepper", "bidirectional": 1, "input_size": 8, "hidden_size": 4,
                     "input_source": "text", "input_text": "我爱中国", "direction": 1},
    # seed 002: rnn = nn.LSTM(5, 6, 2); input = torch.randn(1, 3, 5) (time-major: 1 step, batch 3)
    "seed002": {"page": "shapes", "input_size": 5, "hidden_size": 6, "num_layers": 2, "seq_len": 1,
                "batch_size": 3},
    # seed 003, example 2: nn.LSTM(256, 256, 2, batch_first=True, bidirectional=True) on (4, 10, 256),
    # sizes scaled to the interactive limits
    "seed003_bidir": {"page": "shapes", "input_size": min(256, limits.MAX_INPUT_SIZE),
                      "hidden_size": min(256, limits.MAX_HIDDEN_SIZE), "num_layers": 2, "batch_first": 1,
                      "bidirectional": 1, "batch_size": 4, "seq_len": 10},
}


def preset_query(name: str, lang: str | None = None) -> dict[str, str]:
    """The query parameters (strings) of preset `name`, with ``lang`` added when given."""
    query = {k: str(v) for k, v in PRESETS[name].items() if k != "page"}
    if lang:
        query["lang"] = lang
    return query


# ---- the pictures of stops 1, 3, 4, 5: a sentence through a small LSTM ---------------------------------------

@dataclass(frozen=True)
class Demo:
    trace: object  # numpy lstm_core.Trace of the model on the sentence (time-major, batch of one)
    tokens: list  # one token per timestep


def demo(text: str = SHORT_TEXT, num_layers: int = 1, bidirectional: bool = False, input_size: int = 4,
         hidden_size: int = 6, seed: int = 0) -> Demo:
    """The engine's trace of `text` (one token per step, the app's fixed token embeddings) through an LSTM
    with these sizes built with `seed` — the app's default model (4 → 6) unless told otherwise."""
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                     bidirectional=bidirectional)
    batch = text_batch(text, input_size, seed)
    model = cfg.build(seed=seed, dtype=torch.float32)
    with torch.no_grad():
        trn = trace(model, batch.model_input(cfg)).numpy()
    return Demo(trn, list(batch.labels))


# ---- the "why" of stop 3: gradients through time ---------------------------------------------------------

@dataclass(frozen=True)
class Vanishing:
    seq_len: int
    rnn: np.ndarray  # (T,) ‖∂L/∂h_t‖ of the plain RNN, loss at the last step
    lstm: np.ndarray  # (T,) the same for an LSTM of the same sizes and seed
    lstm_bias: np.ndarray  # (T,) the LSTM with its forget bias raised by `bias_shift`
    bias_shift: float

    @property
    def ratios(self) -> dict[str, float]:
        """Gradient at step 0 divided by the gradient at the last step, per model."""
        return {name: float(v[0] / v[-1]) for name, v in
                (("rnn", self.rnn), ("lstm", self.lstm), ("lstm_bias", self.lstm_bias))}


def vanishing(seq_len: int = 30, hidden_size: int = 8, input_size: int = 4, seed: int = 0,
              bias_shift: float = 3.0) -> Vanishing:
    """How much of a last-step loss reaches each earlier step: plain RNN vs LSTM (random weights) vs LSTM
    whose forget gates start near 1 (forget bias + `bias_shift`). Float64 autograd through our engines."""
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size)
    lstm = cfg.build(seed=seed, dtype=torch.float64)
    rnn = gradients.matched_rnn(cfg, seed, dtype=torch.float64)
    x = gradients.seeded_input(seq_len, input_size, seed, dtype=torch.float64)
    flow = lambda m: gradients.lstm_gradflow(m, x).dL_dh[:, 0]  # noqa: E731
    return Vanishing(seq_len, gradients.rnn_gradflow(rnn, x).dL_dh[:, 0], flow(lstm),
                     flow(gradients.with_forget_bias(lstm, bias_shift)), bias_shift)


# ---- stop 2: one cell -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OneCell:
    x: float
    h_prev: float
    c_prev: float
    weights: dict  # name -> float (w_ii, w_hi, b_i, ... per gate)
    gates: dict  # i, f, g, o -> value after the activation
    c: float
    h: float
    trace: object  # the numpy engine trace of this one step (what the picture draws)


def one_cell(x: float, h_prev: float, c_prev: float, seed: int = 0) -> OneCell:
    """One step of a one-unit LSTM (input_size = hidden_size = 1, seed `seed`), traced by the engine from the
    state (h_prev, c_prev): a sequence of length 1 with that h0 and c0."""
    model = LSTMConfig(input_size=1, hidden_size=1).build(seed=seed, dtype=torch.float64)
    p = {k: v.detach() for k, v in model.named_parameters()}
    state = lambda v: torch.tensor([[[float(v)]]], dtype=torch.float64)  # noqa: E731  (layers, batch, 1)
    with torch.no_grad():
        trn = trace(model, state(x), hx=(state(h_prev), state(c_prev))).numpy()
    lt = trn[0, 0]
    weights = {}
    for k, gate in enumerate(GATES):  # row block k of the stacked weights is gate GATES[k]
        weights[f"W_i{gate}"] = float(p["weight_ih_l0"][k, 0])
        weights[f"W_h{gate}"] = float(p["weight_hh_l0"][k, 0])
        weights[f"b_{gate}"] = float(p["bias_ih_l0"][k] + p["bias_hh_l0"][k])
    gates = {g: float(getattr(lt, g)[0, 0, 0]) for g in GATES}
    return OneCell(float(x), float(h_prev), float(c_prev), weights, gates, float(lt.c[0, 0, 0]),
                   float(lt.h[0, 0, 0]), trn)


# ---- stop 3: through time ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ThroughTime:
    input_size: int
    hidden_size: int
    counts: dict  # seq_len -> total parameter count (lstm_core.shapes)
    formula: int  # 4·H·(I + H) + 8·H, counted by hand
    same_weights: float  # max |Δ| between step t's pre-activation and W_ih x_t + W_hh h_{t-1} + b, all t


def through_time(input_size: int = 3, hidden_size: int = 4, seq_lens=(1, 10, 100), seed: int = 0) -> ThroughTime:
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size)
    counts = {T: shapes(cfg, batch_size=1, seq_len=T).total_params for T in seq_lens}
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = gradients.seeded_input(max(seq_lens[:2]), input_size, seed, dtype=torch.float64)
    with torch.no_grad():
        tr = trace(model, x)[0, 0]
        w_ih, w_hh = model.weight_ih_l0, model.weight_hh_l0
        b = model.bias_ih_l0 + model.bias_hh_l0
        again = torch.stack([tr.x[t] @ w_ih.T + tr.h_prev[t] @ w_hh.T + b for t in range(tr.x.shape[0])])
        delta = float((again - tr.pre).abs().max())
    H, In = hidden_size, input_size
    return ThroughTime(input_size, hidden_size, counts, 4 * H * (In + H) + 8 * H, delta)


# ---- stop 4: stacked layers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stacked:
    num_layers: int
    input_is_h_below: float  # max |Δ| between layer k's input and layer k-1's h, all steps, k ≥ 1
    c_in_layer: list  # per layer: max |Δ| between c_n[layer] and that layer's last c (its own memory)
    c_differs: float  # min |c_n[1] - c_n[0]|.max(): layer 1's cell state is not layer 0's
    weight_ih_shapes: list  # per layer: shape of weight_ih_l{k}


def stacked(num_layers: int = 2, input_size: int = 3, hidden_size: int = 4, seq_len: int = 6,
            seed: int = 0) -> Stacked:
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = gradients.seeded_input(seq_len, input_size, seed, dtype=torch.float64)
    with torch.no_grad():
        tr = trace(model, x)
        ups = [float((tr[k, 0].x - tr[k - 1, 0].h).abs().max()) for k in range(1, num_layers)]
        own = [float((tr.c_n[k] - tr[k, 0].c[-1]).abs().max()) for k in range(num_layers)]
        differs = float((tr.c_n[1] - tr.c_n[0]).abs().max()) if num_layers > 1 else 0.0
    sizes = [tuple(getattr(model, f"weight_ih_l{k}").shape) for k in range(num_layers)]
    return Stacked(num_layers, max(ups, default=0.0), own, differs, sizes)


# ---- stop 5: two directions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TwoDirections:
    hidden_size: int
    output_shape: tuple
    forward_last: float  # max |Δ| output[-1, :, :H] vs h_n[0] (time-major)
    backward_first: float  # max |Δ| output[0, :, H:] vs h_n[1]
    backward_last: float  # max |Δ| output[-1, :, H:] vs h_n[1]: NOT the backward final state


def two_directions(input_size: int = 3, hidden_size: int = 4, seq_len: int = 5, seed: int = 0) -> TwoDirections:
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, bidirectional=True)
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = gradients.seeded_input(seq_len, input_size, seed, dtype=torch.float64)
    H = hidden_size
    with torch.no_grad():
        out, (h_n, _) = model(x)
    d = lambda a, b: float((a - b).abs().max())  # noqa: E731
    return TwoDirections(H, tuple(out.shape), d(out[-1, :, :H], h_n[0]), d(out[0, :, H:], h_n[1]),
                         d(out[-1, :, H:], h_n[1]))


# ---- stop 6: shapes ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shapes:
    call: dict  # the nn.LSTM arguments
    batch_size: int
    seq_len: int
    predicted: dict  # tensor name -> shape from lstm_core.shapes
    measured: dict  # tensor name -> shape of a real forward pass of our engine


def shape_stop(num_layers: int = 2, bidirectional: bool = True, batch_first: bool = False, batch_size: int = 2,
               seq_len: int = 5, input_size: int = 3, hidden_size: int = 4, seed: int = 0) -> Shapes:
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                     bidirectional=bidirectional, batch_first=batch_first)
    rep = shapes(cfg, batch_size=batch_size, seq_len=seq_len)
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = torch.zeros(*rep.tensors["input"].shape, dtype=torch.float64)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
    predicted = {n: rep.tensors[n].shape for n in ("input", "output", "h_n", "c_n")}
    measured = {"input": tuple(x.shape), "output": tuple(out.shape), "h_n": tuple(h_n.shape),
                "c_n": tuple(c_n.shape)}
    return Shapes(cfg.kwargs(), batch_size, seq_len, predicted, measured)


# ---- stop 7: which output for which task ------------------------------------------------------------------

TASKS = ("tagging", "classify", "classify_bi", "seq2seq")


@dataclass(frozen=True)
class Reading:
    task: str
    code: str  # what to read (time-major, bidirectional, 2 layers)
    shape: tuple  # its shape on a real forward pass


def readings(input_size: int = 3, hidden_size: int = 4, seq_len: int = 5, batch_size: int = 2,
             seed: int = 0) -> list[Reading]:
    """What to read for each task from a 2-layer bidirectional LSTM (time-major), with real shapes."""
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=2, bidirectional=True)
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = gradients.seeded_input(seq_len, input_size, seed, batch=batch_size, dtype=torch.float64)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
    picks = {
        "tagging": ("output", out),
        "classify": ("h_n[-1]", h_n[-1]),
        "classify_bi": ("torch.cat([h_n[-2], h_n[-1]], dim=1)", torch.cat([h_n[-2], h_n[-1]], dim=1)),
        "seq2seq": ("(h_n, c_n)", h_n),
    }
    return [Reading(task, code, tuple(v.shape)) for task, (code, v) in picks.items()]


# ---- stop 8: training -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Training:
    steps: int
    losses: list  # mean squared error per optimiser step
    baseline: float  # loss of always answering the mean (what an untrained guess can do)


def tiny_training(steps: int = 30, seq_len: int = 6, hidden_size: int = 6, batch_size: int = 16,
                  seed: int = 0) -> Training:
    """Teach our LSTM (plus a linear head on h_n[-1]) to repeat the first number of a sequence at its end:
    Adam, full-batch, float32, seeded. Every loss is a real forward pass of the engine."""
    cfg = LSTMConfig(input_size=1, hidden_size=hidden_size)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(seq_len, batch_size, 1, generator=g)
    target = x[0, :, 0]
    model = cfg.build(seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = torch.nn.Linear(hidden_size, 1)
    opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=0.05)
    losses = []
    with torch.enable_grad():
        for _ in range(steps):
            _, (h_n, _) = model(x)
            loss = ((head(h_n[-1])[:, 0] - target) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    baseline = float(((target - target.mean()) ** 2).mean())
    return Training(steps, losses, baseline)

