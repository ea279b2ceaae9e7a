"""Shapes page logic: predicted shapes (lstm_core.shapes) checked on real tensors, and the correspondences
between output, h_n and c_n verified with numbers on the current weights and input.

The ``compute_*``/``*_checks`` functions are plain (torch in, data out) so tests can call them; the
``render_*`` functions draw one section each with streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from lstm_core import LSTM, LSTMConfig, shapes, trace
from lstm_core.shapes import TENSORS
from ui.figures.shapes import tensor_blocks
from ui.i18n import t

ROLES = ("seq_len", "batch", "input_size", "packed_rows", "layers_x_directions", "h_out", "hidden_size",
         "proj_size", "directions_x_h_out", "gates_x_hidden", "layer_input")
OK, BAD = "✓", "✗"
TOL = 1e-6


def shape_str(shape) -> str:
    """Python's tuple notation: (5, 2, 6), (24,)."""
    return str(tuple(int(s) for s in shape))


def _shape(value) -> tuple[int, ...]:
    return tuple((value.data if isinstance(value, PackedSequence) else value).shape)


# ---------------------------------------------------------------------------------------------- tensors
def real_shapes(model: LSTM, rep, data: torch.Tensor, lengths=None) -> dict[str, tuple[int, ...]]:
    """Run ``torch.nn.LSTM`` (our weights, converted) on real tensors in ``rep.form`` with h_0/c_0 of the
    predicted shapes (torch rejects a wrong one) and return every tensor's actual shape."""
    cfg = rep.config
    if rep.form == "unbatched":
        x = data[0]
    elif rep.form == "packed":
        x = pack_padded_sequence(data, list(lengths), batch_first=True, enforce_sorted=False)
    else:
        x = data if cfg.batch_first else data.transpose(0, 1)
    h0 = torch.zeros(rep.tensors["h_0"].shape)
    c0 = torch.zeros(rep.tensors["c_0"].shape)
    with torch.no_grad():
        out, (h_n, c_n) = model.to_torch().eval()(x, (h0, c0))
    return {"input": _shape(x), "h_0": _shape(h0), "c_0": _shape(c0), "output": _shape(out),
            "h_n": _shape(h_n), "c_n": _shape(c_n)}


def meaning(dims) -> str:
    return "; ".join(f"{d.size} = {t('shapes.role.' + d.role)}" for d in dims)


def tensor_table(rep, actual: dict[str, tuple] | None) -> pd.DataFrame:
    """One row per tensor, indexed by its name: shape, symbols, meaning, torch check."""
    rows = []
    for name in TENSORS:
        ts = rep.tensors[name]
        got = (actual or {}).get(name)
        check = OK if got == ts.shape else f"{BAD} {shape_str(got)}" if got else BAD
        rows.append({t("shapes.col.tensor"): name, t("shapes.col.shape"): shape_str(ts.shape),
                     t("shapes.col.symbolic"): ts.symbolic, t("shapes.col.meaning"): meaning(ts.dims),
                     t("shapes.col.torch"): check})
    return pd.DataFrame(rows).set_index(t("shapes.col.tensor"))


def render_tensor_table(model: LSTM, rep, data: torch.Tensor, lengths=None) -> bool:
    """Table of the six tensors with the torch check; returns whether every shape matched."""
    try:
        actual = real_shapes(model, rep, data, lengths)
    except Exception as err:  # torch refused the predicted h_0/c_0 or the input
        st.error(t("shapes.check_failed", error=str(err)))
        st.table(tensor_table(rep, None))
        return False
    ok = all(actual[name] == rep.tensors[name].shape for name in TENSORS)
    if ok:
        st.success(t("shapes.check_ok"), icon="✅")
    else:
        bad = [name for name in TENSORS if actual[name] != rep.tensors[name].shape]
        st.error(t("shapes.check_mismatch", names=", ".join(bad)))
    st.table(tensor_table(rep, actual))  # a static table: six rows, long meanings wrap
    return ok


def block_labels() -> dict[str, str]:
    labels = {f"role.{role}": t(f"shapes.role.{role}") for role in ROLES}
    for key in ("forward", "backward", "more", "layer_dir"):
        labels[key] = t(f"shapes.fig.{key}")
    return labels


def render_blocks(rep) -> None:
    st.plotly_chart(tensor_blocks(rep, block_labels()), width="stretch", key="shapes_blocks")


# ------------------------------------------------------------------------------------------- parameters
def param_table(rep, model: LSTM) -> pd.DataFrame:
    real = {name: tuple(p.shape) for name, p in model.named_parameters()}
    rows = []
    for p in rep.params:
        kind = p.name.split("_l")[0]  # weight_ih, weight_hh, bias_ih, bias_hh, weight_hr
        rows.append({t("shapes.col.param"): p.name, t("shapes.col.shape"): shape_str(p.shape),
                     t("shapes.col.symbolic"): p.symbolic, t("shapes.col.count"): p.count,
                     t("shapes.col.role"): t(f"shapes.param.{kind}"),
                     t("shapes.col.torch"): OK if real.get(p.name) == p.shape else BAD})
    return pd.DataFrame(rows)


def sharing_table(cfg: LSTMConfig, batch_size: int, seq_len: int) -> pd.DataFrame:
    """Parameter count vs output size for several sequence lengths: only the output grows."""
    lengths = sorted({1, seq_len, min(10 * seq_len, 1000)})
    rows = []
    for length in lengths:
        rep = shapes(cfg, batch_size=batch_size, seq_len=length)
        numel = 1
        for s in rep.tensors["output"].shape:
            numel *= s
        rows.append({"seq_len": length, t("shapes.col.total_params"): rep.total_params,
                     t("shapes.col.output_numbers"): numel})
    return pd.DataFrame(rows)


def render_params(rep, model: LSTM) -> None:
    table = param_table(rep, model)
    real_total = sum(p.numel() for p in model.parameters())
    st.dataframe(table, hide_index=True, width="stretch", height="content",
                 column_config={t("shapes.col.role"): st.column_config.TextColumn(width="large")})
    col1, col2 = st.columns([1, 2])
    col1.metric(t("shapes.total_params"), f"{rep.total_params:,}")
    if real_total != rep.total_params or BAD in set(table[t("shapes.col.torch")]):
        st.error(t("shapes.params_mismatch", real=real_total, predicted=rep.total_params))
    col2.markdown(t("shapes.sharing", total=f"{rep.total_params:,}", seq_len=rep.seq_len))
    col2.dataframe(sharing_table(rep.config, rep.batch_size, rep.seq_len), hide_index=True)
    _seq_len_change(rep, col1)


def _seq_len_change(rep, where) -> None:
    """After the learner moved seq_len (nothing else): parameters before/after vs output size before/after."""
    numel = 1
    for s in rep.tensors["output"].shape:
        numel *= s
    now = (rep.config, rep.batch_size, rep.seq_len, rep.total_params, numel)
    before = st.session_state.get("_shapes_last")
    st.session_state["_shapes_last"] = now
    if before and before[:2] == now[:2] and before[2] != now[2]:
        where.info(t("shapes.seq_len_changed", old=before[2], new=now[2], params_old=f"{before[3]:,}",
                     params_new=f"{now[3]:,}", out_old=f"{before[4]:,}", out_new=f"{now[4]:,}"), icon="🔁")


# -------------------------------------------------------------------------------------- correspondences
@dataclass
class Check:
    claim: str  # code a reader can type, with the current numbers
    diff: float  # max |left - right|
    expect_equal: bool = True  # False: a common mistake, shown to differ

    @property
    def ok(self) -> bool:
        return (self.diff <= TOL) == self.expect_equal


def correspondence_checks(model: LSTM, data: torch.Tensor) -> list[Check]:
    """The facts about output / h_n / c_n, each evaluated on `model` and the batch-major `data` (B, T, I)."""
    cfg = model.config
    num_l, num_d, hh = cfg.num_layers, cfg.num_directions, cfg.h_out
    batch_size = data.shape[0]
    x = data if cfg.batch_first else data.transpose(0, 1)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
        tr = trace(model, x)
    last, first = ("[:, -1, ", "[:, 0, ") if cfg.batch_first else ("[-1, :, ", "[0, :, ")
    out_tm = out.transpose(0, 1) if cfg.batch_first else out  # (T, B, D*H_out)
    top_fwd = (num_l - 1) * num_d

    def diff(a, b) -> float:
        return float((a - b).abs().max())

    checks = [Check(f"output{last}:{hh}] == h_n[{top_fwd}]", diff(out_tm[-1, :, :hh], h_n[top_fwd]))]
    if num_d == 2:
        checks.append(Check(f"output{first}{hh}:] == h_n[{top_fwd + 1}]", diff(out_tm[0, :, hh:], h_n[top_fwd + 1])))
        if data.shape[1] > 1:  # the mistake: with one step both readings coincide
            checks.append(Check(f"output{last}{hh}:] == h_n[{top_fwd + 1}]",
                                diff(out_tm[-1, :, hh:], h_n[top_fwd + 1]), expect_equal=False))
    view = h_n.view(num_l, num_d, batch_size, hh)
    for layer in range(num_l):
        for d in range(num_d):
            lt = tr[layer, d]
            final = lt.h[lt.visit_order[-1]]  # the state this direction ended in
            checks.append(Check(f"h_n.view({num_l}, {num_d}, {batch_size}, {hh})[{layer}, {d}] == "
                                f"h_n[{layer * num_d + d}] == {t('shapes.final_state', layer=layer, d=d)}",
                                max(diff(view[layer, d], h_n[layer * num_d + d]), diff(view[layer, d], final))))
    checks += _batch_first_checks(model, data, out, h_n, c_n)
    return checks


def _batch_first_checks(model: LSTM, data, out, h_n, c_n) -> list[Check]:
    """The same weights with batch_first flipped: output is the transpose, h_n and c_n are identical."""
    cfg = model.config
    flipped = replace(cfg, batch_first=not cfg.batch_first).build(seed=0)
    flipped.load_state_dict(model.state_dict())
    flipped.eval()
    x_other = data if not cfg.batch_first else data.transpose(0, 1)
    with torch.no_grad():
        out2, (h2, c2) = flipped(x_other)
    other = f"batch_first={not cfg.batch_first}"
    same_state = tuple(h2.shape) == tuple(h_n.shape) and tuple(c2.shape) == tuple(c_n.shape)
    return [
        Check(f"output.transpose(0, 1) == output[{other}]  # {shape_str(out.shape)} ↔ {shape_str(out2.shape)}",
              float((out.transpose(0, 1) - out2).abs().max())),
        Check(f"h_n == h_n[{other}], c_n == c_n[{other}]  # {shape_str(h_n.shape)}, {shape_str(c_n.shape)}",
              max(float((h_n - h2).abs().max()), float((c_n - c2).abs().max())) if same_state else float("inf")),
    ]


def render_checks(checks: list[Check]) -> None:
    rows = [{t("shapes.col.claim"): c.claim, t("shapes.col.max_diff"): f"{c.diff:.2e}",
             t("shapes.col.expected"): t("shapes.equal" if c.expect_equal else "shapes.differs"),
             t("shapes.col.verdict"): OK if c.ok else BAD} for c in checks]
    if all(c.ok for c in checks):
        st.success(t("shapes.checks_ok", n=len(checks)), icon="✅")
    else:
        st.error(t("shapes.checks_bad", n=sum(not c.ok for c in checks)))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={t("shapes.col.claim"): st.column_config.TextColumn(width="large")})


def render_final_values(model: LSTM, data: torch.Tensor) -> None:
    """The two vectors of the first check side by side for sequence 0."""
    cfg = model.config
    x = data if cfg.batch_first else data.transpose(0, 1)
    with torch.no_grad():
        out, (h_n, _) = model(x)
    out_tm = out.transpose(0, 1) if cfg.batch_first else out
    top = (cfg.num_layers - 1) * cfg.num_directions
    frame = pd.DataFrame({
        t("shapes.vec.output_last"): out_tm[-1, 0, : cfg.h_out].numpy(),
        t("shapes.vec.h_n_top", index=top): h_n[top, 0].numpy(),
    }).T
    st.dataframe(frame.round(5), width="stretch")


# ------------------------------------------------------------------------------------ unbatched, packed
def packed_lengths(batch_size: int, seq_len: int) -> list[int]:
    """Example ragged lengths: the first sequence full, each next one shorter (at least 1)."""
    return [max(1, seq_len - b) for b in range(batch_size)]


def unbatched_diff(model: LSTM, data: torch.Tensor) -> float:
    """max |unbatched run of sequence 0 − batched run's sequence 0| over output, h_n, c_n."""
    cfg = model.config
    x = data if cfg.batch_first else data.transpose(0, 1)
    with torch.no_grad():
        out, (h_n, c_n) = model(x)
        out1, (h1, c1) = model(data[0])
    out0 = out[0] if cfg.batch_first else out[:, 0]
    return max(float((out1 - out0).abs().max()), float((h1 - h_n[:, 0]).abs().max()),
               float((c1 - c_n[:, 0]).abs().max()))


@dataclass
class PackedFacts:
    batch_sizes: list[int]
    last_step_diff: float  # max |h_n (top forward) − padded output at each sequence's own last step|
    padding_diff: float  # max |h_n(packed) − h_n(padded, not packed)| over the shorter sequences


def packed_facts(model: LSTM, data: torch.Tensor, lengths: list[int]) -> PackedFacts:
    cfg = model.config
    padded = data.clone()
    for b, n in enumerate(lengths):
        padded[b, n:] = 0.0
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    with torch.no_grad():
        out_p, (h_p, _) = model(packed)
        plain = padded if cfg.batch_first else padded.transpose(0, 1)
        _, (h_plain, _) = model(plain)
    unpacked, _ = pad_packed_sequence(out_p, batch_first=True)  # (B, T_max, D*H_out)
    top = (cfg.num_layers - 1) * cfg.num_directions
    at_end = torch.stack([unpacked[b, n - 1, : cfg.h_out] for b, n in enumerate(lengths)])
    short = [b for b, n in enumerate(lengths) if n < data.shape[1]]
    pad_diff = float((h_p[:, short] - h_plain[:, short]).abs().max()) if short else 0.0
    return PackedFacts(packed.batch_sizes.tolist(), float((at_end - h_p[top]).abs().max()), pad_diff)


def render_form(model: LSTM, cfg: LSTMConfig, data: torch.Tensor, form: str, lengths=None) -> None:
    """One tab: `form` is "unbatched" or "packed" (with the input's own `lengths`, else example ones)."""
    batch_size, seq_len = data.shape[0], data.shape[1]
    lengths = (list(lengths) if lengths else packed_lengths(batch_size, seq_len)) if form == "packed" else None
    rep = shapes(cfg, batch_size=batch_size, seq_len=seq_len, form=form, lengths=lengths)
    st.markdown(t(f"shapes.{form}.intro"))
    render_tensor_table(model, rep, data, lengths)
    if form == "unbatched":
        st.markdown(t("shapes.unbatched.same", diff=f"{unbatched_diff(model, data):.2e}"))
        return
    facts = packed_facts(model, data, lengths)
    st.markdown(t("shapes.packed.facts", lengths=lengths, batch_sizes=facts.batch_sizes,
                  end_diff=f"{facts.last_step_diff:.2e}", pad_diff=f"{facts.padding_diff:.2e}"))
