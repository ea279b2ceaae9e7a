"""Sections of the sentiment page: live training with a progress bar (stop = any click, resume = train again),
accuracy against the bag-of-words baseline, a typed sentence read token by token, and the button that makes the
classifier's LSTM (reading that sentence, embedded) the model every page shows.

Widget keys: ``sentiment_steps sentiment_train sentiment_stop`` (training), ``sentiment_text sentiment_q
sentiment_layer sentiment_dir sentiment_unit_*`` (reading), ``sentiment_use`` (use this LSTM on every page).
Training runs in the server's worker processes, shared by learners with the same seed and state (lessons.jobs);
the run this session follows is ``st.session_state["sentiment_run"]``."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from lessons import jobs
from lessons import sentiment as S
from lessons.sources import InputBatch
from lstm_core import limits
from ui import model_source
from ui import run_follow as rf
from ui.figures.sentiment import loss_figure, token_figure
from ui.i18n import t

CHUNK = 5  # steps between progress-bar updates
QUANTITIES = ("c", "h", "i", "f", "g", "o")
EXAMPLES = ["the plot was dull but the acting was great", "the music was not bad", "虽然剧情很无聊，但是演技非常出色"]


@st.cache_resource(max_entries=4, show_spinner=False)
def split(seed: int) -> S.Split:
    return S.split(seed)


@st.cache_data(max_entries=4, show_spinner=False)
def baseline(seed: int) -> dict:
    return S.bag_of_words(split(seed), steps=200, seed=seed)


@st.cache_resource(max_entries=4, show_spinner=False)
def data_key(seed: int) -> str:
    return S.data_digest(split(seed))


def trainer(seed: int) -> S.Trainer:
    """The session's trainer for this seed (kept across reruns: training resumes where it stopped)."""
    tr = st.session_state.get("sentiment_trainer")
    if tr is None or tr.seed != seed:
        leave_run()
        tr = st.session_state["sentiment_trainer"] = S.Trainer(split(seed), seed=seed)
    return tr


# ----------------------------------------------------------------------------------- the run, shared
# As on the Learn page (ui/learn_view.py): the run goes to the server's worker pool (lessons.jobs), learners who
# train the same seed from the same state follow one run, a finished one is handed over at once.
RUN = "sentiment_run"  # (ticket, trainer, steps)
JOB = "lessons.sentiment:train_job"


def following() -> bool:
    return st.session_state.get(RUN) is not None


def _train_clicked() -> None:
    tr = st.session_state.get("sentiment_trainer")
    if tr is None or following():
        return
    n = int(st.session_state.get("sentiment_steps", 60))
    ticket = jobs.shared().join(S.run_key(tr, n, data_key(tr.seed)), JOB,
                                (tr.data, tr.seed, tr.batch, tr.lr, S.state_bytes(tr), n, CHUNK), steps=n,
                                kind="sentiment", alive=rf.session_alive())
    st.session_state[RUN] = (ticket, tr, n)


def leave_run() -> None:
    """Stop following (Stop, another seed): keep the steps done so far; the run goes on for the others."""
    run = st.session_state.pop(RUN, None)
    if run is None:
        return
    status = jobs.shared().status(run[0])
    snapshot = jobs.shared().leave(run[0])
    if run[1] is not st.session_state.get("sentiment_trainer"):
        return
    if status.state == jobs.DONE:  # it ended just before the click: the whole run is kept
        S.load_state(run[1], status.result["state"])
        run[1]._scores = status.result["scores"]
    elif snapshot is not None:
        S.load_state(run[1], snapshot)


def settle_run(tr: S.Trainer):
    """Take the followed run's result when it ended; its status while it goes on (else None)."""
    run = st.session_state.get(RUN)
    if run is None:
        return None
    if run[1] is not tr:
        leave_run()
        return None
    status = jobs.shared().status(run[0])
    if status.state in (jobs.QUEUED, jobs.RUNNING):
        return status
    st.session_state.pop(RUN, None)
    jobs.shared().leave(run[0])
    if status.state == jobs.DONE:
        S.load_state(tr, status.result["state"])
        tr._scores = status.result["scores"]
    elif status.state == jobs.FAILED:
        st.error(t("learn.error", error=status.error), icon="⛔")
    return None


def _show_run(tr: S.Trainer, status, total: int) -> None:
    if status.state == jobs.QUEUED:
        st.info(rf.place_text(status), icon="⏳")
    else:
        done = tr.step + status.done
        st.progress(status.done / max(1, status.steps), text=t("sentiment.train.progress", done=done, total=total))
    if status.waiters > 1:
        st.caption(t("learn.shared_run", n=status.waiters))


def _scores(tr: S.Trainer) -> tuple[dict, dict]:
    """(train/test accuracy, held-out accuracy by kind), computed once per trained state (or by the worker)."""
    cached = getattr(tr, "_scores", None)
    if cached is None or cached[0] != tr.step:
        cached = tr._scores = (tr.step, tr.scores(), S.by_kind(tr.model, tr.data.test))
    return cached[1], cached[2]


def training_section(tr: S.Trainer) -> None:
    st.header(t("sentiment.train.title"))
    vocab = len(tr.data.vocab)
    st.code(f"Embedding(vocab={vocab}, 16, padding_idx=0)\n"
            "  → LSTM(16, 24, num_layers=2, bidirectional=True, dropout=0.2)\n"
            "  on pack_padded_sequence(..., enforce_sorted=False) → cat(h_n[-2], h_n[-1]) → Linear(48, 2)",
            language="text")
    st.markdown(t("sentiment.train.data", train=len(tr.data.train), test=len(tr.data.test), vocab=len(tr.data.vocab)))
    status = settle_run(tr)  # before the buttons: Train is enabled again once the run ended
    c1, c2, c3 = st.columns([2, 1, 1])
    steps = c1.slider(t("sentiment.train.steps"), 10, 300, 60, 10, key="sentiment_steps")
    go = c2.button(t("sentiment.train.run"), key="sentiment_train", type="primary", on_click=_train_clicked,
                   disabled=following())
    c3.button(t("sentiment.train.stop"), key="sentiment_stop", help=t("sentiment.train.stop_help"),
              on_click=leave_run)
    if status is not None:
        rf.follow(status, "sentiment_trainer", RUN, _show_run)
    elif go:
        st.progress(1.0, text=t("sentiment.train.progress", done=steps, total=steps))
    scores, kinds = _scores(tr)
    bow = baseline(tr.seed)
    m = st.columns(4)
    m[0].metric(t("sentiment.train.step"), tr.step)
    m[1].metric(t("sentiment.train.acc_train"), f"{scores['train']:.1%}")
    m[2].metric(t("sentiment.train.acc_test"), f"{scores['test']:.1%}",
                delta=t("sentiment.train.vs_target", delta=f"{scores['test'] - S.TARGET:+.1%}",
                        target=f"{S.TARGET:.0%}"),
                help=t("sentiment.train.target_help", target=f"{S.TARGET:.0%}"))
    m[3].metric(t("sentiment.train.bow"), f"{bow['test']:.1%}", help=t("sentiment.train.bow_help"))
    st.table(pd.DataFrame({"LSTM": [f"{kinds[k]:.1%}" for k in kinds],
                           t("sentiment.train.bow_short"): [f"{bow['by_kind'][k]:.1%}" for k in kinds]},
                          index=pd.Index([t(f"sentiment.kind.{k}") for k in kinds], name=t("sentiment.kind.header"))))
    if tr.losses:
        labels = {"title": t("sentiment.train.loss_title"), "step": t("sentiment.train.step"),
                  "loss": t("sentiment.train.loss_axis")}
        st.plotly_chart(loss_figure(tr.losses, labels), key="sentiment_loss_fig")


def reading_section(tr: S.Trainer) -> None:
    st.header(t("sentiment.read.title"))
    st.markdown(t("sentiment.read.explain"))
    text = st.text_input(t("sentiment.read.text"), EXAMPLES[0], key="sentiment_text", max_chars=200)
    r = S.read(tr.model, tr.data.vocab, text)
    c1, c2 = st.columns(2)
    c1.metric(t("sentiment.read.pred"), t("sentiment.label.1" if r.probs[1] > 0.5 else "sentiment.label.0"))
    c2.metric(t("sentiment.read.p_pos"), f"{float(r.probs[1]):.3f}")
    unknown = [tok for tok, i in zip(r.tokens, r.ids, strict=False) if i == 1]
    if unknown:
        st.caption(t("sentiment.read.unknown", tokens=" ".join(unknown)))
    c1, c2, c3, c4 = st.columns(4)
    q = c1.selectbox(t("sentiment.read.quantity"), QUANTITIES, key="sentiment_q")
    layer = c2.selectbox(t("sentiment.read.layer"), (0, 1), key="sentiment_layer")
    names = [t("sentiment.read.dir0"), t("sentiment.read.dir1")]
    direction = names.index(c3.selectbox(t("sentiment.read.direction"), names, key="sentiment_dir"))
    hidden = tr.model.lstm.hidden_size
    default = r.ranking[0] if r.ranking else 0
    unit = c4.number_input(t("sentiment.read.unit"), 0, hidden - 1, default, key=f"sentiment_unit_{default}")
    vals = r.values[layer, direction][q][:, unit]
    title = t("sentiment.read.fig", q=q, unit=unit, layer=layer, direction=names[direction])
    st.plotly_chart(token_figure(r.tokens, vals, q, {"title": title}), key="sentiment_tokens_fig")
    if r.contrast_step is None:
        st.caption(t("sentiment.read.no_contrast"))
    else:
        st.markdown(t("sentiment.read.ranking", token=r.tokens[r.contrast_step]))
        h = r.values[0, 0]["h"]
        prev = h[r.contrast_step - 1] if r.contrast_step else 0 * h[0]
        top = r.ranking[:5]
        st.table(pd.DataFrame({t("sentiment.read.unit"): top,
                               "|Δh|": [f"{abs(h[r.contrast_step][u] - prev[u]):.4f}" for u in top]}),
                 hide_index=True, width="content")
    use_section(tr)


TITLE = "sentiment.use.label"  # how the sidebar switch names this model
_PROBLEM = "_sentiment_use_problem"  # why the last click was refused (memory cap, sentence too long)


def _md(text: str) -> str:
    """Typed text shown inside markdown as typed (no stray bold, links or HTML from `*`, `[`, `<`...)."""
    return re.sub(r"([\\`*_\[\]<>$~#|])", r"\\\1", text)


def _use() -> None:
    """Callback of "use this LSTM on every page": store the classifier's LSTM and the embedded sentence as
    the app's trained model and its input, then switch the app to it (the sidebar locks to its architecture)."""
    ss = st.session_state
    tr = ss.get("sentiment_trainer")
    if tr is None:
        return
    e = S.embed_sentence(tr.model, tr.data.vocab, ss.get("sentiment_text") or "")
    sd, config = S.lstm_weights(tr.model)
    try:
        limits.check_limits(config, 1, len(e.tokens))
    except limits.LimitError as err:
        ss[_PROBLEM] = t("shell.too_big", limit=err.limit, value=f"{err.value:,}", maximum=f"{err.maximum:,}")
        return
    note = ("sentiment.use.note", {"text": _md(e.text), "tokens": " | ".join(map(_md, e.tokens)), "T": len(e.tokens),
                                   "E": config.input_size, "step": tr.step})
    batch = InputBatch(e.x, labels=list(e.tokens))
    ss[_PROBLEM] = model_source.store("trained", sd, config, "sentiment_classifier", title=TITLE, batch=batch,
                                      note=note)
    if ss[_PROBLEM] is None:
        ss["_sentiment_used"] = (tr.seed, tr.step, e.text)  # what was stored: tells when the page moved on
        model_source.activate("trained")


def _active() -> bool:
    item = model_source.stored("trained")
    return model_source.current() == "trained" and item is not None and item.title == TITLE


def use_section(tr: S.Trainer) -> None:
    st.subheader(t("sentiment.use.title"))
    st.button(t("sentiment.use.button"), key="sentiment_use", on_click=_use, icon="🧠", type="primary",
              disabled=tr.step == 0, help=t("sentiment.use.help"))
    if _active():  # also after a new seed: the stored copy stays what it was
        seed, step, text = st.session_state.get("_sentiment_used", (None, None, None))
        st.success(t("sentiment.use.active", step=step, text=_md(text or "")), icon="✅")
        if (seed, step, text) != (tr.seed, tr.step, st.session_state.get("sentiment_text")):
            st.caption(t("sentiment.use.stale"))
    elif tr.step == 0:
        st.caption(t("sentiment.use.train_first"))
    else:
        st.caption(t("sentiment.use.explain"))
    if st.session_state.get(_PROBLEM):
        st.error(st.session_state[_PROBLEM], icon="🧠")


def mechanics_section(tr: S.Trainer) -> None:
    st.header(t("sentiment.mech.title"))
    row0 = tr.model.embedding.weight[0]
    c1, c2 = st.columns(2)
    c1.metric(t("sentiment.mech.pad_row"), f"{float(row0.detach().abs().max()):.1f}")
    c2.metric(t("sentiment.mech.steps"), tr.step)
    st.markdown(t("sentiment.mech.pad_explain"))
    res = S.packed_vs_padded(tr.model, tr.data.vocab, EXAMPLES)
    st.table(pd.DataFrame({t("sentiment.mech.len"): res["lengths"],
                           t("sentiment.mech.alone"): [f"{float(v):.4f}" for v in res["alone"]],
                           t("sentiment.mech.packed"): [f"{float(v):.4f}" for v in res["packed"]],
                           t("sentiment.mech.padded"): [f"{float(v):.4f}" for v in res["padded"]]},
                          index=pd.Index(EXAMPLES, name=t("sentiment.mech.sentence"))))
    st.markdown(t("sentiment.mech.packed_explain"))
