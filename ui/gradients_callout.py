"""The Gradient flow page's opening rule and its headline numbers (pages/gradients.py stays a thin script).

* the forget-gate shift the page opens with (`default_shift`) and the buttons that switch it (`shift_control`);
* the ratio ‖∂L/∂h₀‖ / ‖∂L/∂h_{T-1}‖ as shown in a metric (`ratio_text`);
* which callout explains the curves (`callout_key`) and the numbers it quotes (`callout_numbers`).
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import t

# The page opens where the claim can be seen: an untrained LSTM whose forget-gate bias is raised by +3
# (mean f ≈ 0.93). Measured on the default model (4 → 6, seed 0, T = 60): ‖∂L/∂h₀‖/‖∂L/∂h₅₉‖ is 4.1e-4 for the
# LSTM (+3) and 2.1e-15 for the random LSTM (+0), 5.7e-20 for the RNN; at +1 the LSTM's is still 1.9e-7.
OPEN_SHIFT = 3.0
SHIFT_KEY = "grad_forget_shift"


def default_shift(random_model: bool, bias: bool) -> float:
    """A trained or uploaded model is shown as it is; a random one opens with the forget bias raised."""
    return OPEN_SHIFT if (random_model and bias) else 0.0


def _set_shift(value: float) -> None:
    st.session_state[SHIFT_KEY] = value


def shift_control(column, bias: bool, random_model: bool) -> float:
    """The forget-bias slider and the button that switches between the random and the opened LSTM."""
    shift = column.slider(t("gradients.forget_shift"), 0.0, 5.0, default_shift(random_model, bias), 0.5,
                          key=SHIFT_KEY, help=t("gradients.forget_shift_help"), disabled=not bias)
    if not bias:
        column.caption(t("gradients.no_bias"))
        return 0.0
    if shift:
        column.button(t("gradients.show_random"), key="grad_show_random", on_click=_set_shift, args=(0.0,),
                      icon="🎲", help=t("gradients.show_random_help"))
    else:
        column.button(t("gradients.show_open", shift=f"{OPEN_SHIFT:g}"), key="grad_show_open", on_click=_set_shift,
                      args=(OPEN_SHIFT,), icon="🔓")
    return shift


def ratio_text(curve) -> str:
    """‖first‖ / ‖last‖ of a gradient-norm curve, as the metric shows it."""
    first, last = float(curve[0]), float(curve[-1])
    if last == 0:
        return "—"
    return t("gradients.zero") if first == 0 else f"{first / last:.2e}"


def callout_key(f_open: bool, shift: float, random_model: bool) -> str:
    """The catalog key of the callout under the metrics."""
    if f_open:
        return "gradients.untrained_forgets"
    if shift:
        return "gradients.callout_shifted"
    if random_model:
        return "gradients.callout_random"
    return "gradients.untrained_forgets"


def callout_numbers(lstm, rnn, shift: float, T: int) -> dict[str, str | int]:
    """The numbers the callouts quote, formatted as shown, and the comparison of the two ratios in words
    (`ui.gradients_view.relation_text`: chosen by the numbers, never fixed in the catalog)."""
    from ui.gradients_view import relation_text

    def value(curve) -> float:
        return float(curve[0]) / float(curve[-1]) if float(curve[-1]) else 0.0

    return dict(shift=f"{shift:g}", f=f"{lstm.forget[:, 0].mean():.2f}", T=T,
                prod=f"{lstm.forget_product[0, 0].mean():.1e}", lstm=ratio_text(lstm.dL_dh[:, 0]),
                rnn=ratio_text(rnn.dL_dh[:, 0]),
                relation=relation_text(value(lstm.dL_dh[:, 0]), value(rnn.dL_dh[:, 0])))


def show_metrics_and_callout(lstm, rnn, shift: float, T: int, f_open: bool, random_model: bool) -> None:
    m1, m2, m3 = st.columns(3)
    m1.metric(t("gradients.metric_lstm"), ratio_text(lstm.dL_dh[:, 0]), help=t("gradients.metric_help"))
    m2.metric(t("gradients.metric_rnn"), ratio_text(rnn.dL_dh[:, 0]), help=t("gradients.metric_help"))
    m3.metric(t("gradients.metric_forget"), f"{lstm.forget_product[0, 0].mean():.2e}")
    key = callout_key(f_open, shift, random_model)
    numbers = {} if key == "gradients.untrained_forgets" else callout_numbers(lstm, rnn, shift, T)
    st.info(t(key, **numbers), icon="💡")
