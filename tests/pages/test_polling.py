"""How often Learn and Sentiment look at the run a learner follows: a queued run less often than a running one
(thirty waiting learners polled twice a second cost the server's click-answering thread for nothing new), a
running one every POLL_S (its progress bar moves). Asserted on the intervals the pages choose, never on time."""

import pytest
import streamlit as st

from lessons import jobs
from tests.helpers import block_worker, module_pool
from ui import run_follow as rf

pool = module_pool("lessons.learn", "lessons.sentiment")  # the server's training workers, fresh for this module


def _status(state: str, starts_in: float | None = None, run: float = 10.0) -> jobs.Status:
    """A status; a queued run starts in ``starts_in`` seconds and takes ``run`` seconds."""
    eta = None if starts_in is None else starts_in + run
    return jobs.Status(state, 1 if state == jobs.QUEUED else None, eta, 0, 10, [], None, None, 1, starts_in)


def test_a_queued_run_is_looked_at_when_it_should_start_within_bounds_a_running_one_every_poll_s():
    assert rf.poll_every(_status(jobs.RUNNING)) == rf.POLL_S
    assert rf.poll_every(_status(jobs.QUEUED, 3.0)) == 3.0  # the estimate of its start
    assert rf.poll_every(_status(jobs.QUEUED, 0.2)) == rf.POLL_QUEUED_S  # about to start: not more often
    assert rf.poll_every(_status(jobs.QUEUED, 40.0)) == rf.POLL_QUEUED_MAX_S  # far off: capped
    assert rf.poll_every(_status(jobs.QUEUED, 17.0)) == 17.0 / 4  # the 4th look lands on its start
    assert rf.poll_every(_status(jobs.QUEUED, 3.0, run=1.0)) == 4.0  # a short run: the look lands on its end
    assert rf.poll_every(_status(jobs.QUEUED, 11.0, run=1.0)) == 4.0  # ... the 3rd look (12 s away)
    assert rf.poll_every(_status(jobs.QUEUED, None)) == rf.POLL_QUEUED_S
    assert rf.POLL_S < rf.POLL_QUEUED_S < rf.POLL_QUEUED_MAX_S


def test_the_pool_estimates_when_a_queued_run_starts(pool):
    """starts_in: a queued run starts when a worker frees up (two workers busy, two runs queued)."""
    blockers = [block_worker(pool, 700 + i) for i in range(4)]
    try:
        pool.wait_for(blockers[1], lambda s: s.state == jobs.RUNNING, 60)
        pool.wait_for(blockers[1], lambda s: s.done > 0, 60)  # measured: its estimate is its own pace
        first, second = pool.status(blockers[2]), pool.status(blockers[3])
        running = sorted(pool.status(b).eta for b in blockers[:2])  # seconds until each running run ends
        assert (first.state, first.place, second.place) == (jobs.QUEUED, 1, 2)
        assert first.starts_in == pytest.approx(running[0], abs=0.5)  # the first worker to free up
        # the next worker to free up: the other running run's, or the first queued run's, whichever ends first
        assert second.starts_in == pytest.approx(min(running[1], first.eta), abs=0.5)
        assert first.starts_in < first.eta  # it still has its own run to do
        assert pool.status(blockers[0]).starts_in is None  # running: no start to wait for
    finally:
        for ticket in blockers:
            pool.leave(ticket)


@pytest.fixture
def intervals(monkeypatch):
    """The run_every of every polling fragment the pages register for the followed run (st.fragment, spied)."""
    import ui.learn_init_view  # noqa: F401  (its comparison's own fragment is declared at import: not a run's poll)

    seen = []
    real = st.fragment

    def spy(func=None, *, run_every=None, **kwargs):
        if run_every is not None:
            seen.append(run_every)
        return real(func, run_every=run_every, **kwargs)

    monkeypatch.setattr(st, "fragment", spy)
    return seen


def test_learn_polls_a_queued_run_less_often_than_a_running_one(run_app, assert_app_ok, intervals):
    pool = jobs.shared()
    blockers = [block_worker(pool, 720 + i) for i in range(3)]  # two run, one waits: ours is 2nd in line
    # a long run (2000 steps of a 32-unit LSTM) that is still running when the page looks again
    at = run_app(page="learn", session={"learn_seed": 77, "learn_hidden": 32})
    try:
        pool.wait_for(blockers[1], lambda s: s.state == jobs.RUNNING, 60)
        at.number_input(key="learn_steps").set_value(2000)
        at.button(key="learn_train").click().run()
        assert_app_ok(at)
        ticket = at.session_state["learn_run"][0]
        assert pool.status(ticket).state == jobs.QUEUED
        # its start is a whole blocker run away (tens of seconds): a long interval, between half the cap and it
        assert rf.POLL_QUEUED_MAX_S / 2 <= intervals[0] <= rf.POLL_QUEUED_MAX_S and len(intervals) == 1
        for blocker in blockers:
            pool.leave(blocker)
        pool.wait_for(ticket, lambda s: s.state != jobs.QUEUED, 60)
        at.run()
        assert pool.status(ticket).state == jobs.RUNNING
        assert intervals[1:] == [rf.POLL_S] and intervals[0] > intervals[1]
    finally:
        for blocker in blockers:
            pool.leave(blocker)
        at.button(key="learn_stop").click().run()  # nobody else follows it: the run is cancelled
    assert pool.wait(ticket, 60).state == jobs.CANCELLED


def test_sentiment_polls_a_queued_run_less_often_than_a_running_one(run_app, assert_app_ok, intervals):
    pool = jobs.shared()
    blockers = [block_worker(pool, 740 + i) for i in range(3)]
    at = run_app(page="sentiment", query={"seed": 17}, timeout=120)
    try:
        pool.wait_for(blockers[1], lambda s: s.state == jobs.RUNNING, 60)
        at.slider(key="sentiment_steps").set_value(300)
        at.button(key="sentiment_train").click().run(timeout=120)
        assert_app_ok(at)
        ticket = at.session_state["sentiment_run"][0]
        assert pool.status(ticket).state == jobs.QUEUED
        assert rf.POLL_QUEUED_MAX_S / 2 <= intervals[0] <= rf.POLL_QUEUED_MAX_S and len(intervals) == 1
        for blocker in blockers:
            pool.leave(blocker)
        pool.wait_for(ticket, lambda s: s.state != jobs.QUEUED, 60)
        at.run(timeout=120)
        assert pool.status(ticket).state == jobs.RUNNING
        assert intervals[1:] == [rf.POLL_S] and intervals[0] > intervals[1]
    finally:
        for blocker in blockers:
            pool.leave(blocker)
        at.button(key="sentiment_stop").click().run(timeout=120)
    assert pool.wait(ticket, 60).state == jobs.CANCELLED
