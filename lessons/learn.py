"""Train our engine (``lstm_core.LSTM``) on a toy task: Adam, gradient clipping, seeded, step by step.

    tr = Trainer(make_task("memory"), seed=0)
    tr.run(100)                  # 100 optimiser steps; call again to resume where it stopped
    tr.losses, tr.history        # training loss per step; (step, eval quality) pairs
    before, after = gate_stats(tr.init_model, data), gate_stats(tr.model, data)
    unit = task_unit(tr, data)   # the unit whose cell state tracks the task's target

Reproducible by construction: the model is ``torch.manual_seed(seed); LSTM(...)`` (then, if asked, W_hh made
orthogonal per gate block, ``init="orthogonal"``, and the forget gate's bias raised, ``forget_bias``), the head
is seeded separately, and the batch of step ``k`` is drawn from its own seed ``(seed, k)`` -- so running
3 × 100 steps gives exactly the weights of one run of 300 steps, whatever chunks the page trains in.
``lessons.learn_code`` writes the same run as a plain PyTorch loop (tested bitwise equal).

A class shares its runs (``lessons.jobs``): ``run_key(settings, trainer, n)`` names a run by all its inputs
(settings and the bytes of the trainer's state: weights, head, Adam's moments, step), and ``train_job`` runs it
in a worker process from ``state_bytes(trainer)``; ``load_state(trainer, blob)`` takes the result (or a
partial state) back into a session's trainer::

    blob = jobs.run_here("lessons.learn:train_job", settings, state_bytes(tr), 100, 20)["state"]
    load_state(tr, blob)          # bitwise the weights of tr.run(100)
"""

from __future__ import annotations

import copy
import io
import threading
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from lstm_core.lstm import LSTM
from lstm_core.trace import trace

from .jobs import digest
from .tasks import Task, TaskData, make_task

EVAL_SIZE = 256
SATURATION = 0.1  # a sigmoid gate counts as saturated below 0.1 or above 0.9; tanh when |g| > 0.9


INITS = ("default", "orthogonal")  # torch's uniform ±1/√hidden_size everywhere; or W_hh orthogonal per gate


def _mix(seed: int, step: int) -> int:
    return (int(seed) * 1_000_003 + int(step) * 7919 + 17) % (2**62)


def orthogonal_hh_(lstm: nn.Module) -> nn.Module:
    """W_hh orthogonal, one block per gate, as practitioners initialise it; the other weights keep torch's
    uniform ±1/√hidden_size. Draws from torch's global random generator."""
    with torch.no_grad():
        for name, weight in lstm.named_parameters():
            if name.startswith("weight_hh"):
                for block in weight.chunk(4):  # [W_hi | W_hf | W_hg | W_ho], each (hidden_size, H_out)
                    nn.init.orthogonal_(block)
    return lstm


@dataclass
class Trainer:
    """Mutable training state of one task: model, head, optimiser, curves. Keep it in session state."""

    task: Task
    hidden_size: int | None = None
    seed: int = 0
    lr: float | None = None
    batch_size: int = 32
    clip: float = 1.0
    eval_every: int = 10
    forget_bias: float = 0.0  # added to the forget gate's b_ih at init (Jozefowicz et al. 2015 use 1.0)
    init: str = "default"  # or "orthogonal": W_hh orthogonal per gate block (``orthogonal_hh_``)
    model_factory: object = None  # optional: config -> module (benchmarks pass torch.nn.LSTM)
    losses: list = field(default_factory=list)
    history: list = field(default_factory=list)  # (step, quality on the fixed evaluation batch)
    step: int = 0

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        self.config = self.task.config(self.hidden_size)
        # torch.manual_seed(seed); lstm = LSTM(...); [orthogonal_hh_(lstm)] -- as lessons.learn_code writes it
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            factory = self.model_factory or (lambda config: LSTM(**config.kwargs()))
            self.model = factory(self.config)
            if self.init == "orthogonal":
                orthogonal_hh_(self.model)
        if self.forget_bias and self.config.bias:
            h = self.config.hidden_size
            with torch.no_grad():
                for name, p in self.model.named_parameters():
                    if name.startswith("bias_ih"):
                        p[h:2 * h] += self.forget_bias  # gate order i, f, g, o
        self.init_model = copy.deepcopy(self.model).eval()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + 1)
            self.head = self.task.head(self.config)
        self.init_head = copy.deepcopy(self.head)
        self.lr = self.lr or self.task.default_lr
        self.params = list(self.model.parameters()) + list(self.head.parameters())
        self.optimizer = torch.optim.Adam(self.params, lr=self.lr)
        self.eval_data = self.task.sample(EVAL_SIZE, seed=_mix(self.seed, -1))
        # Held while training and while reading the state: a UI may start a new run (reading) before the
        # previous one (training) reached a point where it can be stopped.
        self.lock = threading.RLock()
        if not self.history:
            self.history.append((0, self.evaluate()))

    def batch(self, step: int) -> TaskData:
        return self.task.sample(self.batch_size, seed=_mix(self.seed, step))

    def train_step(self) -> float:
        data = self.batch(self.step)
        self.model.train()
        pred = self.task.predict(self.model, self.head, data)
        loss = self.task.loss(pred, data.y)
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.params, self.clip)
        self.optimizer.step()
        self.step += 1
        value = float(loss.detach())
        self.losses.append(value)
        if self.step % self.eval_every == 0:
            self.history.append((self.step, self.evaluate()))
        return value

    def run(self, n_steps: int) -> list[float]:
        """Train ``n_steps`` more steps; returns their losses (also appended to ``self.losses``)."""
        with self.lock:
            return [self.train_step() for _ in range(int(n_steps))]

    @torch.no_grad()
    def evaluate(self, data: TaskData | None = None) -> float:
        data = data or self.eval_data
        self.model.eval()
        return self.task.quality(self.task.predict(self.model, self.head, data), data.y)

    def trained_model(self):
        """A detached copy of the current LSTM in eval mode (what the rest of the app shows)."""
        return copy.deepcopy(self.model).eval()

    def state(self) -> dict:
        """Everything the next step depends on besides the settings: weights, head, Adam, step, curves."""
        with self.lock:
            return {"model": self.model.state_dict(), "head": self.head.state_dict(),
                    "optimizer": self.optimizer.state_dict(), "step": self.step, "losses": list(self.losses),
                    "history": list(self.history)}


# ------------------------------------------------------------------------------------ shared training runs
SETTINGS = ("name", "seq_len", "hidden", "seed", "lr", "forget_bias", "init")  # what the Learn page sets
SETTING_DEFAULTS = {"init": "default"}  # a settings dict without it means torch's default initialisation


def full_settings(settings: dict) -> dict:
    """Exactly the ``SETTINGS`` keys, defaults filled in: the settings' one canonical form (digests use it)."""
    merged = {**SETTING_DEFAULTS, **settings}
    return {k: merged[k] for k in SETTINGS}


def from_settings(settings: dict) -> Trainer:
    """The trainer of the Learn page's settings (``SETTINGS``), at step 0."""
    s = full_settings(settings)
    return Trainer(make_task(s["name"], s["seq_len"]), hidden_size=s["hidden"], seed=s["seed"], lr=s["lr"],
                   forget_bias=s["forget_bias"], init=s["init"])


def state_bytes(trainer: Trainer) -> bytes:
    buf = io.BytesIO()
    torch.save(trainer.state(), buf)
    return buf.getvalue()


def load_state(trainer: Trainer, blob: bytes) -> None:
    """Put a state from ``state_bytes`` (the same settings) into ``trainer``: it resumes exactly there."""
    state = torch.load(io.BytesIO(blob), weights_only=True)
    with trainer.lock:
        trainer.model.load_state_dict(state["model"])
        trainer.head.load_state_dict(state["head"])
        trainer.optimizer.load_state_dict(state["optimizer"])
        trainer.step = int(state["step"])
        trainer.losses[:] = state["losses"]
        trainer.history[:] = [tuple(h) for h in state["history"]]
        trainer.__dict__.pop("_analysis", None)
        trainer.__dict__.pop("state_key", None)  # the caller names the new state, if it can


def curves(blob: bytes) -> tuple[list[float], list[tuple[int, float]]]:
    """The (losses, history) held in a state from ``state_bytes``, without building a trainer."""
    state = torch.load(io.BytesIO(blob), weights_only=True)
    return list(state["losses"]), [tuple(h) for h in state["history"]]


def run_key(settings: dict, trainer: Trainer, n_steps: int) -> str:
    """The digest of every input of ``n_steps`` more steps: settings, and the trainer's whole state."""
    return digest("learn", full_settings(settings), int(n_steps), trainer.batch_size, trainer.clip,
                  trainer.eval_every, trainer.state())


def warm() -> None:
    """A worker's first run loads what training needs (the engine, the optimiser), before a learner waits."""
    from_settings(dict(name="memory", seq_len=None, hidden=2, seed=0, lr=None, forget_bias=0.0,
                       init="orthogonal")).run(1)


def train_job(progress, settings: dict, start: bytes, n_steps: int, chunks: int = 20) -> dict:
    """A worker's run: ``n_steps`` from the state ``start``, in ``chunks`` reports of (losses, history) and the
    state so far; stops early when cancelled. Returns the final state and its analysis (computed once, here,
    for every learner who follows the run)."""
    trainer = from_settings(settings)
    load_state(trainer, start)
    first, end = trainer.step, trainer.step + int(n_steps)
    chunk = max(1, int(n_steps) // max(1, chunks))
    while trainer.step < end and not progress.cancelled():
        seen = len(trainer.history)
        losses = trainer.run(min(chunk, end - trainer.step))
        progress.report(trainer.step - first, (losses, trainer.history[seen:]), state_bytes(trainer))
    if trainer.step < end:  # cancelled: nobody reads the result
        return {"state": state_bytes(trainer), "analysis": None}
    data = trainer.eval_data
    analysis = (trainer.step, gate_stats(trainer.init_model, data), gate_stats(trainer.model, data),
                task_unit(trainer, data))
    return {"state": state_bytes(trainer), "analysis": analysis}


# ---------------------------------------------------------------------------------------- interpretation
def _traced(model, data: TaskData):
    return trace(model, data.model_input())


def gate_stats(model, data: TaskData, layer: int = 0, direction: int = 0) -> dict:
    """Mean gate values and saturation fractions over every real step, sequence and unit."""
    lt = _traced(model, data)[layer, direction]
    out = {}
    for gate in ("i", "f", "o"):
        v = getattr(lt, gate).detach().double().numpy()
        v = v[~np.isnan(v)]
        out[f"mean_{gate}"] = float(v.mean())
        out[f"sat_{gate}"] = float(np.mean((v < SATURATION) | (v > 1 - SATURATION)))
        out[f"low_{gate}"] = float(np.mean(v < SATURATION))
        out[f"high_{gate}"] = float(np.mean(v > 1 - SATURATION))
    g = lt.g.detach().double().numpy()
    g = g[~np.isnan(g)]
    out["mean_abs_g"] = float(np.abs(g).mean())
    out["sat_g"] = float(np.mean(np.abs(g) > 1 - SATURATION))
    return out


@dataclass(frozen=True)
class UnitReport:
    unit: int
    corr: float  # correlation of the unit's cell state with the task's target
    mean_f_before: float
    mean_f_after: float
    drift_before: float  # mean |c_t - c_{t-1}| over steps after the first, relative to the spread of c_T
    drift_after: float
    c_example: list  # c_t of that unit for the first evaluation sequence (trained model)
    c_example_before: list  # same sequence, same unit, initial weights
    f_example: list  # f_t of that unit, trained / initial
    f_example_before: list
    f_turn: float | None = None  # sentiment: the unit's mean f on contrast words (but, 但) ...
    f_other: float | None = None  # ... and on every other real token
    i_marked: float | None = None  # memory/adding: the unit's mean input gate on marked steps ...
    i_unmarked: float | None = None  # ... and on the others


def _last_real(values: np.ndarray, lengths) -> np.ndarray:
    """(T, B, H) -> (B, H): each sequence's value at its last real step."""
    if lengths is None:
        return values[-1]
    idx = np.asarray(lengths) - 1
    return values[idx, np.arange(values.shape[1])]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def _drift(c: np.ndarray, lengths, unit: int) -> float:
    cu = c[:, :, unit]
    spread = np.nanstd(_last_real(c, lengths)[:, unit]) + 1e-8
    return float(np.nanmean(np.abs(np.diff(cu[1:], axis=0))) / spread) if cu.shape[0] > 2 else 0.0


def task_unit(trainer: Trainer, data: TaskData | None = None) -> UnitReport:
    """The unit (layer 0) whose cell state tracks the task's target most closely in the trained model.

    Final-state tasks: |corr(c_T[:, j], target)| over sequences; forecasting: |corr(c_t[:, :, j], target_t)|
    over every step. For the memory task this is the memory unit: high f, c_t held flat after t = 0.
    """
    data = data or trainer.eval_data
    after = _traced(trainer.model, data)[0, 0]
    before = _traced(trainer.init_model, data)[0, 0]
    c = after.c.detach().double().numpy()  # (T, B, H)
    target = trainer.task.target_series(data).double().numpy()
    if trainer.task.per_step:
        scores = [abs(_corr(c[:, :, j].T.reshape(-1), target.reshape(-1))) for j in range(c.shape[2])]
    else:
        last = _last_real(c, data.lengths)
        scores = [abs(_corr(last[:, j], target)) for j in range(c.shape[2])]
    unit = int(np.argmax(scores))
    f_a = after.f[1:, :, unit].detach().double().numpy()
    f_b = before.f[1:, :, unit].detach().double().numpy()
    c_b = before.c.detach().double().numpy()
    n0 = data.lengths[0] if data.lengths else c.shape[0]
    f_turn = f_other = None
    turn_words = getattr(trainer.task, "turn_tokens", ())
    if data.tokens and turn_words:
        f_all = after.f[:, :, unit].detach().double().numpy()  # (T, B)
        is_turn = [(t, b, tok in turn_words) for b, toks in enumerate(data.tokens) for t, tok in enumerate(toks)]
        on = [f_all[t, b] for t, b, flag in is_turn if flag]
        off = [f_all[t, b] for t, b, flag in is_turn if not flag]
        if on and off:
            f_turn, f_other = float(np.mean(on)), float(np.mean(off))
    i_marked = i_unmarked = None
    channel = getattr(trainer.task, "marker_channel", None)
    if channel is not None:
        marked = data.x[:, :, channel].T.numpy() > 0.5  # (T, B)
        i_unit = after.i[:, :, unit].detach().double().numpy()
        i_marked, i_unmarked = float(i_unit[marked].mean()), float(i_unit[~marked].mean())
    return UnitReport(unit=unit, corr=float(scores[unit]), mean_f_before=float(np.nanmean(f_b)),
                      mean_f_after=float(np.nanmean(f_a)), drift_before=_drift(c_b, data.lengths, unit),
                      drift_after=_drift(c, data.lengths, unit), c_example=c[:n0, 0, unit].tolist(),
                      c_example_before=c_b[:n0, 0, unit].tolist(),
                      f_example=after.f[:n0, 0, unit].double().tolist(),
                      f_example_before=before.f[:n0, 0, unit].double().tolist(), f_turn=f_turn, f_other=f_other,
                      i_marked=i_marked, i_unmarked=i_unmarked)
