"""Code: the current model and input as a runnable torch.nn.LSTM snippet, checked against lstm_core."""

import streamlit as st

from lessons import code, weight_files
from ui import model_source
from ui.i18n import t
from ui.state import get_config, get_input, get_model

WEIGHTS_FILE = "lstm_weights.pt"

st.markdown(t("code.intro"))

cfg, batch = get_config(), get_input()
unbatched = False
if batch.batch_size == 1 and batch.lengths is None:
    unbatched = st.toggle(t("code.unbatched"), key="code_unbatched", help=t("code.unbatched_help"))

trained = model_source.current() != "random"  # trained on the Learn page or uploaded: ship the weights
try:
    snippet = code.generate(cfg.lstm, cfg.seed, batch.data, batch.lengths, unbatched=unbatched,
                               weights_file=WEIGHTS_FILE if trained else None)
    printed = code.printed_shapes(cfg.lstm, batch.batch_size, batch.seq_len, batch.lengths, unbatched)
except Exception as err:  # show the problem, never a traceback
    st.error(t("code.error", error=f"{type(err).__name__}: {err}"))
    st.stop()

notes = []
if batch.data.numel() > code.EMBED_LIMIT:
    notes.append(t("code.note_random", n=batch.data.numel(), limit=code.EMBED_LIMIT))
else:
    notes.append(t("code.note_embedded", n=batch.data.numel()))
if batch.lengths is not None:
    notes.append(t("code.note_packed", lengths=list(batch.lengths)))
if trained:
    notes.append(t("code.note_weights", file=WEIGHTS_FILE))
for note in notes:
    st.caption(note)

st.code(snippet, language="python", line_numbers=True, wrap_lines=True)  # no scroll area the keyboard cannot reach
st.download_button(t("code.download"), snippet, file_name="lstm_snippet.py", mime="text/x-python",
                   key="code_download", icon=":material/download:")
if trained:
    st.download_button(t("code.download_weights", file=WEIGHTS_FILE), weight_files.dump_pt(get_model()),
                       file_name=WEIGHTS_FILE, mime="application/octet-stream", key="code_download_weights",
                       icon=":material/download:")

st.header(t("code.prints_title"))
st.markdown(t("code.prints_intro"))
st.code("\n".join([*printed, code.DIFF_LINE.format(diff="…"), code.OK_LINE]), language="text", wrap_lines=True)
st.caption(t("code.prints_caption"))
