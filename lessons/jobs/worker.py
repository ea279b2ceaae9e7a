"""What runs inside a worker process: its start-up, the progress handle a job function gets, and the calls the
pool submits."""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
SLOTS = 1024  # cancel flags, indexed by job id modulo SLOTS (far more than runs in progress at once)
# Workers yield the CPU to the server's interactive reruns: the scheduler's idle class (Linux; elsewhere nice 19)
# runs them only on CPU time nobody else wants, so a click never waits for training and training still takes
# every idle cycle. LSTM_EXPLORER_WORKER_PRIORITY=n (a nice value, e.g. 5) gives them a share of a busy machine.
WORKER_PRIORITY = "idle"
PRIORITY_ENV = "LSTM_EXPLORER_WORKER_PRIORITY"


# ------------------------------------------------------------------------------------ inside a worker
_REPORTS = None  # the progress queue and the cancel flags, handed to each worker at start
_CANCEL = None


def _worker_init(reports, cancel) -> None:
    global _REPORTS, _CANCEL
    _REPORTS, _CANCEL = reports, cancel
    torch.set_num_threads(1)  # the same single-threaded arithmetic as the server: bitwise-equal results


_LOWERED: str | None = None  # the priority this worker took at its first run (its warm-up ran at normal priority)


def _yield_cpu() -> None:
    global _LOWERED
    if _LOWERED is None:
        _LOWERED = lower_priority(os.environ.get(PRIORITY_ENV) or WORKER_PRIORITY)


def lower_priority(how: str) -> str:
    """Give this process's CPU to the server's interactive reruns: "idle" is the scheduler's idle class (it runs
    only when no normal task wants the core), a number is a nice value. Returns what was applied."""
    if how == "idle" and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:
            how = "19"
    if hasattr(os, "nice"):
        nice = 19 if how == "idle" else int(how)
        os.nice(nice)
        return f"nice {nice}"
    return "none"


@dataclass
class Progress:
    """What a job function gets as its first argument."""

    job_id: int
    reports: object = None  # a multiprocessing queue; None: nobody listens (a direct call)
    cancel: object = None  # shared array of cancel flags

    def report(self, done: int, partial=None, snapshot: bytes | None = None) -> None:
        if self.reports is not None:
            self.reports.put((self.job_id, done, partial, snapshot))

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel[self.job_id % SLOTS] == self.job_id


def _resolve(name: str) -> Callable:
    module, func = name.split(":")
    return getattr(importlib.import_module(module), func)


def _run_in_worker(job_id: int, fn: str, args: tuple):
    _yield_cpu()  # runs yield to the server; the warm-up (imports, a tiny run) did not, so it ends in seconds
    _REPORTS.put((job_id, "start", time.time(), None))
    return _resolve(fn)(Progress(job_id, _REPORTS, _CANCEL), *args)


def _warm(modules: tuple[str, ...]) -> int:
    """Import each module and call its ``warm()`` if it has one (a first tiny run loads the engine)."""
    for name in modules:
        module = importlib.import_module(name)
        if hasattr(module, "warm"):
            module.warm()
    return os.getpid()


def scheduling(progress=None) -> tuple[str, int, int]:
    """This process's scheduling class ("idle" or "normal"), nice value and torch threads (a job function: what a
    worker runs with)."""
    idle = hasattr(os, "sched_getscheduler") and hasattr(os, "SCHED_IDLE") and \
        os.sched_getscheduler(0) == os.SCHED_IDLE
    return ("idle" if idle else "normal"), (os.nice(0) if hasattr(os, "nice") else 0), torch.get_num_threads()


def run_here(fn: str, *args):
    """Run a job function in this process (no pool, no progress): the reference the pool must equal."""
    return _resolve(fn)(Progress(-1), *args)
