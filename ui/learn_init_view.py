"""Learn page: initialisation tips measured on the task (``lessons.learn_init``). Torch's default vs orthogonal
W_hh, forget bias 0 vs +1, with the learner's task settings and seeds; the sentences are chosen by the numbers.

Every run of the comparison is an ordinary Learn run in the server's shared pool (``lessons.jobs``), keyed by
all its inputs: thirty learners measuring the same settings train each run once, and a run a learner already
trained with Train is handed over at once. A comparison sends its runs a few at a time (one per worker), so
the class's Train clicks do not queue behind it. The comparison this session follows is
``st.session_state["learn_init_runs"]``: (comparison key, [settings of each run], steps, {index: curves of the
runs finished}, {index: ticket of the runs in the pool}). Widget key:
``learn_init_measure`` (button).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons import jobs
from lessons.learn import curves, from_settings, run_key, state_bytes
from lessons.learn_init import KEPT, Comparison, budget, compare_key, plan, seeds, summarize, verdicts
from ui import learn_view as lv
from ui import run_follow as rf
from ui.figures import learn_init as fli
from ui.i18n import current_lang, t

RUNS = "learn_init_runs"
_PROBLEM = "_learn_init_problem"


def _start(settings: dict) -> None:
    _leave()
    st.session_state.pop(_PROBLEM, None)
    steps = budget(settings)
    st.session_state[RUNS] = (compare_key(settings, steps), plan(settings), steps, {}, {})
    _gather()  # the first runs go to the pool now; runs the pool still holds finished are read at once


def _leave() -> None:
    """Stop following the comparison's runs (the pool cancels those nobody else follows)."""
    run = st.session_state.pop(RUNS, None)
    for ticket in run[4].values() if run else ():
        jobs.shared().leave(ticket)


def _join(spec: dict, steps: int) -> jobs.Ticket:
    trainer = from_settings(spec)
    return jobs.shared().join(run_key(spec, trainer, steps), lv.JOB, (spec, state_bytes(trainer), steps, lv.CHUNKS),
                              steps=steps, kind=f"learn/{trainer.task.name}/{trainer.config.hidden_size}",
                              alive=rf.session_alive())


def _gather() -> tuple[int, int, str | None, bool]:
    """One look at the comparison's runs: read each run that finished into the session (its curves: small; a
    result the pool later lets go of is not lost) and send the next runs, at most one per worker in the pool at a
    time -- so the class's own Train clicks never wait behind a whole comparison. Returns (steps done, steps in
    all, why a run failed or None, every run's result is in). A run reports its last steps before its result
    arrives: "all steps done" is not "all in"."""
    _, specs, steps, got, tickets = st.session_state[RUNS]
    pool = jobs.shared()
    done, problem = 0, None
    for k, spec in enumerate(specs):
        if k not in got and k not in tickets:
            if len(tickets) >= pool.workers:
                continue
            tickets[k] = _join(spec, steps)
        if k in tickets:
            status = pool.status(tickets[k])
            if status.state == jobs.DONE:
                got[k] = curves(status.result["state"])
                pool.leave(tickets.pop(k))
            elif status.state in (jobs.FAILED, jobs.CANCELLED):
                problem = status.error or status.state
            else:
                done += status.done
        if k in got:
            done += steps
    return done, steps * len(specs), problem, len(got) == len(specs)


def _collect(settings: dict) -> Comparison | None:
    """The comparison once every run of the followed one is done (kept for every learner); else None."""
    _, _, problem, complete = _gather()
    if problem is not None:
        st.session_state[_PROBLEM] = problem
        _leave()
        return None
    if not complete:
        return None
    key, specs, steps, got, _ = st.session_state[RUNS]
    comp = summarize(settings, [(spec, *got[k]) for k, spec in enumerate(specs)], steps)
    KEPT.put(key, comp)
    _leave()
    return comp


@st.fragment(run_every=rf.POLL_S)
def _follow() -> None:
    if st.session_state.get(RUNS) is None:
        return
    done, total, problem, complete = _gather()
    if complete or problem is not None:
        st.rerun(scope="app")
    runs = len(st.session_state[RUNS][1])  # the specs
    st.progress(done / total, text=t("learn.init.progress", done=done, total=total, runs=runs))


def _labels(comp: Comparison) -> dict:
    names = {f"{init}:{fb:g}": t("learn.init.variant", init=t(f"learn.init.{init}"), fb=f"{fb:+g}")
             for init, fb in ((v.init, v.forget_bias) for v in comp.variants)}
    metric = t(f"learn.init.metric.{comp.metric}")
    return names | {"step": t("learn.step"), "loss": t("learn.init.loss"), "loss_title": t("learn.init.loss_title"),
                    "target": t("learn.init.target"), "quality": metric,
                    "quality_title": t("learn.init.quality", metric=metric)}


def _step(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def table(comp: Comparison) -> pd.DataFrame:
    labels = _labels(comp)
    n = len(comp.seeds)
    rows = {labels[f"{v.init}:{v.forget_bias:g}"]: {
        t("learn.init.col.solved"): f"{v.solved} / {n}",
        t("learn.init.col.at"): _step(v.mean_solved_at),
        t("learn.init.col.per_seed"): ", ".join(_step(r.solved_at) for r in v.runs),
        t("learn.init.col.final_loss"): f"{v.final_loss:.3g}",
        t("learn.init.col.final_quality", metric=t(f"learn.init.metric.{comp.metric}")): f"{v.final_quality:.3f}"}
        for v in comp.variants}
    return pd.DataFrame.from_dict(rows, orient="index")


def sentence(v, lead: str, comp: Comparison) -> str:
    """The lead and the outcome's sentence, with the numbers that chose it."""
    a, b = v.a, v.b
    body = t(f"learn.init.v.{v.outcome}", n=len(comp.seeds), sa=a.solved, sb=b.solved, steps=comp.steps,
             ta=a.mean_solved_at or 0, tb=b.mean_solved_at or 0, la=a.final_loss, lb=b.final_loss)
    return f"{lead} {body}"


@st.cache_resource(max_entries=64, show_spinner=False)
def _figures(key: str, lang: str, _comp: Comparison):
    """The two figures of a comparison, built once per language for every learner who looks at it."""
    labels = _labels(_comp)
    return fli.loss_curves(_comp, labels), fli.quality_curves(_comp, labels)


def show(comp: Comparison, key: str, settings: dict) -> None:
    loss, quality = _figures(key, current_lang(), comp)
    c1, c2 = st.columns(2)
    c1.plotly_chart(loss, width="stretch", key="learn_init_loss")
    c2.plotly_chart(quality, width="stretch", key="learn_init_quality")
    st.dataframe(table(comp), width="stretch")
    v_init, v_fb = verdicts(comp, settings["init"], settings["forget_bias"])
    st.markdown(sentence(v_init, t("learn.init.lead_init", fb=f"{settings['forget_bias']:+g}"), comp))
    st.markdown(sentence(v_fb, t("learn.init.lead_fb", init=t(f"learn.init.{settings['init']}")), comp))
    st.caption(t("learn.init.done", seeds=", ".join(map(str, comp.seeds)), steps=comp.steps,
                 runs=len(comp.seeds) * len(comp.variants)))


def section(settings: dict) -> None:
    """Measure the tips on this task: a button, the runs' progress, then curves, table and verdicts."""
    st.header(t("learn.init.title"))
    st.markdown(t("learn.init.intro"))
    steps = budget(settings)
    key = compare_key(settings, steps)
    run = st.session_state.get(RUNS)
    if run is not None and run[0] != key:  # the settings changed: that comparison is no longer this page's
        _leave()
        run = None
    comp = KEPT.get(key)
    if comp is None and run is not None:
        comp = _collect(settings)
        run = st.session_state.get(RUNS)
    if comp is not None:
        show(comp, key, settings)
        return
    the_seeds = seeds(settings)
    runs = len(plan(settings))
    st.caption(t("learn.init.plan", runs=runs, seeds=", ".join(map(str, the_seeds)), steps=steps))
    st.button(t("learn.init.measure", runs=runs), key="learn_init_measure", icon="📏", disabled=run is not None,
              on_click=_start, args=(settings,))
    if st.session_state.get(_PROBLEM):
        st.error(t("learn.error", error=st.session_state[_PROBLEM]), icon="⛔")
    if run is not None:
        _follow()
