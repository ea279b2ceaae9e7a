"""Streamlit side of the Learn page: task settings, the training loop with live curve, what changed, and the
model switch. Bring-your-own-weights upload/download is in ui.learn_upload_view. Engine work is in
lessons.tasks/train/weights_io.

Widget keys: ``learn_task learn_seq_len learn_hidden learn_seed learn_lr learn_forget_bias learn_orthogonal
learn_steps`` (settings), ``learn_train learn_stop learn_reset learn_use`` (buttons), ``learn_phrase`` (sentiment
probe); the weights tab's keys are listed in ui.learn_upload_view. The trainer lives in
``st.session_state["learn_trainer"]``; it is rebuilt when a setting changes. Training runs in the server's
worker processes (lessons.jobs), shared by the learners who train the same settings from the same state; the
run this session follows is ``st.session_state["learn_run"]``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from lessons import jobs
from lessons import sources as src
from lessons.learn import Trainer, from_settings, gate_stats, load_state, run_key, state_bytes, task_unit
from lessons.tasks import EMBED_SEED, TASK_NAMES, load_corpus, make_task
from ui import model_source
from ui import run_follow as rf
from ui.figures import learn as fl
from ui.i18n import current_lang, t
from ui.state import switch_page

TRAINER = "learn_trainer"
LRS = (0.003, 0.01, 0.02, 0.03, 0.1)
CHUNKS = 20  # progress/curve updates per training click


def _defaults(name: str) -> None:
    task = make_task(name)
    ss = st.session_state
    ss["learn_seq_len"] = task.seq_len
    ss["learn_hidden"] = task.default_hidden
    ss["learn_lr"] = task.default_lr
    ss["learn_steps"] = task.default_steps


KEEP = dict(persist_state="session")  # settings survive page switches and hidden widgets (sentiment's length)


def settings() -> dict:
    """The task and training settings (widgets). Changing any of them starts a new training run."""
    ss = st.session_state
    if ss.get("learn_task") not in TASK_NAMES:
        ss["learn_task"] = "memory"
    if "_learn_defaults" not in ss:  # first visit in this session
        ss["_learn_defaults"] = True
        _defaults(ss["learn_task"])
    ss.setdefault("learn_seed", 0)
    c1, c2 = st.columns([2, 3])
    names = {n: t(f"learn.task.{n}") for n in TASK_NAMES}  # a dict: format_func must not need a run context
    name = c1.selectbox(t("learn.task"), TASK_NAMES, key="learn_task", format_func=names.__getitem__,
                        on_change=lambda: _defaults(st.session_state["learn_task"]), **KEEP)
    c2.markdown(t(f"learn.task.{name}.about"))
    task_cls = type(make_task(name))
    c1, c2, c3, c4, c5 = st.columns(5)
    if name == "sentiment":
        c1.caption(t("learn.seq_len_corpus"))
        seq_len = None
    else:
        seq_len = c1.slider(t("learn.seq_len"), task_cls.min_seq_len, task_cls.max_seq_len, key="learn_seq_len",
                            help=t("learn.seq_len_help"), **KEEP)
    hidden = c2.slider("hidden_size", 1, 32, key="learn_hidden", help=t("learn.hidden_help"), **KEEP)
    seed = c3.number_input(t("learn.seed"), 0, 2**31 - 1, step=1, key="learn_seed", **KEEP)
    lr = c4.select_slider(t("learn.lr"), LRS, key="learn_lr", **KEEP)
    forget_bias = c5.toggle(t("learn.forget_bias"), key="learn_forget_bias", help=t("learn.forget_bias_help"),
                          **KEEP)
    orthogonal = c5.toggle(t("learn.orthogonal"), key="learn_orthogonal", help=t("learn.orthogonal_help"), **KEEP)
    return dict(name=name, seq_len=seq_len, hidden=int(hidden), seed=int(seed), lr=float(lr),
                forget_bias=1.0 if forget_bias else 0.0, init="orthogonal" if orthogonal else "default")


def get_trainer(cfg: dict) -> Trainer:
    current = st.session_state.get(TRAINER)
    if current is None or current.settings != cfg:
        leave_run()  # the run followed for the old settings: this learner stops following it
        current = from_settings(cfg)
        current.settings = cfg
        st.session_state[TRAINER] = current
    return current


def _reset() -> None:
    leave_run()
    st.session_state.pop(TRAINER, None)


def _labels(trainer: Trainer) -> dict:
    metric = trainer.task.metric
    return {"loss": t(f"learn.loss.{trainer.task.name}"), "quality": t(f"learn.metric.{metric}"),
            "step": t("learn.step")}


def curve_figure(trainer: Trainer, total: int | None = None, partial: list = ()):
    """The loss and quality curves: the trainer's own, then what a run in progress reported so far."""
    losses = trainer.losses + [x for chunk, _ in partial for x in chunk]
    history = trainer.history + [h for _, chunk in partial for h in chunk]
    return fl.training_curve(losses, history, _labels(trainer), total_steps=total)


# ----------------------------------------------------------------------------------- the run, shared
# Training runs in the server's pool of worker processes (lessons.jobs), keyed by all its inputs: learners who
# press Train with the same settings from the same state follow ONE run (same progress, same model); a run
# already done is handed over at once. The page polls the run from a fragment, so clicks elsewhere stay quick.
RUN = "learn_run"  # (ticket, the trainer it trains, steps) of the run this session follows
jobs.shared()  # the first visit to Learn or Sentiment starts the workers (seconds) while the learner reads
JOB = "lessons.learn:train_job"
LIVE_CURVE_UPDATES = 10  # the live curve is rebuilt this many times per run at most (a build: ~12 ms of the server)


def start_run(trainer: Trainer, n: int) -> None:
    leave_run()
    ticket = jobs.shared().join(run_key(trainer.settings, trainer, n), JOB,
                                (trainer.settings, state_bytes(trainer), int(n), CHUNKS), steps=int(n),
                                kind=f"learn/{trainer.task.name}/{trainer.config.hidden_size}",
                                alive=rf.session_alive())
    st.session_state[RUN] = (ticket, trainer, int(n))


def following() -> bool:
    """This session follows a run that is queued or in progress."""
    return st.session_state.get(RUN) is not None


def leave_run() -> None:
    """Stop following the run (Stop, Reset, new settings): keep the steps it finished so far. The run goes on
    for the other learners who follow it; nobody left, it is cancelled."""
    run = st.session_state.pop(RUN, None)
    if run is None:
        return
    ticket, trainer, _ = run
    status = jobs.shared().status(ticket)
    snapshot = jobs.shared().leave(ticket)
    if trainer is not st.session_state.get(TRAINER):
        return
    if status.state == jobs.DONE:  # it ended just before the click: the whole run is kept
        _take(trainer, ticket, status)
    elif snapshot is not None:
        load_state(trainer, snapshot)


def _take(trainer: Trainer, ticket: jobs.Ticket, status: jobs.Status) -> None:
    load_state(trainer, status.result["state"])
    trainer.state_key = ticket.key
    if status.result.get("analysis") is not None:
        trainer._analysis = status.result["analysis"]


def settle_run(trainer: Trainer) -> jobs.Status | None:
    """Take the result of the followed run when it ended; the run's status while it goes on (else None)."""
    run = st.session_state.get(RUN)
    if run is None:
        return None
    ticket, owner, _ = run
    status = jobs.shared().status(ticket)
    if owner is not trainer:  # a trainer that was replaced: its run is no longer this page's
        leave_run()
        return None
    if status.state in (jobs.QUEUED, jobs.RUNNING):
        return status
    st.session_state.pop(RUN, None)
    jobs.shared().leave(ticket)
    if status.state == jobs.DONE:
        _take(trainer, ticket, status)
    elif status.state == jobs.FAILED:
        st.session_state[_RUN_PROBLEM] = status.error
    return None


_RUN_PROBLEM = "_learn_run_problem"


def _show_run(trainer: Trainer, status: jobs.Status, total: int) -> None:
    if status.state == jobs.QUEUED:
        st.info(rf.place_text(status), icon="⏳")
    else:
        done = status.done
        start = trainer.step
        st.progress(done / max(1, status.steps), text=t("learn.training", step=start + done, total=total))
    if status.waiters > 1:
        st.caption(t("learn.shared_run", n=status.waiters))
    if status.done == 0:  # nothing new yet (queued, or just started): the curve the page showed before Train
        key = state_key(trainer)
        fig = _shared_figure(None if key is None else ("curve", key), current_lang(), lambda: curve_figure(trainer))
    else:  # redrawn at each tenth of the run (the progress bar moves at every look): a slow run costs no more
        run = st.session_state.get(RUN)
        tenth = status.done * LIVE_CURVE_UPDATES // max(1, status.steps)
        fig = _shared_figure(("live", run[0].key, tenth, total), current_lang(),
                             lambda: curve_figure(trainer, total, status.partial))
    st.plotly_chart(fig, width="stretch")


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(key: tuple, lang: str, _build):
    """A figure built once for every learner who sees the same thing (the same run, as far as it went; the same
    trained state), per language: thirty followers of one run share one build per poll."""
    return _build()


def _shared_figure(key, lang: str, build):
    return build() if key is None else _figure(key, lang, build)


def state_key(trainer: Trainer):
    """What names the trainer's state across sessions: the run that produced it (None after a Stop: partial)."""
    if trainer.step == 0:
        return ("start", tuple(sorted(trainer.settings.items())))
    return getattr(trainer, "state_key", None)


def _train_clicked() -> None:
    trainer = st.session_state.get(TRAINER)
    if trainer is not None and not following():
        st.session_state.pop(_RUN_PROBLEM, None)
        start_run(trainer, int(st.session_state.get("learn_steps", trainer.task.default_steps)))


def train_panel(trainer: Trainer) -> None:
    """Buttons, progress and the live curve. Train hands the run to the server's pool (or joins the same run
    of another learner, or takes its finished result); Stop keeps the steps done so far; Reset starts over."""
    status = settle_run(trainer)  # before the buttons: Train is enabled again once the run ended
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
    n = c1.number_input(t("learn.steps"), 1, 2000, step=50, key="learn_steps", **KEEP)
    # Train starts the run in its callback, before this run draws: the button is already disabled below.
    go = c2.button(t("learn.train", n=n), key="learn_train", type="primary", icon="▶️", disabled=following(),
                   on_click=_train_clicked)
    c3.button(t("learn.stop"), key="learn_stop", icon="⏹️", on_click=leave_run)
    c4.button(t("learn.reset"), key="learn_reset", on_click=_reset, icon="🔄")
    if st.session_state.get(_RUN_PROBLEM):
        st.error(t("learn.error", error=st.session_state[_RUN_PROBLEM]), icon="⛔")
    if status is not None:
        rf.follow(status, TRAINER, RUN, _show_run)
    else:
        if go:
            st.progress(1.0, text=t("learn.trained", step=trainer.step))
        with trainer.lock:
            key = state_key(trainer)
            fig = _shared_figure(None if key is None else ("curve", key), current_lang(),
                                 lambda: curve_figure(trainer))
        st.plotly_chart(fig, width="stretch")


def _analysis(trainer: Trainer):
    """(gate stats before, after, unit report), recomputed only when the trainer took new steps."""
    cached = getattr(trainer, "_analysis", None)
    if cached is None or cached[0] != trainer.step:
        data = trainer.eval_data
        cached = (trainer.step, gate_stats(trainer.init_model, data), gate_stats(trainer.model, data),
                  task_unit(trainer, data))
        trainer._analysis = cached
    return cached[1:]


def results(trainer: Trainer) -> None:
    """What changed: quality, gate statistics before vs after, and the unit that does the task's job."""
    with trainer.lock:  # a consistent snapshot, even if an older run is still finishing a chunk
        before_q, after_q = trainer.history[0][1], trainer.history[-1][1]
        steps = trainer.step
        before, after, unit = _analysis(trainer)
    task = trainer.task
    c1, c2, c3 = st.columns(3)
    c1.metric(t(f"learn.metric.{task.metric}"), f"{after_q:.3f}", f"{after_q - before_q:+.3f}")
    c2.metric(t("learn.target"), f"≥ {task.target_quality:.2f}",
              t("learn.reached") if after_q >= task.target_quality else t("learn.not_yet"), delta_color="off")
    c3.metric(t("learn.steps_done"), steps)
    rows = ["mean_f", "mean_i", "mean_o", "sat_f", "sat_i", "sat_o", "sat_g"]
    table = pd.DataFrame({t("learn.before"): [before[r] for r in rows], t("learn.after"): [after[r] for r in rows]},
                         index=[t(f"learn.stat.{r}") for r in rows])
    left, right = st.columns([2, 3])
    left.markdown(t("learn.gates_title"))
    left.dataframe(table.style.format("{:.3f}"), width="stretch")
    left.caption(t("learn.sat_help"))
    if after_q < task.target_quality:
        right.caption(t("learn.unit_not_yet"))
    right.markdown(t(f"learn.unit.{task.name}", unit=unit.unit, corr=unit.corr, f0=unit.mean_f_before,
                     f1=unit.mean_f_after, d0=unit.drift_before, d1=unit.drift_after))
    if unit.i_marked is not None:
        right.markdown(t("learn.unit.marker", unit=unit.unit, im=unit.i_marked, iu=unit.i_unmarked))
    if unit.f_turn is not None:
        right.markdown(t("learn.unit.turn", unit=unit.unit, ft=unit.f_turn, fo=unit.f_other))
    tokens = trainer.eval_data.tokens[0] if trainer.eval_data.tokens else None
    labels = {"c_title": t("learn.fig.c", unit=unit.unit), "f_title": t("learn.fig.f", unit=unit.unit),
              "before": t("learn.before"), "after": t("learn.after"), "t": "t"}
    key = state_key(trainer)
    right.plotly_chart(_shared_figure(None if key is None else ("unit", key), current_lang(), lambda: fl.unit_figure(
        unit.c_example_before, unit.c_example, unit.f_example_before, unit.f_example, labels, tokens)),
        width="stretch")


def sentiment_probe(trainer: Trainer) -> None:
    st.session_state.setdefault("learn_phrase", "虽然很贵，但是很好吃")
    text = st.text_input(t("learn.phrase"), key="learn_phrase", max_chars=200, **KEEP)
    try:
        data = trainer.task.phrase_data(text)
    except ValueError:
        st.warning(t("learn.phrase_empty"))
        return
    with trainer.lock, torch.no_grad():
        trainer.model.eval()
        p = torch.softmax(trainer.task.predict(trainer.model, trainer.head, data), -1)[0, 1].item()
    st.markdown(t("learn.phrase_result", tokens=" | ".join(data.tokens[0]), p=p,
                  label=t("learn.positive") if p >= 0.5 else t("learn.negative")))


_STORE_PROBLEM = "_learn_store_problem"  # why the last "use this model" was refused (memory cap)


def _use_trained() -> bool:
    trainer = st.session_state.get(TRAINER)
    if trainer is None:
        return False
    with trainer.lock:
        problem = model_source.store("trained", trainer.model.state_dict(), trainer.config, trainer.task.name)
    st.session_state[_STORE_PROBLEM] = problem
    if problem is None:
        model_source.activate("trained")
    return problem is None


EXAMPLES = 2  # task sequences sent to the Stepper


def _example_to_stepper() -> None:
    """Use the trained model and hand the Stepper's input panel two task sequences (its own widgets:
    CSV text, or the phrases as text with the embedding seed), then open the Stepper."""
    trainer, ss = st.session_state.get(TRAINER), st.session_state
    if not _use_trained():
        return
    if trainer.task.name == "sentiment":
        corpus = load_corpus()
        contrast = [text for text, lang, _ in corpus if lang == "zh" and text.startswith("虽然")][0]
        ss["input_source"], ss["input_text"], ss["seed"] = "text", f"{contrast}\n{corpus[0][0]}", EMBED_SEED
    else:
        data = trainer.task.sample(EXAMPLES, seed=trainer.seed)
        ss["input_source"], ss["csv_text"] = "csv", src.batch_to_csv(data.x.numpy().round(4))
    with trainer.lock:
        ss["unit"] = _analysis(trainer)[2].unit  # the Stepper's unit selector: the task's unit
    ss["timestep"] = 0
    ss["_learn_open_stepper"] = True


def use_button(trainer: Trainer) -> None:
    item = model_source.stored("trained")  # the trained slot may hold the Sentiment page's classifier instead
    active = model_source.current() == "trained" and item is not None and item.title is None
    c1, c2 = st.columns(2)
    c1.button(t("learn.use"), key="learn_use", on_click=_use_trained, icon="🧠", disabled=trainer.step == 0)
    c2.button(t("learn.example"), key="learn_example", on_click=_example_to_stepper, icon="⏯️",
              disabled=trainer.step == 0, help=t("learn.example_help"))
    st.caption(t("learn.use_active") if active else t("learn.use_help"))
    if st.session_state.get(_STORE_PROBLEM):
        st.error(st.session_state[_STORE_PROBLEM], icon="🧠")
    if st.session_state.pop("_learn_open_stepper", False):
        switch_page("pages/stepper.py")
