"""Following a training run of the server's shared pool (lessons.jobs) from a page: Learn, Sentiment and
Learn's initialisation comparison.

A page joins a run with ``alive=session_alive()`` (a closed tab stops waiting), keeps ``(ticket, trainer,
steps)`` in its session, and calls ``follow(status, trainer_key, run_key, show)``: a fragment looks at the run
every ``poll_every(status)`` seconds and draws it with ``show(trainer, status, total)``; when the run starts or
ends, the whole page runs again (a new interval, or the result). ``place_text`` says a queued run's place.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lessons import jobs
from ui.i18n import t

POLL_S = 0.5  # how often a page looks at a run in progress (its progress bar moves)
POLL_QUEUED_S = 1.5  # ... at a run that waits for a worker: when it is expected to start, at least this late
POLL_QUEUED_MAX_S = 5.0  # ... and at most this late (an estimate can be long; the start comes sooner)


def session_alive() -> Callable[[], bool]:
    """Is this browser session still open? (A closed tab: Streamlit's runtime no longer has it active.)"""
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():  # AppTest: no server, the session lives as long as the test
        return lambda: True
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def place_text(status: jobs.Status) -> str:
    """"2nd in line, about 6 s" in the learner's language."""
    place = t(f"learn.place.{_ordinal(status.place)}", n=status.place)
    return t("learn.queue", place=place, seconds=max(1, math.ceil(status.eta or 0)))


def _ordinal(n: int) -> str:
    """English ordinal suffix: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st (the zh catalog says 第 n 位 for all)."""
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def poll_every(status: jobs.Status) -> float:
    """Seconds between two looks at the followed run: a running run every POLL_S (its progress bar moves); a
    queued one backs off to its estimated start: a look lands on it (17 s away: every 4.25 s), at least every
    POLL_QUEUED_MAX_S and at most every POLL_QUEUED_S (thirty waiting learners polled twice a second cost the
    server's click-answering thread what their pages show them: nothing new). A queued run shorter than
    POLL_QUEUED_S is looked at when it should end instead: its learner goes from the queue to the model."""
    if status.state != jobs.QUEUED:
        return POLL_S
    wait = status.starts_in or 0.0
    if status.eta is not None and status.eta - wait < POLL_QUEUED_S:
        wait = status.eta  # a short run: look when it should be done (one whole-page rerun, not two)
    if wait <= POLL_QUEUED_S:
        return POLL_QUEUED_S
    return wait / math.ceil(wait / POLL_QUEUED_MAX_S)


def _look(trainer_key: str, run_key: str, show: Callable, state: str) -> None:
    """One look at the followed run, from a fragment (only it is redrawn: the page's other elements stay)."""
    trainer, run = st.session_state.get(trainer_key), st.session_state.get(run_key)
    if trainer is None or run is None:
        return
    status = jobs.shared().status(run[0])
    if status.state != state:  # it started (the quicker poll takes over) or ended (the whole page shows it)
        st.rerun(scope="app")
    show(trainer, status, trainer.step + run[2])


def follow(status: jobs.Status, trainer_key: str, run_key: str, show: Callable) -> None:
    """Look at the run ``st.session_state[run_key]`` now and every ``poll_every(status)`` seconds after, as a
    fragment, drawing it with ``show(st.session_state[trainer_key], status, total steps)``. The interval is
    chosen when the whole page runs."""
    st.fragment(run_every=poll_every(status))(_look)(trainer_key, run_key, show, status.state)
