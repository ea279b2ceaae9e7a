"""The server side: the registry of runs keyed by digest and the worker processes that execute them."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import sys
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field

from .worker import CANCELLED, DONE, FAILED, QUEUED, RUNNING, SLOTS, _run_in_worker, _warm, _worker_init

DEFAULT_SECONDS_PER_STEP = 0.01  # until a run of the same kind was measured
MONITOR_EVERY_S = 1.0  # how often closed sessions are looked for
KEEP_RESULTS = 64  # finished runs kept for reuse (the oldest goes first) ...
KEEP_BYTES = 96 * 2**20  # ... and at most this many bytes of their states


# ------------------------------------------------------------------------------------- in the server
@dataclass
class Job:
    id: int
    key: str
    fn: str
    args: tuple
    steps: int  # the run's length, for progress and estimates
    kind: str  # runs of one kind take about the same time per step
    state: str = QUEUED
    done: int = 0  # steps finished so far
    partial: list = field(default_factory=list)  # what the worker reported with each chunk, in order
    snapshot: bytes | None = None  # the latest state reported (what a learner who stops keeps)
    result: object = None
    error: str | None = None
    waiters: dict = field(default_factory=dict)  # token -> alive() callable
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    size: int = 0  # bytes of the kept result


@dataclass(frozen=True)
class Ticket:
    """One learner following one run."""

    key: str
    job_id: int
    token: int


@dataclass(frozen=True)
class Status:
    state: str
    place: int | None  # 1 = next to start (queued only)
    eta: float | None  # seconds until the result, estimated (queued and running)
    done: int
    steps: int
    partial: list
    result: object
    error: str | None
    waiters: int
    starts_in: float | None = None  # seconds until a queued run is expected to start (queued only)


def _result_bytes(result) -> int:
    if isinstance(result, bytes | bytearray):
        return len(result)
    if isinstance(result, dict):
        return sum(_result_bytes(v) for v in result.values())
    if isinstance(result, list | tuple):
        return sum(_result_bytes(v) for v in result)
    return 64


class Pool:
    """A registry of runs keyed by digest, and the worker processes that execute them.

    Thread-safe: sessions' script threads call join/status/leave; a listener thread takes the workers'
    reports; a monitor thread drops waiters whose session ended."""

    def __init__(self, workers: int | None = None, *, context: str = "spawn", warm: tuple[str, ...] = (),
                 monitor_every: float = MONITOR_EVERY_S, keep: int = KEEP_RESULTS, keep_bytes: int = KEEP_BYTES):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._ctx = mp.get_context(context)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # notified on every report, start and end of a run
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        self._active: dict[str, Job] = {}  # key -> queued or running job
        self._by_id: dict[int, Job] = {}
        self._pending: list[Job] = []  # queued, in order
        self._running: dict[int, Job] = {}
        self._done: OrderedDict[str, Job] = OrderedDict()  # finished runs kept for reuse
        self._done_bytes = 0
        self._keep, self._keep_bytes = keep, keep_bytes
        self._rates: dict[str, float] = {}  # kind -> seconds per step, measured
        self._warm = warm
        self._executor = None
        self._reports = self._ctx.Queue()
        self._cancel = self._ctx.Array("q", [0] * SLOTS, lock=False)
        self._closed = threading.Event()
        self.runs_started = 0  # runs submitted to a worker (tests: identical work is done once)
        threading.Thread(target=self._listen, name="jobs-listener", daemon=True).start()
        self._monitor_every = monitor_every
        threading.Thread(target=self._monitor, name="jobs-monitor", daemon=True).start()

    # -- the learner's side ----------------------------------------------------------------------------
    def join(self, key: str, fn: str, args: tuple, *, steps: int, kind: str = "",
             alive: Callable[[], bool] | None = None) -> Ticket:
        """Follow the run with this key: the finished one, the one in progress, or a new one (queued)."""
        with self._lock:
            token = next(self._tokens)
            job = self._done.get(key)
            if job is not None:
                self._done.move_to_end(key)
                return Ticket(key, job.id, token)
            job = self._active.get(key)
            if job is None:
                job = Job(next(self._ids), key, fn, tuple(args), int(steps), kind)
                self._active[key] = job
                self._by_id[job.id] = job
                self._pending.append(job)
            job.waiters[token] = alive or (lambda: True)
            self._dispatch()
            return Ticket(key, job.id, token)

    def status(self, ticket: Ticket) -> Status:
        with self._lock:
            job = self._by_id.get(ticket.job_id)
            if job is None:
                return Status(CANCELLED, None, None, 0, 0, [], None, "unknown run", 0)
            place = eta = starts_in = None
            if job.state == QUEUED:
                place = self._pending.index(job) + 1
                eta = self._eta(job)
                starts_in = max(0.0, eta - self._remaining(job))
            elif job.state == RUNNING:
                eta = self._remaining(job)
            return Status(job.state, place, eta, job.done, job.steps, list(job.partial), job.result, job.error,
                          len(job.waiters), starts_in)

    def leave(self, ticket: Ticket) -> bytes | None:
        """Stop following: returns the run's latest state (all of it when finished). The run is cancelled when
        no learner follows it any more; while others do, it goes on for them."""
        with self._lock:
            job = self._by_id.get(ticket.job_id)
            if job is None:
                return None
            job.waiters.pop(ticket.token, None)
            if job.state in (QUEUED, RUNNING) and not job.waiters:
                self._cancel_job(job)
            return job.snapshot

    def wait(self, ticket: Ticket, timeout: float | None = None) -> Status:
        """Block until the run ends (tests, benchmarks); returns its status."""
        return self.wait_for(ticket, lambda st: st.state not in (QUEUED, RUNNING), timeout)

    def wait_for(self, ticket: Ticket, condition: Callable[[Status], bool], timeout: float | None = None) -> Status:
        """Block until ``condition(status)`` holds or ``timeout`` seconds pass; returns the last status."""
        with self._changed:
            self._changed.wait_for(lambda: condition(self.status(ticket)), timeout)
            return self.status(ticket)

    def position(self, ticket: Ticket) -> tuple[str, int | None]:
        st = self.status(ticket)
        return st.state, st.place

    def stats(self) -> dict:
        with self._lock:
            return {"queued": len(self._pending), "running": len(self._running), "kept": len(self._done),
                    "kept_bytes": self._done_bytes, "started": self.runs_started, "workers": self.workers}

    def warm_up(self) -> None:
        """Start the worker processes now (each imports torch and the job modules: seconds, paid once)."""
        with self._lock:
            futures = [self._submit(_warm, self._warm) for _ in range(self.workers)]
        for f in futures:
            f.result()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for job in list(self._pending) + list(self._running.values()):
                self._cancel_job(job)
            executor, self._executor = self._executor, None
        if executor is not None:  # outside the lock: the executor's thread takes it to finish the last runs
            executor.shutdown(wait=True, cancel_futures=True)
        self._reports.put(None)

    # -- scheduling ------------------------------------------------------------------------------------
    @contextmanager
    def _plain_main(self):
        """While a worker process may be started: a ``__main__`` without a file. A spawned process re-runs the
        parent's main script first, and under Streamlit that is the app (which must not run in a worker)."""
        main = sys.modules.get("__main__")
        if self._ctx.get_start_method() == "fork" or not getattr(main, "__file__", None):
            yield
            return
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main

    def _submit(self, fn, *args):
        with self._plain_main():  # the executor starts its processes inside submit()
            return self._get_executor().submit(fn, *args)

    def _get_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=self._ctx, initializer=_worker_init,
                                                 initargs=(self._reports, self._cancel))
        return self._executor

    def _dispatch(self) -> None:
        """Start queued runs while a worker is free (we keep the queue, not the executor: place and cancel
        stay exact)."""
        while self._pending and len(self._running) < self.workers and not self._closed.is_set():
            job = self._pending.pop(0)
            job.state, job.started_at = RUNNING, time.monotonic()
            self._running[job.id] = job
            self._cancel[job.id % SLOTS] = 0
            self.runs_started += 1
            try:
                future = self._submit(_run_in_worker, job.id, job.fn, job.args)
            except (BrokenProcessPool, RuntimeError) as err:
                self._executor = None
                self._finish(job, error=f"{type(err).__name__}: {err}")
                continue
            future.add_done_callback(lambda f, job=job: self._done_callback(job, f))

    def _done_callback(self, job: Job, future) -> None:
        try:
            result = future.result()
        except BrokenProcessPool as err:  # a worker died (killed, out of memory): the next run gets a new pool
            with self._lock:
                self._executor = None
            self._finish(job, error=f"{type(err).__name__}: {err}")
        except Exception as err:
            self._finish(job, error=f"{type(err).__name__}: {err}")
        else:
            self._finish(job, result=result)

    def _finish(self, job: Job, result=None, error: str | None = None) -> None:
        with self._lock:
            self._running.pop(job.id, None)
            self._active.pop(job.key, None)
            job.finished_at = time.monotonic()
            if job.state == CANCELLED:
                pass
            elif error is not None:
                job.state, job.error = FAILED, error
            else:
                job.state, job.result, job.done = DONE, result, job.steps
                job.snapshot = None  # the result holds the whole state
                if job.started_at is not None and job.steps:
                    self._rates[job.kind] = (job.finished_at - job.started_at) / job.steps
                self._keep_result(job)
            job.finished.set()
            self._forget_if_unfollowed(job)
            self._dispatch()
            self._changed.notify_all()

    def _keep_result(self, job: Job) -> None:
        job.size = _result_bytes(job.result)
        old = self._done.pop(job.key, None)
        if old is not None:
            self._done_bytes -= old.size
        self._done[job.key] = job
        self._done_bytes += job.size
        while self._done and (len(self._done) > self._keep or self._done_bytes > self._keep_bytes):
            _, gone = self._done.popitem(last=False)
            self._done_bytes -= gone.size
            self._forget_if_unfollowed(gone)

    def _forget_if_unfollowed(self, job: Job) -> None:
        """A finished job stays reachable by id while a ticket may still read it; dropped from the cache and
        unfollowed, it goes (its ticket then reads as cancelled)."""
        if job.finished.is_set() and self._done.get(job.key) is not job and not job.waiters:
            self._by_id.pop(job.id, None)

    def _cancel_job(self, job: Job) -> None:
        if job.state == QUEUED:
            self._pending.remove(job)
            self._active.pop(job.key, None)
            job.state = CANCELLED
            job.finished_at = time.monotonic()
            job.finished.set()
            self._forget_if_unfollowed(job)
        elif job.state == RUNNING:
            self._cancel[job.id % SLOTS] = job.id  # the worker stops at its next chunk; _finish drops the result
            self._active.pop(job.key, None)  # a new learner with this key starts afresh
            job.state = CANCELLED
        self._changed.notify_all()

    # -- estimates -------------------------------------------------------------------------------------
    def _rate(self, job: Job) -> float:
        if job.state == RUNNING and job.done and job.started_at is not None:
            return (time.monotonic() - job.started_at) / job.done
        if job.kind in self._rates:
            return self._rates[job.kind]
        return sum(self._rates.values()) / len(self._rates) if self._rates else DEFAULT_SECONDS_PER_STEP

    def _remaining(self, job: Job) -> float:
        rate = self._rate(job)
        if job.started_at is None:
            return rate * job.steps
        return max(0.0, rate * job.steps - (time.monotonic() - job.started_at))

    def _eta(self, job: Job) -> float:
        """Seconds until a queued run's result: the workers free up in order, the runs ahead take theirs."""
        free = sorted(self._remaining(j) for j in self._running.values())
        free += [0.0] * (self.workers - len(free))
        for ahead in self._pending:
            start = free.pop(0)
            end = start + self._remaining(ahead)
            if ahead is job:
                return end
            free = sorted([*free, end])
        return self._remaining(job)

    # -- threads ---------------------------------------------------------------------------------------
    def _listen(self) -> None:
        while True:
            msg = self._reports.get()
            if msg is None:
                return
            job_id, done, partial, snapshot = msg
            with self._lock:
                job = self._by_id.get(job_id)
                if job is None or job.finished.is_set():
                    continue
                if done == "start":  # the worker picked it up (the time before was the pool's start-up)
                    job.started_at = time.monotonic()
                    self._changed.notify_all()
                    continue
                job.done = int(done)
                if partial is not None:
                    job.partial.append(partial)
                if snapshot is not None:
                    job.snapshot = snapshot
                self._changed.notify_all()

    def _monitor(self) -> None:
        while not self._closed.wait(self._monitor_every):
            self.reap()

    def reap(self) -> int:
        """Drop the waiters whose session ended; cancel the runs nobody waits for. Returns runs cancelled."""
        with self._lock:
            jobs = list(self._pending) + list(self._running.values())
            waiters = [(job, token, alive) for job in jobs for token, alive in list(job.waiters.items())]
        gone = []
        for job, token, alive in waiters:  # outside the lock: alive() may ask Streamlit's runtime
            try:
                ok = bool(alive())
            except Exception:
                ok = False
            if not ok:
                gone.append((job, token))
        cancelled = 0
        with self._lock:
            for job, token in gone:
                job.waiters.pop(token, None)
                if job.state in (QUEUED, RUNNING) and not job.waiters:
                    self._cancel_job(job)
                    cancelled += 1
        return cancelled
