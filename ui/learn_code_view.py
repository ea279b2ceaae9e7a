"""Learn page: the training loop in plain PyTorch, right under the run (``lessons.learn_code``), for the page's
current settings and the steps the run on the page has (or the next Train click will have)."""

from __future__ import annotations

import streamlit as st

from lessons.learn import Trainer
from lessons.learn_code import step_source, training_script
from ui import learn_view as lv
from ui.i18n import t


def shown_steps(trainer: Trainer) -> tuple[int, str]:
    """(steps from the start, which caption): the run in progress, the steps trained so far, or the next run."""
    run = st.session_state.get(lv.RUN)
    if run is not None and run[1] is trainer:
        return trainer.step + run[2], "running"
    if trainer.step:
        return trainer.step, "trained"
    return int(st.session_state.get("learn_steps") or trainer.task.default_steps), "next"


def loop_code(trainer: Trainer) -> None:
    steps, mode = shown_steps(trainer)
    with st.expander(t("learn.code.title"), expanded=False):
        st.markdown(t(f"learn.code.{mode}", steps=steps))
        st.code(training_script(trainer.settings, steps, trainer.batch_size, trainer.clip), language="python")
        st.caption(t("learn.code.app_step"))
        st.code(step_source(), language="python")
