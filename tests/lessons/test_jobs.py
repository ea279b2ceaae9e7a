"""Shared training runs (lessons.jobs) with real worker processes: the same inputs give bitwise-equal weights and
run once, different inputs never share, a queued run whose session ended is cancelled, and a learner who stops a
shared run stops only their own view unless nobody else follows it."""

from __future__ import annotations

import pytest
import torch

from lessons import jobs
from lessons.learn import from_settings, load_state, run_key, state_bytes

SETTINGS = dict(name="memory", seq_len=8, hidden=8, seed=0, lr=0.03, forget_bias=0.0)
JOB = "lessons.learn:train_job"
WAIT = 120  # seconds: a deadline on a condition, never a pause


@pytest.fixture(scope="module")
def pool():
    p = jobs.Pool(1, warm=("lessons.learn",), monitor_every=3600)  # reap() is called by the tests themselves
    p.warm_up()
    yield p
    p.close()


def submit(pool, settings, n, alive=None, chunks=5):
    tr = from_settings(settings)
    return pool.join(run_key(settings, tr, n), JOB, (settings, state_bytes(tr), n, chunks), steps=n,
                     kind=settings["name"], alive=alive)


def weights(tr) -> dict:
    return {k: v.clone() for k, v in tr.model.state_dict().items()} | {
        "head." + k: v.clone() for k, v in tr.head.state_dict().items()}


def assert_bitwise(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def trained_here(settings, n) -> object:
    tr = from_settings(settings)
    tr.run(n)
    return tr


def test_the_digest_sees_every_input_and_exact_bits():
    tr = from_settings(SETTINGS)
    key = run_key(SETTINGS, tr, 30)
    assert key == run_key(dict(SETTINGS), from_settings(SETTINGS), 30)  # another session, same inputs
    for change in ({"seed": 1}, {"lr": 0.0300000001}, {"hidden": 9}, {"forget_bias": 1.0}, {"seq_len": 9}):
        other = {**SETTINGS, **change}
        assert run_key(other, from_settings(other), 30) != key, change
    assert run_key(SETTINGS, tr, 31) != key
    with torch.no_grad():  # one weight one ulp away: another starting point, another run
        tr.model.weight_hh_l0[0, 0] = torch.nextafter(tr.model.weight_hh_l0[0, 0], torch.tensor(9.0))
    assert run_key(SETTINGS, tr, 30) != key


def test_a_run_in_a_worker_is_bitwise_the_run_here_and_identical_runs_are_done_once(pool):
    started = pool.stats()["started"]
    first = submit(pool, SETTINGS, 40)
    second = submit(pool, SETTINGS, 40)  # another session, same inputs: joins the run in progress
    assert second.job_id == first.job_id
    a, b = pool.wait(first, WAIT), pool.wait(second, WAIT)
    assert a.state == b.state == jobs.DONE and a.result is b.result
    assert pool.stats()["started"] == started + 1
    third = submit(pool, SETTINGS, 40)  # a finished run is handed over at once
    assert pool.status(third).state == jobs.DONE and pool.stats()["started"] == started + 1

    ref = trained_here(SETTINGS, 40)
    got = from_settings(SETTINGS)
    load_state(got, a.result["state"])
    assert_bitwise(weights(got), weights(ref))  # same inputs, another process: the same bits
    assert got.losses == ref.losses and got.history == ref.history and got.step == 40
    # what the page drew meanwhile: every chunk's losses, in order, are the run's losses
    assert [x for losses, _ in a.partial for x in losses] == ref.losses
    # the analysis came with the result, computed once for every learner
    step, _, after, unit = a.result["analysis"]
    assert step == 40 and unit.unit == pytest.approx(unit.unit)
    from lessons.learn import gate_stats
    assert after == gate_stats(ref.model, ref.eval_data)


def test_a_different_seed_is_another_run(pool):
    started = pool.stats()["started"]
    other = {**SETTINGS, "seed": 5}
    a, b = submit(pool, SETTINGS, 20), submit(pool, other, 20)
    assert a.job_id != b.job_id
    sa, sb = pool.wait(a, WAIT), pool.wait(b, WAIT)
    assert pool.stats()["started"] == started + 2
    ta, tb = from_settings(SETTINGS), from_settings(other)
    load_state(ta, sa.result["state"])
    load_state(tb, sb.result["state"])
    assert_bitwise(weights(tb), weights(trained_here(other, 20)))
    assert not torch.equal(ta.model.weight_hh_l0, tb.model.weight_hh_l0)


def test_a_queued_run_is_cancelled_when_its_session_ends_and_the_queue_says_place_and_time(pool):
    started = pool.stats()["started"]
    long = {**SETTINGS, "seed": 11}
    blocker = submit(pool, long, 2000, chunks=200)  # the one worker is busy with it
    pool.wait_for(blocker, lambda s: s.state == jobs.RUNNING, WAIT)
    open_tab = {"alive": True}
    queued = submit(pool, {**SETTINGS, "seed": 12}, 30, alive=lambda: open_tab["alive"])
    behind = submit(pool, {**SETTINGS, "seed": 13}, 30)
    q, b = pool.status(queued), pool.status(behind)
    assert (q.state, q.place, b.place) == (jobs.QUEUED, 1, 2)
    assert 0 < q.eta < b.eta  # the second in line waits for the first too

    assert pool.reap() == 0  # every session still open
    open_tab["alive"] = False  # the tab was closed
    assert pool.reap() == 1
    assert pool.status(queued).state == jobs.CANCELLED
    assert pool.status(behind).place == 1  # moved up
    pool.leave(behind)
    assert pool.status(behind).state == jobs.CANCELLED
    pool.leave(blocker)
    pool.wait(blocker, WAIT)
    assert pool.stats()["started"] == started + 1  # neither queued run ever started


def test_stop_during_a_shared_run_stops_only_that_learner_unless_it_is_the_last(pool):
    shared = {**SETTINGS, "seed": 21}
    n = 1500
    a, b = submit(pool, shared, n, chunks=150), submit(pool, shared, n, chunks=150)
    st = pool.wait_for(a, lambda s: s.done > 0, WAIT)
    assert st.state == jobs.RUNNING and st.waiters == 2
    snapshot = pool.leave(a)  # learner A stops: A keeps the steps done so far ...
    kept = from_settings(shared)
    load_state(kept, snapshot)
    assert 0 < kept.step < n
    assert_bitwise(weights(kept), weights(trained_here(shared, kept.step)))
    assert pool.status(b).state == jobs.RUNNING and pool.status(b).waiters == 1  # ... and B's run goes on
    done = pool.wait(b, WAIT)
    assert done.state == jobs.DONE and done.done == n

    # the last learner who follows a run stops it: the worker is told, the run ends early, nothing is kept
    alone = {**SETTINGS, "seed": 22}
    c = submit(pool, alone, 3000, chunks=300)
    pool.wait_for(c, lambda s: s.done > 0, WAIT)
    snapshot = pool.leave(c)
    assert pool.status(c).state == jobs.CANCELLED
    ended = pool.wait(c, WAIT)
    assert ended.result is None and ended.done < 3000
    again = submit(pool, alone, 3000, chunks=300)  # pressing Train again starts afresh, not from the cancel
    assert again.job_id != c.job_id
    pool.leave(again)
    pool.wait(again, WAIT)
    assert load_state(from_settings(alone), snapshot) is None  # the stopped learner's partial state loads


def test_finished_runs_are_kept_within_their_bound():
    p = jobs.Pool(1, warm=("lessons.learn",), monitor_every=3600, keep=2)
    try:
        tickets = [submit(p, {**SETTINGS, "seed": s}, 5) for s in (31, 32, 33)]
        for ticket in tickets:
            assert p.wait(ticket, WAIT).state == jobs.DONE
        assert p.stats()["kept"] == 2 and p.stats()["started"] == 3
        submit(p, {**SETTINGS, "seed": 33}, 5)  # still kept
        assert p.stats()["started"] == 3
        again = submit(p, {**SETTINGS, "seed": 31}, 5)  # the oldest went: it runs again, to the same bits
        assert p.stats()["started"] == 4
        assert p.wait(again, WAIT).result["state"] is not None
    finally:
        p.close()


def test_a_failing_run_reports_its_error_and_the_pool_goes_on(pool):
    bad = {**SETTINGS, "name": "nope"}
    tr = from_settings(SETTINGS)
    ticket = pool.join("bad-run", JOB, (bad, state_bytes(tr), 5, 1), steps=5)
    st = pool.wait(ticket, WAIT)
    assert st.state == jobs.FAILED and "unknown task 'nope'" in st.error
    assert pool.wait(submit(pool, {**SETTINGS, "seed": 41}, 5), WAIT).state == jobs.DONE


def test_a_resumed_run_is_keyed_by_its_state_and_continues_bitwise(pool):
    tr = from_settings(SETTINGS)
    first = pool.wait(submit(pool, SETTINGS, 15), WAIT)
    load_state(tr, first.result["state"])  # step 15, Adam's moments included
    key = run_key(SETTINGS, tr, 15)
    assert key != run_key(SETTINGS, from_settings(SETTINGS), 15)
    second = pool.wait(pool.join(key, JOB, (SETTINGS, state_bytes(tr), 15, 3), steps=15), WAIT)
    load_state(tr, second.result["state"])
    ref = trained_here(SETTINGS, 30)  # one run of 30 steps: stop and resume change nothing
    assert tr.step == 30 and tr.losses == ref.losses
    assert_bitwise(weights(tr), weights(ref))


def test_the_sentiment_classifier_trains_in_a_worker_to_the_same_bits(pool):
    from lessons import sentiment as S

    data = S.split(0)
    tr = S.Trainer(data, seed=0)
    key = S.run_key(tr, 6)
    assert key == S.run_key(S.Trainer(S.split(0), seed=0), 6)
    assert key != S.run_key(S.Trainer(data, seed=1), 6)  # another seed
    fewer = S.Split(data.vocab, data.train[:-1], data.test)  # the data is an input too (the corpus has its own split)
    assert key != S.run_key(S.Trainer(fewer, seed=0), 6)
    args = (data, 0, tr.batch, tr.lr, S.state_bytes(tr), 6, 2)
    a, b = pool.join(key, "lessons.sentiment:train_job", args, steps=6), pool.join(
        key, "lessons.sentiment:train_job", args, steps=6)
    assert a.job_id == b.job_id
    got = pool.wait(a, WAIT)
    assert got.state == jobs.DONE, got.error
    S.load_state(tr, got.result["state"])
    ref = S.Trainer(S.split(0), seed=0)
    ref.advance(6)
    assert tr.losses == ref.losses and tr.step == 6
    sd, want = tr.model.state_dict(), ref.model.state_dict()
    assert all(torch.equal(sd[k], want[k]) for k in want)
    step, scores, kinds = got.result["scores"]
    assert step == 6 and scores == ref.scores() and kinds == S.by_kind(ref.model, ref.data.test)


def test_the_pool_is_sized_to_the_cores_a_container_may_use(monkeypatch, tmp_path):
    limit = tmp_path / "cpu.max"
    limit.write_text("150000 100000\n")  # a container limited to 1.5 cores
    assert jobs._cgroup_cpus(str(limit)) == 1
    limit.write_text("max 100000\n")
    assert jobs._cgroup_cpus(str(limit)) is None
    monkeypatch.setattr(jobs, "_cgroup_cpus", lambda: 1)
    monkeypatch.delenv("LSTM_EXPLORER_WORKERS", raising=False)
    assert jobs.default_workers() == 1
    monkeypatch.setattr(jobs, "_cgroup_cpus", lambda: None)
    cores = len(__import__("os").sched_getaffinity(0))
    assert jobs.default_workers() == min(cores, jobs.MAX_WORKERS)
    monkeypatch.setenv("LSTM_EXPLORER_WORKERS", "3")
    assert jobs.default_workers() == 3


@pytest.mark.parametrize("setting", [None, "7"])
def test_workers_yield_the_cpu_to_the_server_idle_class_by_default_or_the_nice_value_set(monkeypatch, setting):
    """A click never waits for training: by default a worker runs in the scheduler's idle class (Linux; nice 19
    elsewhere), on one torch thread; LSTM_EXPLORER_WORKER_PRIORITY=n makes it a nice value instead."""
    import os

    from lessons.jobs import worker

    if setting is None:
        monkeypatch.delenv(worker.PRIORITY_ENV, raising=False)
    else:
        monkeypatch.setenv(worker.PRIORITY_ENV, setting)
    base = os.nice(0)  # the workers start from this process's nice value
    p = jobs.Pool(1, monitor_every=3600)
    try:
        ticket = p.join("scheduling-" + str(setting), "lessons.jobs.worker:scheduling", (), steps=1)
        st = p.wait(ticket, WAIT)
        assert st.state == jobs.DONE, st
        policy, nice, threads = st.result
    finally:
        p.close()
    assert threads == 1  # one torch thread per worker: workers never compete with each other inside a run
    if setting is not None:
        assert (policy, nice) == ("normal", min(19, base + 7))
    elif hasattr(os, "SCHED_IDLE"):
        assert (policy, nice) == ("idle", base)
    else:
        assert (policy, nice) == ("normal", min(19, base + 19))
