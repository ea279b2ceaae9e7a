"""The facts about ``torch.nn.LSTM`` the app demonstrates, each by ONE function that every page showing it
calls (Shapes, Pitfalls, Proof), plus the tools they share. torch only, no UI.

Every fact runs real tensors through the real ``torch.nn.LSTM`` (`reference`, float64, eval mode, the
learner's weights when their shapes fit) on exactly the configuration it is given, and returns a small
dataclass of live evidence (shapes as tuples, max |Δ| as floats, captured messages). A page that needs a
configuration the learner lacks (e.g. ``bidirectional=True``) changes it first (`changed`, `grow`) and says so.

==================  ==========================================================  =========================
fact                what it shows                                               shown on
==================  ==========================================================  =========================
`batch_first`       transposes input and output only; h_n/c_n never             Shapes, Pitfalls 1
`last_step`         output's last step = forward h_n; backward h_n = step 0     Shapes, Pitfalls 2, claim
`hn_layout`         h_n[layer·D + direction]; h_n.view(num_layers, D, B, H)     Shapes, Pitfalls 3, claim
`padding`           packed: h_n at each real end; padded (not packed): changed  Shapes, Pitfalls 4
`dropout`           between layers, training mode only; none with one layer     Proof, Pitfalls 5
`unbatched`         a 2-D input is one sequence: no batch axis anywhere         Shapes, Pitfalls 10
==================  ==========================================================  =========================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstm_core.lstm import param_name

from .layout import batch_major, model_input, time_major

DTYPE = torch.float64
MAX_DEMO_BATCH = 4
MAX_DEMO_STEPS = 24


# ------------------------------------------------------------------------------------------------ tools
def max_abs(a: Tensor, b: Tensor) -> float:
    """max |a - b| as a Python float (0.0 for empty tensors)."""
    d = (a.detach().to(DTYPE) - b.detach().to(DTYPE)).abs()
    return float(d.max()) if d.numel() else 0.0


def shape(t: Tensor) -> tuple[int, ...]:
    """A tensor's (or a PackedSequence's data) shape as a tuple of ints."""
    return tuple(int(s) for s in (t.data if isinstance(t, PackedSequence) else t).shape)


def quiet_lstm(cfg, dtype=DTYPE) -> nn.LSTM:
    """``torch.nn.LSTM(**cfg.kwargs())`` in ``dtype`` without its one-layer-dropout warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nn.LSTM(**cfg.kwargs()).to(dtype)


def reference(cfg, state_dict=None, seed: int = 0) -> nn.LSTM:
    """``torch.nn.LSTM(**cfg.kwargs())`` in float64, eval mode, with ``state_dict`` when its shapes fit,
    else with the weights ``torch.manual_seed(seed)`` gives (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        m = quiet_lstm(cfg)
    if state_dict is not None:
        own = m.state_dict()
        if set(own) == set(state_dict) and all(own[k].shape == state_dict[k].shape for k in own):
            m.load_state_dict({k: v.detach().to(DTYPE) for k, v in state_dict.items()})
    return m.eval()


def changed(cfg, changes: dict):
    """``cfg`` with the configuration fields of ``changes`` applied (batch_size/seq_len are the input's)."""
    fields = {k: v for k, v in changes.items() if k not in ("batch_size", "seq_len")}
    return replace(cfg, **fields) if fields else cfg


def grow(x: Tensor, b_min: int = 1, t_min: int = 1, seed: int = 0) -> tuple[Tensor, dict]:
    """x (B, T, I) batch-major, enlarged with seeded random rows/steps to at least (b_min, t_min); returns
    (x, changes) with the batch_size/seq_len it had to change."""
    changes: dict = {}
    b, t, i = x.shape
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 7)
        if t < t_min:
            x = torch.cat([x, torch.randn(b, t_min - t, i, dtype=x.dtype)], dim=1)
            changes["seq_len"] = t_min
        if b < b_min:
            x = torch.cat([x, torch.randn(b_min - b, x.shape[1], i, dtype=x.dtype)], dim=0)
            changes["batch_size"] = b_min
    return x, changes


def error_of(fn) -> str | None:
    """Run fn; return the message of the exception it raises (None if it ran)."""
    try:
        with torch.no_grad():
            fn()
    except Exception as e:  # noqa: BLE001 — the message itself is the evidence we show
        return str(e)
    return None


def layer_finals(ref: nn.LSTM, x_tm: Tensor) -> dict[tuple[int, int], Tensor]:
    """Final hidden state of every (layer, direction), found by running each layer ALONE as a one-layer LSTM
    with that layer's weights on the previous layer's output (eval mode). x_tm is time-major (T, B, I)."""
    finals = {}
    inp = x_tm
    d = 2 if ref.bidirectional else 1
    sd = ref.state_dict()
    kinds = [name.split("_l0")[0] for name in sd if name.endswith("_l0")]  # weight_ih, weight_hh, ...
    for layer in range(ref.num_layers):
        sub = nn.LSTM(inp.shape[-1], ref.hidden_size, 1, bias=ref.bias, bidirectional=ref.bidirectional,
                      proj_size=ref.proj_size).to(DTYPE).eval()
        sub.load_state_dict({param_name(kind, 0, direction): sd[param_name(kind, layer, direction)]
                             for kind in kinds for direction in range(d)})
        with torch.no_grad():
            inp, (h, _) = sub(inp)
        for direction in range(d):
            finals[(layer, direction)] = h[direction]
    return finals


def demo_input(x_bm: Tensor, lengths=None) -> tuple[Tensor, list[int] | None, dict]:
    """The input the demos run on: the first MAX_DEMO_BATCH sequences and MAX_DEMO_STEPS steps of x_bm
    (every demo runs several forward passes; the confusions do not depend on the size). Returns
    (x, lengths, trimmed); trimmed holds the batch_size/seq_len used when the input was cut, else {}."""
    b, t = int(x_bm.shape[0]), int(x_bm.shape[1])
    nb, nt = min(b, MAX_DEMO_BATCH), min(t, MAX_DEMO_STEPS)
    trimmed = {"batch_size": nb, "seq_len": nt} if (nb, nt) != (b, t) else {}
    x = x_bm.detach()[:nb, :nt]
    if lengths is not None:
        lengths = [min(int(n), nt) for n in list(lengths)[:nb]]
    return x, lengths, trimmed


def packed_lengths(batch_size: int, seq_len: int, lengths=None) -> list[int]:
    """The lengths a packing demonstration uses: the input's own when they vary, else the example
    T, T-1, ... (at least 1): the first sequence full, each next one shorter."""
    if lengths is not None and len(set(int(v) for v in lengths)) > 1:
        return [int(v) for v in lengths]
    return [max(1, seq_len - k) for k in range(batch_size)]


def _run(ref: nn.LSTM, cfg, x_bm: Tensor, hx=None):
    with torch.no_grad():
        return ref(batch_major(x_bm.to(DTYPE), cfg.batch_first), hx)


# ------------------------------------------------------------------------------------------- batch_first
@dataclass(frozen=True)
class BatchFirstFact:
    """``batch_first`` transposes input and output; h_n and c_n are the same tensors either way."""

    batch_first: bool
    input_shape: tuple  # as the model takes it
    output_shape: tuple
    h_n_shape: tuple
    c_n_shape: tuple
    h_n_0_shape: tuple
    h_n_t_shape: tuple  # h_n.transpose(0, 1): what a batch-first h_n would look like (it is not)
    flipped_output_shape: tuple  # with batch_first flipped, the same weights
    batch: int
    seq_len: int
    rows: int  # num_layers · D
    delta_last: float  # max |h_n[top forward] − output at the last step, first half|
    delta_output_transposed: float  # max |output.transpose(0, 1) − output with batch_first flipped|
    delta_state: float  # max |(h_n, c_n) − the flipped model's (h_n, c_n)| (inf when the shapes differ)


def batch_first(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> BatchFirstFact:
    """Run ``cfg`` and ``cfg`` with batch_first flipped on the same weights and batch-major input x_bm."""
    ref = reference(cfg, state_dict, seed)
    flip = changed(cfg, {"batch_first": not cfg.batch_first})
    out, (h, c) = _run(ref, cfg, x_bm)
    out2, (h2, c2) = _run(reference(flip, ref.state_dict(), seed), flip, x_bm)
    top = (cfg.num_layers - 1) * cfg.num_directions
    same = shape(h) == shape(h2) and shape(c) == shape(c2)
    return BatchFirstFact(
        batch_first=cfg.batch_first, input_shape=shape(batch_major(x_bm, cfg.batch_first)),
        output_shape=shape(out), h_n_shape=shape(h), c_n_shape=shape(c), h_n_0_shape=shape(h[0]),
        h_n_t_shape=shape(h.transpose(0, 1)), flipped_output_shape=shape(out2),
        batch=int(x_bm.shape[0]), seq_len=int(x_bm.shape[1]), rows=cfg.num_layers * cfg.num_directions,
        delta_last=max_abs(h[top], time_major(out, cfg.batch_first)[-1, :, : cfg.h_out]),
        delta_output_transposed=max_abs(out.transpose(0, 1), out2),
        delta_state=max(max_abs(h, h2), max_abs(c, c2)) if same else float("inf"))


# --------------------------------------------------------------------------------------------- last step
@dataclass(frozen=True)
class LastStepFact:
    """What output's first and last steps hold. Bidirectional only: the ``*_right``/``*_wrong`` fields."""

    H: int  # H_out: width of one direction's half of output
    top: int  # h_n row of the top layer's forward direction, (num_layers-1)·D
    fwd_expr: str  # output at the last step, forward half
    delta_fwd: float  # max |h_n[top] − fwd_expr|
    right_expr: str | None = None  # output at step 0, backward half
    wrong_expr: str | None = None  # output at the last step, backward half (the mistake)
    delta_right: float | None = None  # max |h_n[top + 1] − right_expr|
    delta_wrong: float | None = None  # max |h_n[top + 1] − wrong_expr| (0 only when T = 1)
    h_n_backward: list = field(default_factory=list)  # h_n[top + 1] of sequence 0, first 4 values
    right_values: list = field(default_factory=list)
    wrong_values: list = field(default_factory=list)
    seq0_output_last: list = field(default_factory=list)  # sequence 0: output's last step, forward half ...
    seq0_h_n_top: list = field(default_factory=list)  # ... and h_n[top], every value


def last_step(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> LastStepFact:
    out, (h, _) = _run(reference(cfg, state_dict, seed), cfg, x_bm)
    out = time_major(out, cfg.batch_first)  # (T, B, D·H_out)
    hh, top = cfg.h_out, (cfg.num_layers - 1) * cfg.num_directions
    last, first = ("[:, -1, ", "[:, 0, ") if cfg.batch_first else ("[-1, :, ", "[0, :, ")
    fact = LastStepFact(H=hh, top=top, fwd_expr=f"output{last}:{hh}]", delta_fwd=max_abs(h[top], out[-1, :, :hh]),
                        seq0_output_last=out[-1, 0, :hh].tolist(), seq0_h_n_top=h[top, 0].tolist())
    if not cfg.bidirectional:
        return fact

    def four(v):
        return [round(float(a), 4) for a in v[:4]]

    return replace(fact, right_expr=f"output{first}{hh}:]", wrong_expr=f"output{last}{hh}:]",
                   delta_right=max_abs(h[top + 1], out[0, :, hh:]), delta_wrong=max_abs(h[top + 1], out[-1, :, hh:]),
                   h_n_backward=four(h[top + 1, 0]), right_values=four(out[0, 0, hh:]),
                   wrong_values=four(out[-1, 0, hh:]))


# -------------------------------------------------------------------------------------------- h_n layout
@dataclass(frozen=True)
class HnRow:
    row: int  # index into h_n
    layer: int  # the (layer, direction) whose final state this row equals
    direction: int
    delta: float  # max |h_n[row] − that final state|


@dataclass(frozen=True)
class HnLayoutFact:
    """h_n[layer·D + direction]: each row against every layer's final state computed on its own."""

    L: int  # num_layers
    D: int
    h_n_shape: tuple
    h_n_0_shape: tuple
    rows: tuple[HnRow, ...]  # the best-matching (layer, direction) of every row of h_n
    row_deltas: tuple[float, ...]  # max |h_n[layer·D + d] − final (layer, d)| and h_n.view(...)[layer, d]
    good_view: str  # h_n.view(num_layers, D, B, H_out)[layer, direction]
    bad_view: str  # h_n.view(D, num_layers, B, H_out)[direction, layer]
    delta_good: float
    delta_bad: float
    wrong_pairs: tuple[tuple[int, int], ...]  # (layer, direction) pairs the bad view gets wrong


def hn_layout(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> HnLayoutFact:
    ref = reference(cfg, state_dict, seed)
    _, (h, _) = _run(ref, cfg, x_bm)
    finals = layer_finals(ref, x_bm.to(DTYPE).transpose(0, 1))
    n_l, n_d, b, w = cfg.num_layers, cfg.num_directions, h.shape[1], h.shape[2]
    rows = []
    for r in range(h.shape[0]):
        deltas = {key: max_abs(h[r], f) for key, f in finals.items()}
        layer, direction = min(deltas, key=deltas.get)
        rows.append(HnRow(r, layer, direction, deltas[(layer, direction)]))
    good, bad = h.view(n_l, n_d, b, w), h.view(n_d, n_l, b, w)
    return HnLayoutFact(
        L=n_l, D=n_d, h_n_shape=shape(h), h_n_0_shape=shape(h[0]), rows=tuple(rows),
        row_deltas=tuple(max(max_abs(good[lay, d], h[lay * n_d + d]), max_abs(good[lay, d], finals[(lay, d)]))
                         for lay in range(n_l) for d in range(n_d)),
        good_view=f"h_n.view({n_l}, {n_d}, {b}, {w})[layer, direction]",
        bad_view=f"h_n.view({n_d}, {n_l}, {b}, {w})[direction, layer]",
        delta_good=max(max_abs(good[lay, d], f) for (lay, d), f in finals.items()),
        delta_bad=max(max_abs(bad[d, lay], f) for (lay, d), f in finals.items()),
        wrong_pairs=tuple((lay, d) for (lay, d), f in finals.items() if max_abs(bad[d, lay], f) > 0))


# ----------------------------------------------------------------------------------------------- padding
@dataclass(frozen=True)
class SeqPadding:
    seq: int
    length: int
    delta_padded: float  # max |h_n padded-not-packed − h_n packed| of this sequence
    delta_packed_alone: float  # max |h_n packed − this sequence run alone, unpadded|


@dataclass(frozen=True)
class PaddingFact:
    lengths: list[int]
    T: int
    batch_sizes: list[int]  # PackedSequence.batch_sizes: how many sequences are still running at each step
    per_seq: tuple[SeqPadding, ...]
    delta_padded: float  # worst over the sequences: padding without packing changes h_n
    delta_packed: float  # worst over the sequences: packed = each sequence alone
    delta_last_step: float  # max |h_n[top forward] − (padded-back) output at each sequence's own last step|


def padding(cfg, state_dict, x_bm: Tensor, lengths, seed: int = 0) -> PaddingFact:
    """x_bm (B, T, I) with real ``lengths``: packed vs padded-not-packed vs each sequence alone."""
    ref = reference(cfg, state_dict, seed)
    lens = [int(n) for n in lengths]
    x = x_bm.to(DTYPE).clone()
    for k, n in enumerate(lens):
        x[k, n:] = 0.0  # padding value
    packed = model_input(cfg, x, lens)
    _, (h_pad, _) = _run(ref, cfg, x)
    with torch.no_grad():
        out_pack, (h_pack, _) = ref(packed)
    alone = [_run(ref, cfg, x[k: k + 1, :n])[1][0][:, 0] for k, n in enumerate(lens)]
    per_seq = tuple(SeqPadding(k, n, max_abs(h_pad[:, k], h_pack[:, k]), max_abs(h_pack[:, k], alone[k]))
                    for k, n in enumerate(lens))
    unpacked, _ = pad_packed_sequence(out_pack, batch_first=True)  # (B, T_max, D·H_out)
    at_end = torch.stack([unpacked[b, n - 1, : cfg.h_out] for b, n in enumerate(lens)])
    top = (cfg.num_layers - 1) * cfg.num_directions
    return PaddingFact(lengths=lens, T=int(x.shape[1]), batch_sizes=packed.batch_sizes.tolist(),
                       per_seq=per_seq, delta_padded=max(s.delta_padded for s in per_seq),
                       delta_packed=max(s.delta_packed_alone for s in per_seq),
                       delta_last_step=max_abs(at_end, h_pack[top]))


# ----------------------------------------------------------------------------------------------- dropout
@dataclass(frozen=True)
class DropoutFact:
    """Two runs each in training and eval mode, one layer and several, torch's (and optionally our engine's)."""

    p: float  # the dropout used: the configuration's when in (0, 1), else 0.5
    config: object  # the deep configuration run (at least two layers, dropout p)
    changes_one: dict  # configuration fields changed for the one-layer run
    changes_deep: dict  # ... and for the deep run (empty: the current configuration as it is)
    deep_layers: int
    warning: str | None  # what torch warns for dropout with one layer
    delta_one_train: float  # one layer, training mode, two runs: 0 (nothing to drop)
    delta_one_vs_nodrop: float  # one layer with dropout p vs dropout 0: 0
    delta_train: float  # deep, training mode, two runs: different masks, different outputs
    delta_eval: float  # deep, eval mode, two runs: 0
    delta_eval_vs_nodrop: float  # deep, eval mode, dropout p vs dropout 0: 0
    delta_train_vs_eval: float
    engine_train_diff: float | None = None  # our engine, training mode, two runs
    engine_eval_diff: float | None = None  # our engine, eval mode, two runs (0)
    engine_eval_vs_torch: float | None = None  # our engine's eval output vs torch's

    @property
    def adjusted(self) -> bool:
        """True when the current configuration had no effective dropout and the deep run changed it."""
        return bool(self.changes_deep)


def dropout(cfg, state_dict, x_bm: Tensor, lengths=None, seed: int = 0, engine=None) -> DropoutFact:
    """Dropout acts between layers (none with one layer) and only in training mode. ``engine``: our LSTM
    class, built like ``engine(**config.kwargs(), dtype=...)``, run beside torch on the same weights."""
    p = float(cfg.dropout) if 0 < cfg.dropout < 1 else 0.5

    def out(model, c, train: bool, run: int) -> Tensor:
        model.train(train)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed * 1000 + run)
            y = model(model_input(c, x_bm.to(DTYPE), lengths))[0]
        return y.data if isinstance(y, PackedSequence) else y

    def two_runs(model, c, train: bool) -> tuple[Tensor, Tensor]:
        return out(model, c, train, 1), out(model, c, train, 2)

    def ref(c):
        return reference(c, state_dict, seed)

    one = replace(cfg, num_layers=1, dropout=p)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.LSTM(**one.kwargs())
    warning = next((str(w.message) for w in caught if "dropout" in str(w.message)), None)
    a1, a2 = two_runs(ref(one), one, True)
    one_nodrop = out(ref(replace(one, dropout=0.0)), one, True, 1)
    deep = replace(cfg, num_layers=max(2, cfg.num_layers), dropout=p)
    torch_deep = ref(deep)
    t1, t2 = two_runs(torch_deep, deep, True)
    e1, e2 = two_runs(torch_deep, deep, False)
    e0 = out(ref(replace(deep, dropout=0.0)), deep, False, 1)
    engine_fields = {}
    if engine is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = engine(**deep.kwargs(), dtype=DTYPE)
        ours.load_state_dict(torch_deep.state_dict())
        o1, o2 = two_runs(ours, deep, True)
        engine_fields = {"engine_train_diff": max_abs(o1, o2),
                         "engine_eval_diff": max_abs(*two_runs(ours, deep, False)),
                         "engine_eval_vs_torch": max_abs(out(ours, deep, False, 1), e1)}
    return DropoutFact(
        p=p, config=deep, deep_layers=deep.num_layers, warning=warning,
        changes_one={k: v for k, v in (("num_layers", 1), ("dropout", p)) if getattr(cfg, k) != v},
        changes_deep={k: v for k, v in (("num_layers", deep.num_layers), ("dropout", p)) if getattr(cfg, k) != v},
        delta_one_train=max_abs(a1, a2), delta_one_vs_nodrop=max_abs(a1, one_nodrop),
        delta_train=max_abs(t1, t2), delta_eval=max_abs(e1, e2), delta_eval_vs_nodrop=max_abs(e1, e0),
        delta_train_vs_eval=max_abs(t1, e1), **engine_fields)


# --------------------------------------------------------------------------------------------- unbatched
@dataclass(frozen=True)
class UnbatchedFact:
    """A 2-D input (T, I) is one unbatched sequence: output (T, D·H_out), h_n (num_layers·D, H_out), whatever
    batch_first says; h0/c0 must then be 2-D too."""

    input_shape: tuple
    output_shape: tuple
    h_n_shape: tuple
    c_n_shape: tuple
    delta_vs_batched: float  # max |unbatched run of sequence 0 − the batched run's sequence 0| (output, h_n, c_n)
    h0_given: tuple  # a 3-D h0 for a 2-D input ...
    message: str | None  # ... which torch refuses with this message
    engine_message: str | None = None  # what our engine says to the same call
    engine_agrees: bool | None = None


def unbatched(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> UnbatchedFact:
    ref = reference(cfg, state_dict, seed)
    x1 = x_bm[0].to(DTYPE)  # (T, I)
    rows = cfg.num_layers * cfg.num_directions
    with torch.no_grad():
        out, (h, c) = ref(x1)
    out_b, (h_b, c_b) = _run(ref, cfg, x_bm)
    h0 = torch.zeros(rows, 1, cfg.h_out, dtype=DTYPE)
    c0 = torch.zeros(rows, 1, cfg.hidden_size, dtype=DTYPE)
    msg = error_of(lambda: ref(x1, (h0, c0)))
    engine_msg = agrees = None
    if engine_model is not None:
        dt = next(engine_model.parameters()).dtype
        engine_msg = error_of(lambda: engine_model(x1.to(dt), (h0.to(dt), c0.to(dt))))
        agrees = engine_msg == msg
    return UnbatchedFact(
        input_shape=shape(x1), output_shape=shape(out), h_n_shape=shape(h), c_n_shape=shape(c),
        delta_vs_batched=max(max_abs(out, batch_major(out_b, cfg.batch_first)[0]), max_abs(h, h_b[:, 0]),
                             max_abs(c, c_b[:, 0])),
        h0_given=shape(h0), message=msg, engine_message=engine_msg, engine_agrees=agrees)
