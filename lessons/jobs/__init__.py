"""Training jobs shared by every session of one server process: identical work is done once, different work
runs in a small pool of worker processes, off the threads that answer clicks.

    pool = jobs.shared()                                    # one per process, sized to the cores
    key = jobs.digest("learn", settings, n_steps, trainer_state)   # ALL the inputs of the run
    ticket = pool.join(key, "lessons.learn:train_job", args, steps=n_steps, alive=session_is_open)
    st = pool.status(ticket)        # queued (place, eta) / running (done, partial) / done (result) / failed
    pool.leave(ticket)              # Stop: this learner stops following; the run is cancelled if nobody else does

A run is keyed by a digest of everything it depends on (task and settings, seed, steps, learning rate, the
starting weights' and optimiser's bytes): the same key is the same result, bit for bit, because training is
seeded and runs on one torch thread in every process. A second ``join`` with the same key follows the run in
progress (same progress, same result), a finished one is handed over at once from a bounded cache, and a
different key is a different run: never shared.

The job function runs in a worker process (``spawn``: no state inherited from the server, on every OS) as
``fn(progress, *args)``; it calls ``progress.report(done, partial, snapshot)`` between chunks (the steps done,
what the page draws meanwhile, and the state so far, which a learner who stops keeps) and stops early when
``progress.cancelled()``. Waiters give an ``alive()`` callable (their session is still open); a monitor thread
drops the waiters whose session ended and cancels a run nobody waits for any more. A worker trains in the
scheduler's idle class (``worker.WORKER_PRIORITY``; ``LSTM_EXPLORER_WORKER_PRIORITY=n`` for a nice value): the
server's clicks never wait for training. ``Status.starts_in`` says when a queued run should start, so a page can
look at it then instead of every half second. Nothing here imports streamlit.
"""

from __future__ import annotations

import os
import threading

from .memo import Memo, digest
from .pool import Job, Pool, Status, Ticket
from .worker import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Progress, run_here

__all__ = [
    "CANCELLED", "DONE", "FAILED", "MAX_WORKERS", "QUEUED", "RUNNING", "Job", "Memo", "Pool", "Progress", "Status",
    "Ticket", "default_workers", "digest", "run_here", "shared",
]

# the server process's pool and its size (here, not in .pool: tests set ``jobs._SHARED`` and ``jobs._cgroup_cpus``)
_SHARED: Pool | None = None
_SHARED_LOCK = threading.Lock()


MAX_WORKERS = 4  # each worker holds its own torch (~0.1 GB): more cores than this serve more replicas instead


def _cgroup_cpus(path: str = "/sys/fs/cgroup/cpu.max") -> int | None:
    """The container's CPU limit (cgroup v2 ``cpu.max``: "quota period", or "max"), rounded down; None if none."""
    try:
        quota, period = open(path).read().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else max(1, int(quota) // int(period))


def default_workers() -> int:
    """``LSTM_EXPLORER_WORKERS`` if set, else the cores this process may use (its CPU set and its container's CPU
    limit), at most ``MAX_WORKERS``."""
    if os.environ.get("LSTM_EXPLORER_WORKERS"):
        return max(1, int(os.environ["LSTM_EXPLORER_WORKERS"]))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, _cgroup_cpus() or cores, MAX_WORKERS))


def shared(warm: tuple[str, ...] = ("lessons.learn", "lessons.sentiment")) -> Pool:
    """The server process's pool (created at first use, one worker per core: ``default_workers``)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = Pool(default_workers(), warm=warm)
            # the workers import torch and the job modules now, not when the first learner presses Train
            threading.Thread(target=_SHARED.warm_up, name="jobs-warm-up", daemon=True).start()
        return _SHARED
