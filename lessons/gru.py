"""GRU beside LSTM: the same configuration and input through both engines, a toy task trained on both, and
seed 001's four-Linear cell mapped onto torch's stacked weights. torch + numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lessons.tasks import make_task
from lstm_core import GATES as LSTM_GATES  # i, f, g, o: the engine's (and torch's) row-block order
from lstm_core import GRU, LSTM, LSTMConfig, gru_trace, trace


def twin_gru(cfg: LSTMConfig, seed: int, dtype=torch.float32) -> GRU:
    """``torch.manual_seed(seed); GRU(...)`` with the LSTM's sizes (GRU has no proj_size), global RNG restored."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GRU(cfg.input_size, cfg.hidden_size, cfg.num_layers, cfg.bias, cfg.batch_first, 0.0,
                   cfg.bidirectional, dtype=dtype).eval()


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@dataclass
class SideBySide:
    lstm_params: dict  # name -> shape
    gru_params: dict
    lstm_count: int
    gru_count: int
    lstm_shapes: dict  # "output" / "h_n" / "c_n" -> shape
    gru_shapes: dict  # "output" / "h_n"
    lstm_trace: object  # lstm_core.Trace (numpy)
    gru_trace: object  # lstm_core.GRUTrace


def side_by_side(model: LSTM, gru: GRU, x) -> SideBySide:
    """Both models on the same input ``x`` (a tensor or PackedSequence in the layout their config expects)."""
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
        tr = trace(model, x)
        gtr = gru_trace(gru, x)
    data = lambda t: t.data if hasattr(t, "batch_sizes") else t  # noqa: E731
    return SideBySide(
        {n: tuple(p.shape) for n, p in model.named_parameters()},
        {n: tuple(p.shape) for n, p in gru.named_parameters()},
        param_count(model), param_count(gru),
        {"output": tuple(data(out).shape), "h_n": tuple(h_n.shape), "c_n": tuple(c_n.shape)},
        {"output": tuple(data(gtr.output).shape), "h_n": tuple(gtr.h_n.shape)}, tr, gtr)


def expected_counts(cfg: LSTMConfig) -> tuple[int, int]:
    """Parameter counts from the formula: per layer and direction G·H·(in + H) (+ 2·G·H biases), G = 4 or 3."""
    def count(gates: int, h_out: int, proj: int) -> int:
        total = 0
        for layer in range(cfg.num_layers):
            width = cfg.input_size if layer == 0 else cfg.num_directions * h_out
            per = gates * cfg.hidden_size * (width + h_out) + (2 * gates * cfg.hidden_size if cfg.bias else 0)
            total += cfg.num_directions * (per + proj * cfg.hidden_size)
        return total
    return count(4, cfg.h_out, cfg.proj_size), count(3, cfg.hidden_size, 0)


# -------------------------------------------------------------------------------------------- training
@dataclass
class Race:
    task: str
    steps: int
    lstm_loss: list
    gru_loss: list
    lstm_quality: float  # on a held-out batch
    gru_quality: float
    lstm_count: int
    gru_count: int


def _predict(task, model, head, data):
    out = model(data.model_input())
    output, h_n = out[0], out[1][0] if isinstance(out[1], tuple) else out[1]  # LSTM (h_n, c_n) / GRU h_n
    pred = head(task.features(output, h_n))
    return pred.squeeze(-1) if task.output_size == 1 else pred


def train_pair(task_name: str = "memory", hidden: int = 8, steps: int = 120, seed: int = 0, batch: int = 32,
               lr: float | None = None) -> Race:
    """The same task, seed, head, optimiser (Adam) and batches for an LSTM and a GRU of the same hidden size."""
    task = make_task(task_name)
    lr = lr or task.default_lr
    results = {}
    for kind in ("lstm", "gru"):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = LSTM(task.input_size, hidden) if kind == "lstm" else GRU(task.input_size, hidden)
            head = nn.Linear(hidden, task.output_size)
        opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=lr)
        losses = []
        for step in range(steps):
            data = task.sample(batch, seed * 100_003 + step)
            loss = task.loss(_predict(task, model, head, data), data.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        held = task.sample(256, seed * 100_003 + 10_000_019)
        with torch.no_grad():
            quality = task.quality(_predict(task, model, head, held), held.y)
        results[kind] = (losses, quality, param_count(model))
    return Race(task_name, steps, results["lstm"][0], results["gru"][0], results["lstm"][1], results["gru"][1],
                results["lstm"][2], results["gru"][2])


# ------------------------------------------------------------------------------------ seed 001's cell
class Seed001Cell(nn.Module):
    """Seed 001's LSTMCell: four ``nn.Linear(input_size + hidden_size, hidden_size)`` on ``cat([x, h])``."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.W_f = nn.Linear(input_size + hidden_size, hidden_size)
        self.W_i = nn.Linear(input_size + hidden_size, hidden_size)
        self.W_C = nn.Linear(input_size + hidden_size, hidden_size)
        self.W_o = nn.Linear(input_size + hidden_size, hidden_size)

    def forward(self, x, state):
        h_prev, c_prev = state
        combined = torch.cat([x, h_prev], dim=1)
        f_t = torch.sigmoid(self.W_f(combined))
        i_t = torch.sigmoid(self.W_i(combined))
        o_t = torch.sigmoid(self.W_o(combined))
        c_tilde = torch.tanh(self.W_C(combined))
        c_t = f_t * c_prev + i_t * c_tilde
        return o_t * torch.tanh(c_t), c_t


SEED_ORDER = {"i": "W_i", "f": "W_f", "g": "W_C", "o": "W_o"}  # torch's gate order -> seed 001's Linear


def seed_to_torch(cell: Seed001Cell) -> dict:
    """A state_dict for ``LSTM(I, H)``: W_ih rows of gate k = W_k[:, :I], W_hh = W_k[:, I:], b_ih = b_k, b_hh = 0."""
    n_in = cell.W_f.in_features - cell.W_f.out_features
    lin = [getattr(cell, SEED_ORDER[g]) for g in LSTM_GATES]
    return {"weight_ih_l0": torch.cat([m.weight[:, :n_in] for m in lin]).detach().clone(),
            "weight_hh_l0": torch.cat([m.weight[:, n_in:] for m in lin]).detach().clone(),
            "bias_ih_l0": torch.cat([m.bias for m in lin]).detach().clone(),
            "bias_hh_l0": torch.zeros(4 * cell.W_f.out_features, dtype=cell.W_f.bias.dtype)}


def torch_to_seed(model: LSTM) -> dict:
    """The other way: W_k = [W_ik | W_hk] (side by side), b_k = b_ik + b_hk — the two biases only ever add up."""
    H = model.hidden_size
    out = {}
    for k, g in enumerate(LSTM_GATES):
        rows = slice(k * H, (k + 1) * H)
        name = SEED_ORDER[g]
        out[f"{name}.weight"] = torch.cat([model.weight_ih_l0[rows], model.weight_hh_l0[rows]], 1).detach().clone()
        out[f"{name}.bias"] = (model.bias_ih_l0[rows] + model.bias_hh_l0[rows]).detach().clone()
    return out


def run_seed_cell(cell: Seed001Cell, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Seed 001's loop over time: x (T, B, I) -> output (T, B, H), h_T, c_T, from zero states."""
    B, H = x.size(1), cell.W_f.out_features
    h = c = x.new_zeros(B, H)
    outs = []
    for t in range(x.size(0)):
        h, c = cell(x[t], (h, c))
        outs.append(h)
    return torch.stack(outs), h, c


@dataclass
class Mapping:
    seed_to_ours: float  # max |seed cell output - our LSTM loaded with the mapped weights|
    seed_to_torch: float  # ... torch.nn.LSTM loaded with them
    torch_to_seed: float  # max |torch.nn.LSTM - a seed cell loaded from its weights|
    shapes: dict  # name -> shape, both sides
    bias_hh_zero: bool


def seed001_mapping(input_size: int = 3, hidden_size: int = 4, seed: int = 0, steps: int = 6) -> Mapping:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cell = Seed001Cell(input_size, hidden_size).double()
        ours = LSTM(input_size, hidden_size, dtype=torch.float64)
        x = torch.randn(steps, 2, input_size, dtype=torch.float64)
        other = LSTM(input_size, hidden_size, dtype=torch.float64)  # fresh torch-style weights, both biases
        back = Seed001Cell(input_size, hidden_size).double()
    with torch.no_grad():
        mapped = seed_to_torch(cell)
        ours.load_state_dict(mapped)
        reference = ours.to_torch()
        seed_out, _, _ = run_seed_cell(cell, x)
        d_ours = float((ours(x)[0] - seed_out).abs().max())
        d_torch = float((reference(x)[0] - seed_out).abs().max())
        back.load_state_dict(torch_to_seed(other))
        d_back = float((other.to_torch()(x)[0] - run_seed_cell(back, x)[0]).abs().max())
    shapes = {k: tuple(v.shape) for k, v in (cell.state_dict() | mapped).items()}
    return Mapping(d_ours, d_torch, d_back, shapes, bool((mapped["bias_hh_l0"] == 0).all()))
