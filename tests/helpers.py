"""Small helpers shared by page tests."""

import json


def traces_by_meta(at) -> dict[str, dict]:
    """Every Plotly trace of the page that carries a ``meta`` tag, by tag (first one wins)."""
    out = {}
    for chart in at.get("plotly_chart"):
        for tr in json.loads(chart.proto.spec)["data"]:
            if "meta" in tr:
                out.setdefault(tr["meta"], tr)
    return out


def finish_training(at, run_key: str, timeout: float = 200):
    """Wait (on the run's end, with a deadline) for the training run this AppTest session follows in the shared
    worker pool (``st.session_state[run_key]``: Learn's ``learn_run``, Sentiment's ``sentiment_run``), then rerun
    the page as its polling fragment would."""
    from lessons import jobs

    if run_key in at.session_state:
        status = jobs.shared().wait(at.session_state[run_key][0], timeout)
        assert status.state == jobs.DONE, status
        at.run(timeout=timeout)
    return at


def module_pool(*warm: str):
    """A module-scoped, autouse fixture: the server's pool of training workers, fresh for the test module (its
    counters start at zero, its workers warmed with ``warm``), closed at the end (no worker process outlives the
    module). Use as ``pool = module_pool("lessons.learn")`` at a test module's top level."""
    import pytest

    from lessons import jobs

    @pytest.fixture(scope="module", autouse=True)
    def pool():
        saved = jobs._SHARED
        jobs._SHARED = jobs.Pool(2, warm=warm)
        jobs._SHARED.warm_up()
        yield jobs._SHARED
        jobs._SHARED.close()
        jobs._SHARED = saved

    return pool


def block_worker(pool, seed: int):
    """A long Learn run of another learner (other settings, 2000 steps) that keeps a worker busy, or waits in the
    queue, until its ticket is left."""
    from lessons.learn import from_settings, run_key, state_bytes

    cfg = dict(name="adding", seq_len=60, hidden=32, seed=seed, lr=0.01, forget_bias=0.0)
    tr = from_settings(cfg)
    return pool.join(run_key(cfg, tr, 2000), "lessons.learn:train_job", (cfg, state_bytes(tr), 2000, 200),
                     steps=2000, kind="blocker")
