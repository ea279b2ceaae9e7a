"""Learn: train an LSTM (our engine) on a toy task, see which gates changed and why, make it the app's model;
or bring your own torch.nn.LSTM weights, and download the current model's state_dict."""

import streamlit as st

from ui import learn_code_view as lcv
from ui import learn_init_view as liv
from ui import learn_upload_view as luv
from ui import learn_view as lv
from ui.i18n import t
from ui.state import torch_call

st.markdown(t("learn.intro"))
# What a server restart loses (deploy/README.md): the configuration is in the URL, a trained/uploaded model is not.
st.caption(t("deploy.session_note"))

train_tab, weights_tab = st.tabs([t("learn.tab.train"), t("learn.tab.weights")])

with train_tab:
    cfg = lv.settings()
    try:
        trainer = lv.get_trainer(cfg)
    except (ValueError, RuntimeError) as err:  # a setting the task cannot use
        st.error(t("learn.error", error=err), icon="⛔")
        st.stop()
    st.caption(t("learn.setup", call=torch_call(trainer.config), batch=trainer.batch_size, lr=trainer.lr,
                 clip=trainer.clip, params=sum(p.numel() for p in trainer.model.parameters())))
    lv.train_panel(trainer)
    lcv.loop_code(trainer)
    if trainer.step > 0:
        st.header(t("learn.changed"))
        lv.results(trainer)
        if trainer.task.name == "sentiment":
            lv.sentiment_probe(trainer)
        st.header(t("learn.use_title"))
        lv.use_button(trainer)
    elif not lv.following():
        st.info(t("learn.press_train"), icon="👆")
    liv.section(cfg)

with weights_tab:
    st.header(t("learn.upload.title"))
    luv.upload_panel()
    st.divider()
    st.header(t("learn.download.title"))
    luv.download_panel()
