"""Training and eval mode: dropout between layers, in training mode only."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from ..layout import model_input
from .tools import (
    DTYPE,
    max_abs,
    reference,
)


# ----------------------------------------------------------------------------------------------- dropout
@dataclass(frozen=True)
class DropoutFact:
    """Two runs each in training and eval mode, one layer and several, torch's (and optionally our engine's)."""

    p: float  # the dropout used: the configuration's when in (0, 1), else 0.5
    config: object  # the deep configuration run (at least two layers, dropout p)
    changes_one: dict  # configuration fields changed for the one-layer run
    changes_deep: dict  # ... and for the deep run (empty: the current configuration as it is)
    deep_layers: int
    warning: str | None  # what torch warns for dropout with one layer
    delta_one_train: float  # one layer, training mode, two runs: 0 (nothing to drop)
    delta_one_vs_nodrop: float  # one layer with dropout p vs dropout 0: 0
    delta_train: float  # deep, training mode, two runs: different masks, different outputs
    delta_eval: float  # deep, eval mode, two runs: 0
    delta_eval_vs_nodrop: float  # deep, eval mode, dropout p vs dropout 0: 0
    delta_train_vs_eval: float
    engine_train_diff: float | None = None  # our engine, training mode, two runs
    engine_eval_diff: float | None = None  # our engine, eval mode, two runs (0)
    engine_eval_vs_torch: float | None = None  # our engine's eval output vs torch's

    @property
    def adjusted(self) -> bool:
        """True when the current configuration had no effective dropout and the deep run changed it."""
        return bool(self.changes_deep)


def dropout(cfg, state_dict, x_bm: Tensor, lengths=None, seed: int = 0, engine=None) -> DropoutFact:
    """Dropout acts between layers (none with one layer) and only in training mode. ``engine``: our LSTM
    class, built like ``engine(**config.kwargs(), dtype=...)``, run beside torch on the same weights."""
    p = float(cfg.dropout) if 0 < cfg.dropout < 1 else 0.5

    def out(model, c, train: bool, run: int) -> Tensor:
        model.train(train)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed * 1000 + run)
            y = model(model_input(c, x_bm.to(DTYPE), lengths))[0]
        return y.data if isinstance(y, PackedSequence) else y

    def two_runs(model, c, train: bool) -> tuple[Tensor, Tensor]:
        return out(model, c, train, 1), out(model, c, train, 2)

    def ref(c):
        return reference(c, state_dict, seed)

    one = replace(cfg, num_layers=1, dropout=p)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.LSTM(**one.kwargs())
    warning = next((str(w.message) for w in caught if "dropout" in str(w.message)), None)
    a1, a2 = two_runs(ref(one), one, True)
    one_nodrop = out(ref(replace(one, dropout=0.0)), one, True, 1)
    deep = replace(cfg, num_layers=max(2, cfg.num_layers), dropout=p)
    torch_deep = ref(deep)
    t1, t2 = two_runs(torch_deep, deep, True)
    e1, e2 = two_runs(torch_deep, deep, False)
    e0 = out(ref(replace(deep, dropout=0.0)), deep, False, 1)
    engine_fields = {}
    if engine is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = engine(**deep.kwargs(), dtype=DTYPE)
        ours.load_state_dict(torch_deep.state_dict())
        o1, o2 = two_runs(ours, deep, True)
        engine_fields = {"engine_train_diff": max_abs(o1, o2),
                         "engine_eval_diff": max_abs(*two_runs(ours, deep, False)),
                         "engine_eval_vs_torch": max_abs(out(ours, deep, False, 1), e1)}
    return DropoutFact(
        p=p, config=deep, deep_layers=deep.num_layers, warning=warning,
        changes_one={k: v for k, v in (("num_layers", 1), ("dropout", p)) if getattr(cfg, k) != v},
        changes_deep={k: v for k, v in (("num_layers", deep.num_layers), ("dropout", p)) if getattr(cfg, k) != v},
        delta_one_train=max_abs(a1, a2), delta_one_vs_nodrop=max_abs(a1, one_nodrop),
        delta_train=max_abs(t1, t2), delta_eval=max_abs(e1, e2), delta_eval_vs_nodrop=max_abs(e1, e0),
        delta_train_vs_eval=max_abs(t1, e1), **engine_fields)
