"""Cached engine calls for the gradient-flow page (`lessons.gradients`), and the model/tensor digests its
caches (and the what-if page's, `ui.whatif_view`) key on.

Models are not hashable for ``st.cache_data``; they are passed as ``_model`` next to ``model_key(model)``,
a digest of their configuration and weights, so a retrained or uploaded model is never served stale results.
"""
from __future__ import annotations

import streamlit as st

from lessons.gradients import lstm_gradflow, matched_rnn, rnn_gradflow, seeded_input, with_forget_bias
from lstm_core import Clamp
from ui.model_source import fingerprint


def model_key(model) -> str:
    """Cache key of a model: its configuration and every parameter value."""
    return fingerprint(model.config.kwargs(), model.state_dict())


def curves_csv(flows: dict, b: int = 0) -> str:
    """The plotted curves of `gradient_flows` as CSV text, one row per step (full precision)."""
    import pandas as pd

    lstm, rnn = flows["lstm"], flows["rnn"]
    cols = {"t": range(lstm.T), "lstm_dL_dh": lstm.dL_dh[:, b], "lstm_dL_dc": lstm.dL_dc[:, b],
            "lstm_dL_dx": lstm.dL_dx[:, b], "forget_product_mean": lstm.forget_product[:, b].mean(-1),
            "rnn_dL_dh": rnn.dL_dh[:, b], "rnn_dL_dx": rnn.dL_dx[:, b]}
    for who in ("lstm", "rnn"):
        cut = flows.get(f"{who}_cut")
        if cut is not None:
            cols[f"{who}_dL_dh_truncated"] = cut.dL_dh[:, b]
            cols[f"{who}_dL_dx_truncated"] = cut.dL_dx[:, b]
    return pd.DataFrame(cols).to_csv(index=False, float_format="%.17g")


@st.cache_data(max_entries=24, show_spinner=False)
def gradient_flows(key: str, _model, seed: int, seq_len: int, forget_shift: float, truncate: int | None,
                   layer: int, f_open: bool = False) -> dict:
    """LSTM and matched-RNN gradient flow on a seeded (seq_len, 1, input_size) input; truncated too if asked.

    ``f_open`` clamps the forget gate to exactly 1 for every unit, step, layer and direction (what-if).
    Returns {"lstm", "rnn"} and, with truncation, {"lstm_cut", "rnn_cut"} (all `GradFlow`).
    """
    cfg = _model.config
    x = seeded_input(seq_len, cfg.input_size, seed)
    lstm = with_forget_bias(_model, forget_shift)
    clamps = [Clamp("f", 1.0, layer=k, direction=d) for k in range(cfg.num_layers)
              for d in range(cfg.num_directions)] if f_open else []
    rnn = matched_rnn(cfg, seed)
    out = {"lstm": lstm_gradflow(lstm, x, layer=layer, clamps=clamps), "rnn": rnn_gradflow(rnn, x, layer=layer)}
    if truncate:
        out["lstm_cut"] = lstm_gradflow(lstm, x, layer=layer, truncate=truncate, clamps=clamps)
        out["rnn_cut"] = rnn_gradflow(rnn, x, layer=layer, truncate=truncate)
    return out
