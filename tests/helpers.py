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
