"""Shape quiz: a random nn.LSTM call; the learner types the shapes of output, h_n and c_n; real tensors judge."""

import random

import streamlit as st

from lessons import quiz
from ui import parse
from ui.i18n import t

ss = st.session_state


def new_question(seed: int | None = None) -> None:
    """Move to another question: a fresh seed of the learner's level (or the given one); empty answer fields."""
    answered = ss.get("quiz_score", {}).get("answered", 0)
    ss["quiz_seed"] = seed if seed is not None else quiz.seed_for(quiz.level_after(answered), random.Random())
    ss.pop("quiz_feedback", None)


if "quiz_seed" not in ss:
    raw = st.query_params.get("quiz_seed")
    got = parse.int_text(raw, 0, quiz.MAX_SEED) if raw is not None else parse.ok(None)
    if not got.ok:
        st.warning(t("quiz.bad_seed", value=parse.shown(raw)), icon="🔗")
    new_question(got.value)
seed = ss["quiz_seed"]
FIELDS = {name: f"quiz_{name}_{seed}" for name in quiz.TENSORS}  # widget keys: new question, new (empty) fields
st.query_params["quiz_seed"] = str(seed)
score = ss.setdefault("quiz_score", {"answered": 0, "correct": 0, "seeds": []})
q = quiz.random_question(seed)

st.markdown(t("quiz.intro"))
left, right = st.columns([3, 1])
right.metric(t("quiz.score"), f"{score['correct']} / {score['answered']}", help=t("quiz.score_help"))
right.button(t("quiz.new"), on_click=new_question, key="quiz_new", icon="🎲")
with left:
    level = quiz.level_of(seed)
    st.markdown(t("quiz.question", n=score["answered"] + 1, level=level, levels=quiz.LEVELS,
                  about=t(f"quiz.level.{level}")))
    st.caption(t("quiz.reproduce", seed=seed))
    st.code("import torch\nfrom torch import nn\n\n" + q.code(), language="python", wrap_lines=True)

with st.form("quiz_form"):
    cols = st.columns(3)
    for col, (name, key) in zip(cols, FIELDS.items(), strict=True):
        col.text_input(f"`{name}.shape`", key=key, placeholder="(5, 2, 12)")
    submitted = st.form_submit_button(t("quiz.check"), type="primary")

if submitted:
    ss["quiz_feedback"] = {"seed": seed, "answers": {name: ss.get(key, "") for name, key in FIELDS.items()}}
feedback = ss.get("quiz_feedback")
if feedback and feedback["seed"] == seed:
    result = quiz.check(q, feedback["answers"])
    if any(r.parse_error for r in result.values()):
        for name, r in result.items():
            if r.parse_error:
                st.warning(t(f"quiz.parse.{r.parse_error}", tensor=name, text=feedback["answers"][name]), icon="✍️")
    else:
        all_right = all(r.correct for r in result.values())
        if submitted and seed not in score["seeds"]:  # the first complete answer to a question counts
            score["seeds"].append(seed)
            score["answered"] += 1
            score["correct"] += int(all_right)
            st.rerun()
        sym = quiz.symbols(q)
        for name, r in result.items():
            with st.container(border=True):
                if r.correct:
                    st.markdown(t("quiz.right", tensor=name, shape=str(r.expected)))
                    continue
                st.markdown(t("quiz.wrong", tensor=name, given=str(r.given), shape=str(r.expected)))
                for mistake in r.mistakes:
                    st.markdown("- " + t(f"quiz.why.{mistake}", tensor=name, **sym))
                st.caption(t("quiz.rule", tensor=name, formula=quiz.formula(q, name)))
        if all_right:
            st.success(t("quiz.all_right"), icon="🎉")
