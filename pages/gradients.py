"""Gradient flow: ‖∂L/∂h_t‖, ‖∂L/∂c_t‖, ‖∂L/∂x_t‖ and ∏f through time, LSTM vs a vanilla RNN.

Numbers: `lessons.gradients` (autograd through our engine and `lstm_core.RNN`), cached by `ui.gradients_view`;
charts `ui.figures.gradients`. Below them, the backward pass written by hand and stepped from T-1 to 0
(`lessons.bptt`, rendered by `ui.gradients_view.render_bptt`). The opening forget-bias rule, the metrics and
the callout: `ui.gradients_callout`.
"""

import streamlit as st

from lstm_core import limits
from ui import model_source
from ui.figures.gradients import forget_product_figure, gradient_figure
from ui.gradients_callout import shift_control, show_metrics_and_callout
from ui.gradients_view import backward_steps, curves_csv, explain_text, gradient_flows, model_key, render_bptt
from ui.i18n import t
from ui.state import get_config, get_model

FIG_KEYS = ("lstm_dh", "lstm_dc", "rnn_dh", "forget_product", "lstm_dh_cut", "rnn_dh_cut", "lstm_dx", "rnn_dx",
            "lstm_dx_cut", "rnn_dx_cut", "cut", "title_h", "title_x", "y_h", "y_x", "t", "unit", "title_forget",
            "y_forget")

st.markdown(t("gradients.intro"))

cfg = get_config()
model = get_model()
lstm_cfg = cfg.lstm  # also the architecture of a trained or uploaded model (the sidebar shows it)

c1, c2, c3 = st.columns(3)
T = c1.slider(t("gradients.seq_len"), 2, limits.MAX_SEQ_LEN, 60, key="grad_seq_len",
              help=t("gradients.seq_len_help", max=limits.MAX_SEQ_LEN))
random_model = model_source.current() == "random"
shift = shift_control(c2, lstm_cfg.bias, random_model)
f_open = c2.toggle(t("gradients.f_open"), key="grad_f_open", help=t("gradients.f_open_help"))
truncate_on = c3.toggle(t("gradients.truncate"), key="grad_truncate", help=t("gradients.truncate_help"),
                        disabled=lstm_cfg.bidirectional)
k = c3.slider(t("gradients.k"), 1, limits.MAX_SEQ_LEN, 10, key="grad_k") if truncate_on else None
layer = lstm_cfg.num_layers - 1
if lstm_cfg.num_layers > 1:
    layer = st.selectbox(t("gradients.layer"), range(lstm_cfg.num_layers), index=layer, key="grad_layer")
    st.caption(t("gradients.layers_note", n=lstm_cfg.num_layers, layer=layer))
if lstm_cfg.bidirectional:
    st.info(t("gradients.bidirectional_note"), icon="↔️")
if model_source.current() != "random":
    st.info(t("gradients.trained_note"), icon="🎓")

st.caption(t("gradients.setup", layer=layer, T=T, seed=cfg.seed, input_size=lstm_cfg.input_size,
             hidden_size=lstm_cfg.hidden_size, num_layers=lstm_cfg.num_layers))

weights_key = model_key(model)  # one digest of the weights per run, for both cached computations
try:
    with st.spinner("…"):
        flows = gradient_flows(weights_key, model, cfg.seed, T, float(shift), k, layer, f_open)
except (ValueError, RuntimeError) as err:
    st.error(t("gradients.error", error=err), icon="⛔")
    st.stop()

lstm, rnn = flows["lstm"], flows["rnn"]
if f_open:
    st.info(t("gradients.f_open_explain"), icon="🗜️")
labels = {key: t(f"gradients.fig.{key}") for key in FIG_KEYS}
show_metrics_and_callout(lstm, rnn, shift, T, f_open, random_model)

cut_kwargs = dict(lstm_cut=flows.get("lstm_cut"), rnn_cut=flows.get("rnn_cut"))
st.plotly_chart(gradient_figure(lstm, rnn, labels, quantity="h", **cut_kwargs), key="grad_fig_h")
if k:
    cut = flows["lstm_cut"].cut
    st.markdown(t("gradients.truncate_explain", k=k, cut=cut, span=T - cut))
st.plotly_chart(gradient_figure(lstm, rnn, labels, quantity="x", **cut_kwargs), key="grad_fig_x")
st.plotly_chart(forget_product_figure(lstm, labels), key="grad_fig_forget")
st.download_button(t("gradients.download"), curves_csv(flows), "gradient_flow.csv", "text/csv", key="grad_download")

with st.expander(t("gradients.explain_title"), expanded=True):
    st.markdown(explain_text(lstm_cfg.kwargs(), cfg.seed, T))

try:
    bptt_lstm, bptt_rnn = backward_steps(weights_key, model, cfg.seed, T, float(shift), k, f_open)
except (ValueError, RuntimeError) as err:
    st.error(t("gradients.error", error=err), icon="⛔")
    st.stop()
render_bptt(bptt_lstm, bptt_rnn, has_proj=bool(lstm_cfg.proj_size), num_layers=lstm_cfg.num_layers)
