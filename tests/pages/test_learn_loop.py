"""Learn page through app.py, in both languages: the training loop shown under the run is the page's run (the
shown code, executed, gives bitwise the page's weights and follows every setting), and the initialisation
comparison shows the runs' measured curves, table and the sentences the numbers choose."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch

from lessons import jobs
from lessons.learn_code import training_script
from lessons.learn_init import KEPT, compare_here, plan, verdicts
from tests.helpers import finish_training
from ui.i18n import translate

STEPS = 30  # the comparison's runs in these tests (the page uses the task's budget: 300 steps for memory)


def plotly_array(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(float)
    return np.array(value, dtype=float)


@pytest.fixture(scope="module", autouse=True)
def pool():
    """The server's pool of training workers, fresh for this module."""
    saved = jobs._SHARED
    jobs._SHARED = jobs.Pool(2, warm=("lessons.learn",))
    jobs._SHARED.warm_up()
    yield jobs._SHARED
    jobs._SHARED.close()
    jobs._SHARED = saved


@pytest.fixture
def short_budget(monkeypatch):
    from ui import learn_init_view

    monkeypatch.setattr(learn_init_view, "budget", lambda settings: STEPS)
    KEPT.clear()
    yield
    KEPT.clear()


def shown_loop(at) -> str:
    found = [c.value for c in at.code if "for step in range(STEPS):" in c.value]
    assert len(found) == 1
    return found[0] + "\n"  # st.code drops the file's final newline


def in_flight(at) -> list:
    """The comparison's runs this session has in the pool now."""
    return list(at.session_state["learn_init_runs"][4].values())


def measure(at, pool) -> int:
    """Press Measure and follow the comparison to its end as the page's polling does (a rerun after the runs in
    the pool ended); returns how many runs the pool started for it. At most one run per worker is in the pool."""
    started = pool.stats()["started"]
    at.button(key="learn_init_measure").click().run()
    while "learn_init_runs" in at.session_state:
        tickets = in_flight(at)
        assert 0 < len(tickets) <= pool.workers
        for ticket in tickets:
            assert pool.wait(ticket, 120).state == jobs.DONE
        at.run()
    return pool.stats()["started"] - started


def run_shown(code: str) -> dict:
    namespace: dict = {"__name__": "__learner__"}
    exec(compile(code, "<shown-loop>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_shown_loop_follows_the_settings_and_executed_gives_the_pages_weights(run_app, assert_app_ok, lang):
    at = run_app(page="learn", lang=lang)
    assert_app_ok(at)
    trainer = at.session_state["learn_trainer"]
    assert shown_loop(at) == training_script(trainer.settings, 300)  # the next Train click: 300 steps
    texts = [m.value for m in at.markdown]
    assert translate(lang, "learn.code.next", steps=300) in texts
    assert translate(lang, "learn.code.title") in [e.label for e in at.expander]

    at.toggle(key="learn_orthogonal").set_value(True).run()
    at.select_slider(key="learn_lr").set_value(0.1).run()
    at.toggle(key="learn_forget_bias").set_value(True).run()
    at.number_input(key="learn_seed").set_value(4).run()
    at.number_input(key="learn_steps").set_value(12).run()
    assert_app_ok(at)
    trainer = at.session_state["learn_trainer"]
    assert trainer.settings == dict(name="memory", seq_len=8, hidden=8, seed=4, lr=0.1, forget_bias=1.0,
                                    init="orthogonal")
    code = shown_loop(at)
    assert code == training_script(trainer.settings, 12)
    for shows in ("SEED, STEPS = 4, 12", "lr=0.1)", "orthogonal_hh_(lstm)", "lstm.bias_ih_l0[8:16] += 1.0"):
        assert shows in code, shows

    at.button(key="learn_train").click().run()
    # while the run goes on, the loop shown is the one the server runs (or, done already, the one that ran)
    shown = {translate(lang, f"learn.code.{mode}", steps=12) for mode in ("running", "trained")}
    assert shown & {m.value for m in at.markdown} and "SEED, STEPS = 4, 12" in shown_loop(at)
    finish_training(at, "learn_run", 120)
    assert_app_ok(at)
    trainer = at.session_state["learn_trainer"]
    assert trainer.step == 12
    assert translate(lang, "learn.code.trained", steps=12) in [m.value for m in at.markdown]
    ns = run_shown(shown_loop(at))  # what the learner reads, run as it is
    for mine, app in ((ns["lstm"], trainer.model), (ns["head"], trainer.head)):
        a, b = mine.state_dict(), app.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_init_comparison_shows_the_measured_runs_and_the_sentences_their_numbers_choose(
        run_app, assert_app_ok, short_budget, pool, lang):
    seed = 0 if lang == "en" else 50  # runs nobody trained yet (a finished run is handed over at once)
    at = run_app(page="learn", lang=lang, session={"learn_seed": seed})
    assert_app_ok(at)
    settings = at.session_state["learn_trainer"].settings
    runs = len(plan(settings))
    assert translate(lang, "learn.init.title") in [s.value for s in at.header]
    assert measure(at, pool) == runs == 12  # twelve different runs: init, forget bias, seed differ
    assert_app_ok(at)

    ref = compare_here(settings, STEPS)  # the same twelve runs, trained here
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    traces = {d["meta"]: d for f in figs for d in f["data"] if str(d.get("meta", "")).startswith(("loss:", "qual"))}
    for v in ref.variants:
        loss = traces[f"loss:{v.init}:{v.forget_bias:g}"]
        np.testing.assert_allclose(plotly_array(loss["y"]), v.mean_loss(), rtol=1e-12)
        quality = traces[f"quality:{v.init}:{v.forget_bias:g}"]
        assert list(plotly_array(quality["x"])) == [s for s, _ in v.mean_quality()]
        np.testing.assert_allclose(plotly_array(quality["y"]), [q for _, q in v.mean_quality()], rtol=1e-12)
    table = at.dataframe[0].value
    col = translate(lang, "learn.init.col.solved")
    assert list(table[col]) == [f"{v.solved} / 3" for v in ref.variants]

    def expected(v, lead):
        body = translate(lang, f"learn.init.v.{v.outcome}", n=3, sa=v.a.solved, sb=v.b.solved, steps=STEPS,
                         ta=v.a.mean_solved_at or 0, tb=v.b.mean_solved_at or 0, la=v.a.final_loss,
                         lb=v.b.final_loss)
        return f"{lead} {body}"

    v_init, v_fb = verdicts(ref, "default", 0.0)
    texts = [m.value for m in at.markdown]
    assert expected(v_init, translate(lang, "learn.init.lead_init", fb="+0")) in texts
    assert expected(v_fb, translate(lang, "learn.init.lead_fb", init=translate(lang, "learn.init.default"))) in texts

    # the learner's own choices pick the comparison the sentences make, not new runs
    started = pool.stats()["started"]
    at.toggle(key="learn_orthogonal").set_value(True).run()
    assert_app_ok(at)
    v_init, v_fb = verdicts(ref, "orthogonal", 0.0)
    texts = [m.value for m in at.markdown]
    assert expected(v_fb, translate(lang, "learn.init.lead_fb", init=translate(lang, "learn.init.orthogonal"))) in texts
    assert "learn_init_runs" not in at.session_state and pool.stats()["started"] == started

    # another learner with the same settings sees the measured comparison at once
    other = run_app(page="learn", lang=lang, session={"learn_seed": seed})
    assert_app_ok(other)
    assert not [b for b in other.button if b.key == "learn_init_measure"]
    assert pool.stats()["started"] == started


def test_a_changed_setting_leaves_the_measuring_runs_and_offers_a_new_measurement(run_app, assert_app_ok,
                                                                                  short_budget, pool):
    at = run_app(page="learn", session={"learn_seed": 40})
    at.button(key="learn_init_measure").click().run()
    tickets = in_flight(at)
    assert len(tickets) == pool.workers  # the first runs; the others wait for them
    at.number_input(key="learn_seed").set_value(41).run()
    assert_app_ok(at)
    assert "learn_init_runs" not in at.session_state
    assert not at.button(key="learn_init_measure").disabled
    for ticket in tickets:  # nobody follows them any more: each is cancelled, or finished before the change
        assert pool.wait(ticket, 120).state in (jobs.CANCELLED, jobs.DONE)


def test_a_run_that_reported_all_its_steps_but_not_yet_its_result_is_waited_for(run_app, assert_app_ok,
                                                                                 short_budget, pool, monkeypatch):
    """A worker reports its last chunk before the pool has its result: the page must wait for the result."""
    from lessons.learn import from_settings, run_key

    at = run_app(page="learn", session={"learn_seed": 60})
    settings = at.session_state["learn_trainer"].settings
    last = plan(settings)[-1]
    late_key = run_key(last, from_settings(last), STEPS)
    real, lying = pool.status, [True]

    def status(ticket):
        got = real(ticket)
        if lying[0] and ticket.key == late_key and got.state == jobs.DONE:  # all steps reported, no result yet
            return jobs.Status(jobs.RUNNING, None, 0.1, got.steps, got.steps, got.partial, None, None, 1)
        return got

    monkeypatch.setattr(pool, "status", status)
    at.button(key="learn_init_measure").click().run()
    while True:  # follow the comparison until only the late run is left, and it really ended
        tickets = in_flight(at)
        with pool._changed:  # every run in the pool really ended (the page is told otherwise about one)
            assert pool._changed.wait_for(lambda ts=tickets: all(real(t).state == jobs.DONE for t in ts), 120)
        if [t.key for t in tickets] == [late_key]:
            break
        at.run()
    at.run()
    assert_app_ok(at)
    assert "learn_init_runs" in at.session_state and not at.dataframe
    assert at.get("progress")  # still measuring: 12 × 30 steps reported, 11 results in
    lying[0] = False
    at.run()
    assert_app_ok(at)
    assert "learn_init_runs" not in at.session_state and len(at.dataframe) == 1
