"""Streamlit side of the Learn page's "your own weights" tab: upload a state dict (checks and messages via
ui.parse), use it as the app's model, and download the current model as .pt or .safetensors.

Widget keys: ``learn_upload learn_use_upload learn_dl_pt learn_dl_st``. A refused "use this model" (memory cap)
is kept in ``st.session_state["_learn_store_problem"]``, shared with the Learn page's "use the trained model".
"""

from __future__ import annotations

import streamlit as st

from lessons.weight_files import dump_pt, dump_safetensors
from lstm_core.limits import MAX_UPLOAD_BYTES
from ui import model_source, parse
from ui.i18n import t
from ui.learn_view import _STORE_PROBLEM
from ui.state import get_config, get_model, torch_call


def _use_uploaded(loaded, name: str) -> None:
    problem = model_source.store("uploaded", loaded.state_dict, loaded.config, name)
    st.session_state[_STORE_PROBLEM] = problem
    if problem is None:
        model_source.activate("uploaded")


# The uploader's box states the limit the app applies (it said 80 MB while the app refused files over 20 MB);
# a larger file gets Streamlit's own refusal, and one that reaches us anyway our message naming the cap.
UPLOAD_WIDGET_MB = MAX_UPLOAD_BYTES // 2**20


def upload_panel() -> None:
    st.markdown(t("learn.upload.intro", limit=MAX_UPLOAD_BYTES // 2**20))
    # No `type=` filter: Streamlit would raise on a forged name; parse.weights_file names the accepted ones.
    up = st.file_uploader(t("learn.upload.label"), key="learn_upload",
                          max_upload_size=UPLOAD_WIDGET_MB)
    if up is None:
        return
    got = parse.weights_file(up.getvalue(), up.name)
    if not got.ok:
        st.error(got.problem, icon="⛔")
        return
    loaded = got.value
    st.success(t("learn.upload.ok", name=up.name, params=loaded.num_params, dtype=loaded.source_dtype), icon="✅")
    st.code(torch_call(loaded.config), language="python")
    if loaded.stripped_prefix:
        st.caption(t("learn.upload.prefix", prefix=loaded.stripped_prefix))
    st.button(t("learn.upload.use"), key="learn_use_upload", on_click=_use_uploaded, args=(loaded, up.name),
              icon="📥")
    if model_source.current() == "uploaded":
        st.caption(t("learn.use_active"))
    elif st.session_state.get(_STORE_PROBLEM):
        st.error(st.session_state[_STORE_PROBLEM], icon="🧠")


def download_panel() -> None:
    model = get_model()
    st.markdown(t("learn.download.intro", call=torch_call(get_config().lstm)))
    c1, c2 = st.columns(2)
    c1.download_button(t("learn.download.pt"), dump_pt(model), file_name="lstm_state_dict.pt",
                       mime="application/octet-stream", key="learn_dl_pt", icon="💾")
    c2.download_button(t("learn.download.st"), dump_safetensors(model), file_name="lstm.safetensors",
                       mime="application/octet-stream", key="learn_dl_st", icon="💾")
