"""Sections of the "GRU beside LSTM" page: structure, gates stepped side by side, a race, seed 001's cell."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons import gru as G
from lstm_core import GATES
from lstm_core.gru import GRU_GATES
from ui.figures.gru import gates_figure, loss_figure
from ui.i18n import t

RACE_TASKS = ("memory", "adding")


def structure_section(model, sbs: G.SideBySide) -> None:
    st.header(t("gru.struct.title"))
    c1, c2 = st.columns(2)
    c1.markdown(t("gru.struct.lstm_eq"))
    c2.markdown(t("gru.struct.gru_eq"))
    H = model.config.hidden_size  # the block counts read off the real weights' shapes, not the catalog
    st.info(t("gru.gates", lstm_blocks=sbs.lstm_params["weight_ih_l0"][0] // H,
              gru_blocks=sbs.gru_params["weight_ih_l0"][0] // H), icon="🚪")
    m1, m2, m3 = st.columns(3)
    m1.metric(t("gru.struct.blocks"), "4 : 3")
    m2.metric(t("gru.struct.count_lstm"), f"{sbs.lstm_count:,}")
    m3.metric(t("gru.struct.count_gru"), f"{sbs.gru_count:,}")
    names = list(dict.fromkeys([*sbs.lstm_params, *sbs.gru_params]))
    st.table(pd.DataFrame({"LSTM": [str(sbs.lstm_params.get(n, "—")) for n in names],
                           "GRU": [str(sbs.gru_params.get(n, "—")) for n in names]},
                          index=pd.Index(names, name=t("gru.col.param"))))
    rows = ("output", "h_n", "c_n")
    st.table(pd.DataFrame({"LSTM": [str(sbs.lstm_shapes[k]) for k in rows],
                           "GRU": [str(sbs.gru_shapes.get(k, t("gru.struct.no_c"))) for k in rows]},
                          index=pd.Index(rows, name=t("gru.col.tensor"))))
    if model.proj_size > 0:
        st.info(t("gru.struct.proj", proj=model.proj_size), icon="ℹ️")


def step_section(model, sbs: G.SideBySide, batch) -> None:
    st.header(t("gru.step.title"))
    st.markdown(t("gru.step.explain"))
    cfg = model.config
    c1, c2, c3, c4 = st.columns(4)
    T = batch.seq_len
    step = c1.slider(t("gru.step.t"), 0, T - 1, 0, key="gru_t") if T > 1 else 0
    b = c2.selectbox(t("gru.step.seq"), range(batch.batch_size), key="gru_seq") if batch.batch_size > 1 else 0
    layer = c3.selectbox(t("gru.step.layer"), range(cfg.num_layers), key="gru_layer") if cfg.num_layers > 1 else 0
    direction = 0
    if cfg.bidirectional:
        names = [t("gru.step.dir0"), t("gru.step.dir1")]
        direction = names.index(c4.selectbox(t("gru.step.direction"), names, key="gru_dir"))
    lt, gt = sbs.lstm_trace[layer, direction], sbs.gru_trace[layer, direction]
    lstm_vals = {g: getattr(lt, g)[step, b] for g in (*GATES, "c", "h")}
    gru_vals = {g: getattr(gt, g)[step, b] for g in (*GRU_GATES, "h")}
    labels = {"lstm": t("gru.step.lstm"), "gru": t("gru.step.gru"), "unit": t("gru.step.unit"),
              "title": t("gru.step.fig", t=step, b=b, layer=layer, direction=direction)}
    st.plotly_chart(gates_figure(lstm_vals, gru_vals, labels), key="gru_gates_fig")
    if batch.lengths is not None and step >= batch.lengths[b]:
        st.caption(t("gru.step.padded"))


def race_section(seed: int) -> None:
    st.header(t("gru.race.title"))
    st.markdown(t("gru.race.explain"))
    c1, c2, c3 = st.columns(3)
    names = [t(f"gru.race.{k}") for k in RACE_TASKS]  # plain strings: AppTest re-formats format_func labels in en
    task = RACE_TASKS[names.index(c1.selectbox(t("gru.race.task"), names, key="gru_task"))]
    hidden = c2.slider(t("gru.race.hidden"), 2, 32, 8, key="gru_hidden")
    steps = c3.slider(t("gru.race.steps"), 20, 300, 100, 10, key="gru_steps")
    wanted = (task, hidden, steps, seed)
    if st.button(t("gru.race.run"), key="gru_train", type="primary"):
        with st.spinner(t("gru.race.running")):
            st.session_state["gru_race"] = (wanted, G.train_pair(task, hidden, steps, seed))
    done = st.session_state.get("gru_race")
    if done is None:
        st.caption(t("gru.race.hint", steps=steps))
        return
    if done[0] != wanted:
        st.caption(t("gru.race.stale"))
    race = done[1]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("gru.race.q_lstm"), f"{race.lstm_quality:.3f}")
    m2.metric(t("gru.race.q_gru"), f"{race.gru_quality:.3f}")
    m3.metric(t("gru.race.count_lstm"), f"{race.lstm_count:,}")
    m4.metric(t("gru.race.count_gru"), f"{race.gru_count:,}")
    labels = {"title": t("gru.race.fig", task=t(f"gru.race.{race.task}")), "step": t("gru.race.step"),
              "loss": t("gru.race.loss")}
    st.plotly_chart(loss_figure(race.lstm_loss, race.gru_loss, labels), key="gru_loss_fig")


SEED_CODE = """combined = torch.cat([x, h_prev], dim=1)        # (B, I + H)
f_t = torch.sigmoid(self.W_f(combined))         # W_f: nn.Linear(I + H, H)

# the same numbers in torch's stacked form (gate order i, f, g, o):
weight_ih_l0[H:2*H] = W_f.weight[:, :I]         # W_if
weight_hh_l0[H:2*H] = W_f.weight[:, I:]         # W_hf
bias_ih_l0[H:2*H] = W_f.bias;  bias_hh_l0[H:2*H] = 0
# and back: W_f.weight = cat([W_if, W_hf], 1),  W_f.bias = b_if + b_hf"""


def seed_section() -> None:
    st.header(t("gru.seed.title"))
    st.markdown(t("gru.seed.explain"))
    st.code(SEED_CODE, language="python", wrap_lines=True)
    m = G.seed001_mapping()
    c1, c2, c3 = st.columns(3)
    c1.metric(t("gru.seed.to_ours"), f"{m.seed_to_ours:.1e}")
    c2.metric(t("gru.seed.to_torch"), f"{m.seed_to_torch:.1e}")
    c3.metric(t("gru.seed.back"), f"{m.torch_to_seed:.1e}")
    st.table(pd.DataFrame({t("gru.seed.shape"): [str(s) for s in m.shapes.values()]},
                          index=pd.Index(list(m.shapes), name=t("gru.col.param"))))
    st.markdown(t("gru.seed.biases"))
