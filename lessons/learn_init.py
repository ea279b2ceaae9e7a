"""Initialisation tips, measured on a Learn task: torch's default initialisation vs orthogonal W_hh, forget bias
0 vs +1 -- the same task and settings, the same seeds, the same number of steps; the verdict comes from the
numbers, whichever way they go.

    specs = plan(settings)                  # 4 variants x N_SEEDS seeds: the settings of each training run
    comp = compare_here(settings)           # all of them trained here (tests, notebooks) ...
    comp = summarize(settings, results)     # ... or from (spec, losses, history) of runs done elsewhere
    v = verdict(comp.variant("orthogonal", 0.0), comp.variant("default", 0.0))
    v.outcome                               # "faster", "slower", "same_speed", "more_solved", ...

Every run is an ordinary Learn run (``lessons.learn.from_settings(spec)``): the page sends each one to the
shared pool of workers, keyed by all its inputs (init included), so a run a learner already trained with the
same settings is not trained again, and thirty learners measuring the same settings train each run once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .jobs import digest
from .learn import Trainer, from_settings, full_settings
from .tasks import make_task

VARIANTS = (("default", 0.0), ("orthogonal", 0.0), ("default", 1.0), ("orthogonal", 1.0))  # (init, forget bias)
N_SEEDS = 3
SAME = 0.10  # two variants within 10% of each other (and within one evaluation interval) count as the same
TAIL = 0.1  # "final loss": the mean loss over the last 10% of the steps


def budget(settings: dict) -> int:
    """Steps per run: the task's stated budget (what the page says a run of the default settings needs)."""
    return make_task(settings["name"], settings["seq_len"]).default_steps


def seeds(settings: dict, n_seeds: int = N_SEEDS) -> tuple[int, ...]:
    return tuple(int(settings["seed"]) + k for k in range(n_seeds))


def plan(settings: dict, n_seeds: int = N_SEEDS) -> list[dict]:
    """The settings of every run: each variant with each seed; the other settings are the learner's."""
    base = full_settings(settings)
    return [{**base, "init": init, "forget_bias": fb, "seed": seed}
            for init, fb in VARIANTS for seed in seeds(settings, n_seeds)]


def compare_key(settings: dict, steps: int, n_seeds: int = N_SEEDS) -> str:
    """Names a comparison by what it depends on: the specs of its runs and their length."""
    return digest("learn-init", plan(settings, n_seeds), int(steps))


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Run:
    init: str
    forget_bias: float
    seed: int
    losses: tuple[float, ...]
    history: tuple[tuple[int, float], ...]  # (step, quality on the fixed evaluation batch)
    solved_at: int | None  # the first evaluation step whose quality reached the task's target; None: not reached


@dataclass(frozen=True)
class Variant:
    init: str
    forget_bias: float
    runs: tuple[Run, ...]

    @property
    def solved(self) -> int:
        return sum(r.solved_at is not None for r in self.runs)

    @property
    def mean_solved_at(self) -> float | None:
        """Mean step at which the runs that reached the target reached it (None if none did)."""
        at = [r.solved_at for r in self.runs if r.solved_at is not None]
        return float(np.mean(at)) if at else None

    @property
    def final_loss(self) -> float:
        """Mean over the seeds of the mean loss over the last ``TAIL`` of the steps."""
        tails = [np.mean(r.losses[-max(1, round(len(r.losses) * TAIL)):]) for r in self.runs]
        return float(np.mean(tails))

    @property
    def final_quality(self) -> float:
        return float(np.mean([r.history[-1][1] for r in self.runs]))

    def mean_loss(self) -> list[float]:
        """The loss at each step, averaged over the seeds."""
        return np.mean([r.losses for r in self.runs], axis=0).tolist()

    def mean_quality(self) -> list[tuple[int, float]]:
        steps = [s for s, _ in self.runs[0].history]
        return [(s, float(np.mean([r.history[k][1] for r in self.runs]))) for k, s in enumerate(steps)]


@dataclass(frozen=True)
class Comparison:
    task: str
    steps: int
    seeds: tuple[int, ...]
    target: float  # the task's target quality
    metric: str  # "r2" or "accuracy"
    eval_every: int
    variants: tuple[Variant, ...]  # in the order of VARIANTS

    def variant(self, init: str, forget_bias: float) -> Variant:
        return next(v for v in self.variants if v.init == init and v.forget_bias == float(forget_bias))


def solved_at(history, target: float) -> int | None:
    return next((int(s) for s, q in history if q >= target), None)


def summarize(settings: dict, results: list[tuple[dict, list, list]], steps: int,
              eval_every: int = Trainer.eval_every) -> Comparison:
    """The comparison from each run's (spec, losses, history)."""
    task = make_task(settings["name"], settings["seq_len"])
    by_spec = {(s["init"], float(s["forget_bias"]), int(s["seed"])): (losses, history)
               for s, losses, history in results}
    the_seeds = tuple(sorted({seed for _, _, seed in by_spec}))
    variants = []
    for init, fb in VARIANTS:
        runs = []
        for seed in the_seeds:
            losses, history = by_spec[(init, fb, seed)]
            history = tuple((int(s), float(q)) for s, q in history)
            runs.append(Run(init, fb, seed, tuple(float(x) for x in losses), history,
                            solved_at(history, task.target_quality)))
        variants.append(Variant(init, fb, tuple(runs)))
    return Comparison(task.name, int(steps), the_seeds, task.target_quality, task.metric, int(eval_every),
                      tuple(variants))


def compare_here(settings: dict, steps: int | None = None, n_seeds: int = N_SEEDS) -> Comparison:
    """Every run of the comparison trained in this process (the pool's runs are bitwise these)."""
    steps = budget(settings) if steps is None else int(steps)
    results = []
    for spec in plan(settings, n_seeds):
        trainer = from_settings(spec)
        trainer.run(steps)
        results.append((spec, trainer.losses, trainer.history))
    return summarize(settings, results, steps)


# --------------------------------------------------------------------------------------------- verdict
@dataclass(frozen=True)
class Verdict:
    """How variant ``a`` (the tip) did against ``b`` (without it). ``outcome``:

    more_solved / fewer_solved  a reached the target on more / fewer seeds than b
    faster / slower / same_speed  as many seeds reached it (at least one): the mean step it took
    lower_loss / higher_loss / same_loss  no seed reached it: the final loss
    """

    outcome: str
    a: Variant
    b: Variant

    @property
    def better(self) -> bool | None:
        """True: the tip helped; False: it hurt; None: no clear difference."""
        return {"more_solved": True, "faster": True, "lower_loss": True, "fewer_solved": False, "slower": False,
                "higher_loss": False}.get(self.outcome)


def _close(x: float, y: float, floor: float = 0.0) -> bool:
    return abs(x - y) <= max(floor, SAME * max(abs(x), abs(y)))


def verdict(a: Variant, b: Variant, eval_every: int = Trainer.eval_every) -> Verdict:
    if a.solved != b.solved:
        return Verdict("more_solved" if a.solved > b.solved else "fewer_solved", a, b)
    if a.solved:
        ta, tb = a.mean_solved_at, b.mean_solved_at
        if _close(ta, tb, floor=eval_every):
            return Verdict("same_speed", a, b)
        return Verdict("faster" if ta < tb else "slower", a, b)
    la, lb = a.final_loss, b.final_loss
    if _close(la, lb):
        return Verdict("same_loss", a, b)
    return Verdict("lower_loss" if la < lb else "higher_loss", a, b)


def verdicts(comp: Comparison, init: str, forget_bias: float) -> tuple[Verdict, Verdict]:
    """Each tip against its absence, the other choice held where the learner set it: (orthogonal vs default
    init at the learner's forget bias, forget bias +1 vs 0 with the learner's init)."""
    fb = float(forget_bias)
    return (verdict(comp.variant("orthogonal", fb), comp.variant("default", fb), comp.eval_every),
            verdict(comp.variant(init, 1.0), comp.variant(init, 0.0), comp.eval_every))


# ------------------------------------------------------------------------- finished comparisons, shared
class Kept:
    """Finished comparisons of this process by ``compare_key`` (the least recently used goes first): the
    pool forgets old runs, a class keeps its comparisons."""

    def __init__(self, maxsize: int = 256):
        self.maxsize = maxsize
        self._items: OrderedDict[str, Comparison] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Comparison | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, value: Comparison) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


KEPT = Kept()
