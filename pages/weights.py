"""Weights: every parameter of the current nn.LSTM, and the four gate blocks inside each stacked matrix."""

import pandas as pd
import streamlit as st

from lstm_core.cell import param_name
from ui.figures import weights as fw
from ui.i18n import t
from ui.shapes_view import shape_column_style
from ui.state import get_config, get_model


def gate_blocks(weight, name: str, hidden_size: int, kind: str, x_title: str) -> None:
    """The four gate blocks of one stacked matrix in four columns: side by side on a wide screen, one under
    the other on a phone (Streamlit stacks columns there), so each block keeps the screen's width."""
    for k, col in enumerate(st.columns(4)):
        col.plotly_chart(fw.gate_block_figure(weight, name, hidden_size, kind, k, x_title, t("weights.axis_row")),
                         key=f"weights_{kind}_{k}")


shape_column_style()  # shapes such as "(24, 4)" stay on one line in the table on a phone
st.markdown(t("weights.intro"))

cfg = get_config().lstm
model = get_model()
params = {name: p.detach().numpy() for name, p in model.named_parameters()}
H, D = cfg.hidden_size, cfg.num_directions


rows = []
# the model's own inventory, as torch keeps it: per layer and direction, the names in torch's order (no biases
# when bias=False, weight_hr only with proj_size)
for index, names in enumerate(model._all_weights):
    layer, d = divmod(index, D)
    for name in names:
        value, kind = params[name], name.removesuffix("_reverse").rsplit("_l", 1)[0]
        rows.append({
            t("weights.col_name"): name, t("weights.col_shape"): str(tuple(value.shape)),
            t("weights.col_count"): int(value.size), t("weights.col_layer"): layer,
            t("weights.col_direction"): t("weights.backward") if d else t("weights.forward"),
            t("weights.col_role"): t(f"weights.role.{kind}", H=H, in_=cfg.layer_input_size(layer)),
        })
st.table(pd.DataFrame(rows), hide_index=True)  # static: the long "what it does" wraps, nothing is cut off
st.caption(t("weights.total", n=sum(int(v.size) for v in params.values())))

c1, c2 = st.columns(2)
layer = c1.selectbox(t("weights.layer"), list(range(cfg.num_layers)), key="weights_layer")
direction = 0
if D == 2:
    names = [t("weights.forward"), t("weights.backward")]  # format_func must not need a run context
    direction = c2.radio(t("weights.direction"), [0, 1], key="weights_direction", horizontal=True,
                         format_func=names.__getitem__)
suffix = param_name("", layer, direction)  # "_l1_reverse": the kind goes in front
in_l = cfg.layer_input_size(layer)

if layer == 0:
    st.info(t("weights.width_first", n=in_l))
elif D == 2:
    st.info(t("weights.width_upper_bi", layer=layer, n=in_l, h=cfg.h_out,
              sym="P" if cfg.proj_size else "H", prev=layer - 1))
else:
    st.info(t("weights.width_upper", layer=layer, n=in_l, h=cfg.h_out,
              sym="P" if cfg.proj_size else "H", prev=layer - 1))

st.header(f"weight_ih{suffix}  {params['weight_ih' + suffix].shape}")
st.markdown(t("weights.ih_explain", H=H, n=in_l))
gate_blocks(params["weight_ih" + suffix], "weight_ih" + suffix, H, "ih", t("weights.axis_input"))

st.header(f"weight_hh{suffix}  {params['weight_hh' + suffix].shape}")
st.markdown(t("weights.hh_explain", H=H, h=cfg.h_out))
gate_blocks(params["weight_hh" + suffix], "weight_hh" + suffix, H, "hh", t("weights.axis_hidden"))

st.header(t("weights.bias_title"))
if cfg.bias:
    st.markdown(t("weights.bias_explain"))
    st.plotly_chart(fw.bias_figure(params["bias_ih" + suffix], params["bias_hh" + suffix], "bias_ih" + suffix,
                                   "bias_hh" + suffix, H, t("weights.bias_sum"), t("weights.axis_row"),
                                   t("weights.gate")),
                    key="weights_bias")
else:
    st.info(t("weights.no_bias"))

if cfg.proj_size:
    st.header(f"weight_hr{suffix}  {params['weight_hr' + suffix].shape}")
    st.markdown(t("weights.hr_explain", P=cfg.proj_size, H=H))
    st.plotly_chart(fw.projection_figure(params["weight_hr" + suffix], "weight_hr" + suffix,
                                         t("weights.axis_hidden_full"), t("weights.axis_proj")),
                    key="weights_hr")
