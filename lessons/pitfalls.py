"""Live demonstrations of common ``torch.nn.LSTM`` confusions — torch + numpy only, no UI.

Every demonstration runs real tensors through the real ``torch.nn.LSTM`` (the subject of the confusions) on
the learner's current configuration, weights and input, and returns plain data (shapes as tuples, max |Δ|
as floats, booleans, captured error messages) that the Pitfalls page renders and tests recompute.

When a confusion needs something the current configuration lacks (e.g. ``bidirectional=True``), the demo runs
on the current configuration changed minimally and records the change in ``Demo.changes``; the current
weights are reused whenever the changed configuration has parameters of the same shapes.
All demos compute in float64 so that "equal" shows as an exact (or ~1e-16) zero.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from .facts import (  # noqa: F401 - MAX_DEMO_*, demo_input re-exported for the page
    DTYPE,
    MAX_DEMO_BATCH,
    MAX_DEMO_STEPS,
    Demo,
    _batch_major,
    _changed,
    _error,
    _grow,
    _layout,
    demo_input,
    layer_finals,
    max_abs,
    reference,
    shape,
)

PITFALLS = ("batch_first_state", "bidir_last", "layer_major", "padding", "dropout", "hidden_batch",
            "batch_first_missing", "two_bias", "proj", "unbatched")
CLAIMS = ("claim_batch_first_default", "claim_hn_rows", "claim_bidir_last")


# ----------------------------------------------------------------------------- the ten pitfalls

def batch_first_state(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """1. batch_first=True transposes input and output only; h_n/c_n stay (L·D, B, H_out)."""
    changes = {} if cfg.batch_first else {"batch_first": True}
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    with torch.no_grad():
        out, (h, cn) = ref(x_bm.to(DTYPE))
    d = c.num_directions
    h_top_fwd = h[(c.num_layers - 1) * d]
    return Demo("batch_first_state", changes, {
        "input_shape": shape(x_bm), "output_shape": shape(out), "h_n_shape": shape(h), "c_n_shape": shape(cn),
        "h_n_0_shape": shape(h[0]), "h_n_t_shape": shape(h.transpose(0, 1)),
        "batch": int(x_bm.shape[0]), "seq_len": int(x_bm.shape[1]), "rows": c.num_layers * d,
        # the forward top-layer state is output at the last step, read batch-first
        "delta_last": max_abs(h_top_fwd, out[:, -1, : c.h_out]),
    })


def _bidir_setup(cfg, state_dict, x_bm, seed):
    changes = {} if cfg.bidirectional else {"bidirectional": True}
    x_bm, grown = _grow(x_bm, 1, 2, seed)
    changes.update(grown)
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    with torch.no_grad():
        out, (h, _) = ref(_layout(x_bm.to(DTYPE), c.batch_first))
    return c, ref, x_bm, _batch_major(out, c.batch_first), h, changes


def bidir_last(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """2. Bidirectional: output at the last step holds the backward direction after ONE step; the backward
    final state is output at step 0, second half."""
    c, ref, x_bm, out, h, changes = _bidir_setup(cfg, state_dict, x_bm, seed)
    hh = c.h_out
    bf = c.batch_first
    return Demo("bidir_last", changes, {
        "H": hh,
        "wrong_expr": f"output[:, -1, {hh}:]" if bf else f"output[-1, :, {hh}:]",
        "right_expr": f"output[:, 0, {hh}:]" if bf else f"output[0, :, {hh}:]",
        "fwd_expr": f"output[:, -1, :{hh}]" if bf else f"output[-1, :, :{hh}]",
        "delta_wrong": max_abs(h[-1], out[:, -1, hh:]),
        "delta_right": max_abs(h[-1], out[:, 0, hh:]),
        "delta_fwd": max_abs(h[-2], out[:, -1, :hh]),
        "h_n_backward": [round(float(v), 4) for v in h[-1, 0, :4]],
        "wrong_values": [round(float(v), 4) for v in out[0, -1, hh: hh + 4]],
        "right_values": [round(float(v), 4) for v in out[0, 0, hh: hh + 4]],
    })


def layer_major(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """3. h_n[layer·D + direction]: h_n.view(L, D, B, H_out) is right, h_n.view(D, L, B, H_out) is not."""
    changes = {}
    if cfg.num_layers < 2:
        changes["num_layers"] = 2
    if not cfg.bidirectional:
        changes["bidirectional"] = True
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x_tm = _layout(x_bm.to(DTYPE), False)
    with torch.no_grad():
        _, (h, _) = ref(_layout(x_bm.to(DTYPE), c.batch_first))
    finals = layer_finals(ref, x_tm)
    n_l, n_d, b, w = c.num_layers, c.num_directions, h.shape[1], h.shape[2]
    rows = []
    for r in range(h.shape[0]):
        deltas = {key: max_abs(h[r], f) for key, f in finals.items()}
        layer, direction = min(deltas, key=deltas.get)
        rows.append({"row": r, "layer": layer, "direction": direction, "delta": deltas[(layer, direction)]})
    good, bad = h.view(n_l, n_d, b, w), h.view(n_d, n_l, b, w)
    wrong_pairs = [(lay, d) for (lay, d), f in finals.items() if max_abs(bad[d, lay], f) > 0]
    return Demo("layer_major", changes, {
        "L": n_l, "D": n_d, "h_n_shape": shape(h), "rows": rows,
        "good_view": f"h_n.view({n_l}, {n_d}, {b}, {w})[layer, direction]",
        "bad_view": f"h_n.view({n_d}, {n_l}, {b}, {w})[direction, layer]",
        "delta_good": max(max_abs(good[lay, d], f) for (lay, d), f in finals.items()),
        "delta_bad": max(max_abs(bad[d, lay], f) for (lay, d), f in finals.items()),
        "wrong_pairs": wrong_pairs,
        "h_n_0_shape": shape(h[0]),
    })


def demo_lengths(x_bm: Tensor, lengths=None) -> list[int]:
    """The lengths the padding demo uses: the input's own when they vary, else T, T-1, ... (at least 1)."""
    b, t = int(x_bm.shape[0]), int(x_bm.shape[1])
    if lengths is not None and len(set(int(v) for v in lengths)) > 1:
        return [int(v) for v in lengths]
    return [max(1, t - k) for k in range(b)]


def padding(cfg, state_dict, x_bm: Tensor, lengths=None, seed: int = 0) -> Demo:
    """4. Padding without packing runs the padded steps too: h_n of every shorter sequence changes."""
    x_bm, changes = _grow(x_bm, 2, 2, seed)
    if "batch_size" in changes or "seq_len" in changes:
        lengths = None
    lens = demo_lengths(x_bm, lengths)
    ref = reference(cfg, state_dict, seed)
    x = x_bm.to(DTYPE).clone()
    for k, n in enumerate(lens):
        x[k, n:] = 0.0  # padding value
    with torch.no_grad():
        _, (h_pad, _) = ref(_layout(x, cfg.batch_first))
        packed = pack_padded_sequence(x, torch.tensor(lens), batch_first=True, enforce_sorted=False)
        _, (h_pack, _) = ref(packed)
        alone = []
        for k, n in enumerate(lens):
            _, (h_k, _) = ref(_layout(x[k: k + 1, :n], cfg.batch_first))
            alone.append(h_k[:, 0])
    per_seq = [{"seq": k, "length": n, "delta_padded": max_abs(h_pad[:, k], h_pack[:, k]),
                "delta_packed_alone": max_abs(h_pack[:, k], alone[k])} for k, n in enumerate(lens)]
    return Demo("padding", changes, {
        "lengths": lens, "T": int(x.shape[1]), "per_seq": per_seq,
        "delta_padded": max(s["delta_padded"] for s in per_seq),
        "delta_packed": max(s["delta_packed_alone"] for s in per_seq),
    })


def dropout(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """5. dropout acts between layers (none with one layer) and only in training mode."""
    p = float(cfg.dropout) if 0 < cfg.dropout < 1 else 0.5
    x = x_bm.to(DTYPE)

    def two_runs(c, train: bool):
        ref = reference(c, state_dict, seed).train(train)
        outs = []
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            for s in (1, 2):
                torch.manual_seed(seed * 1000 + s)
                outs.append(ref(_layout(x, c.batch_first))[0])
        return outs

    one = replace(cfg, num_layers=1, dropout=p)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.LSTM(**one.kwargs())
    warning = next((str(w.message) for w in caught if "dropout" in str(w.message)), None)
    a1, a2 = two_runs(one, train=True)
    one_nodrop = two_runs(replace(one, dropout=0.0), train=True)[0]
    deep = replace(cfg, num_layers=max(2, cfg.num_layers), dropout=p)
    t1, t2 = two_runs(deep, train=True)
    e1, e2 = two_runs(deep, train=False)
    e0 = two_runs(replace(deep, dropout=0.0), train=False)[0]
    changes_one = {k: v for k, v in (("num_layers", 1), ("dropout", p)) if getattr(cfg, k) != v}
    changes_deep = {k: v for k, v in (("num_layers", deep.num_layers), ("dropout", p))
                    if getattr(cfg, k) != v}
    return Demo("dropout", changes_deep, {
        "p": p, "warning": warning, "changes_one": changes_one, "changes_deep": changes_deep,
        "deep_layers": deep.num_layers,
        "delta_one_train": max_abs(a1, a2), "delta_one_vs_nodrop": max_abs(a1, one_nodrop),
        "delta_train": max_abs(t1, t2), "delta_eval": max_abs(e1, e2),
        "delta_eval_vs_nodrop": max_abs(e1, e0),
        "delta_train_vs_eval": max_abs(t1, e1),
    })


def hidden_batch(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> Demo:
    """6. h0/c0 built for another batch size: torch refuses with 'Expected hidden[0] size ...'."""
    ref = reference(cfg, state_dict, seed)
    b = int(x_bm.shape[0])
    rows, w, hid = cfg.num_layers * cfg.num_directions, cfg.h_out, cfg.hidden_size
    x = _layout(x_bm.to(DTYPE), cfg.batch_first)
    h0, c0 = torch.zeros(rows, b + 1, w, dtype=DTYPE), torch.zeros(rows, b + 1, hid, dtype=DTYPE)
    msg = _error(lambda: ref(x, (h0, c0)))
    engine_msg = None
    if engine_model is not None:
        dt = next(engine_model.parameters()).dtype
        engine_msg = _error(lambda: engine_model(x.to(dt), (h0.to(dt), c0.to(dt))))
    # the batch-first habit: h0 laid out (B, L·D, H_out) like the input
    bf_msg = None
    if b != rows:
        bf_msg = _error(lambda: ref(x, (torch.zeros(b, rows, w, dtype=DTYPE), torch.zeros(b, rows, hid,
                                                                                         dtype=DTYPE))))
    with torch.no_grad():
        out, _ = ref(x, (torch.zeros(rows, b, w, dtype=DTYPE), torch.zeros(rows, b, hid, dtype=DTYPE)))
    return Demo("hidden_batch", {}, {
        "batch": b, "wrong_batch": b + 1, "given_shape": (rows, b + 1, w), "expected_shape": (rows, b, w),
        "message": msg, "engine_message": engine_msg, "engine_agrees": engine_msg == msg,
        "bf_shape": (b, rows, w), "bf_message": bf_msg, "ok_output_shape": shape(out),
    })


def batch_first_missing(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """7. Batch-major data into a batch_first=False model runs silently: samples become time steps."""
    changes = {"batch_first": False} if cfg.batch_first else {}
    x_bm, grown = _grow(x_bm, 2, 1, seed)
    changes.update(grown)
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x = x_bm.to(DTYPE)
    x2 = x.clone()
    x2[0] += 1.0  # change sample 0 only
    err = None
    with torch.no_grad():
        try:
            wrong, _ = ref(x)  # (B, T, I) read as (T'=B, B'=T, I)
            wrong2, _ = ref(x2)
        except Exception as e:  # noqa: BLE001
            err = str(e)
        right, _ = ref(x.transpose(0, 1))
        right2, _ = ref(x2.transpose(0, 1))
    vals = {"input_shape": shape(x), "ran": err is None, "error": err,
            "seen_T": int(x.shape[0]), "seen_B": int(x.shape[1]),
            "delta_right_sample1": max_abs(right[:, 1], right2[:, 1])}
    if err is None:
        vals.update({"wrong_output_shape": shape(wrong), "right_output_shape": shape(right.transpose(0, 1)),
                     # in the wrong run, sample 1 is "time step 1": it now depends on sample 0
                     "delta_wrong_sample1": max_abs(wrong[1], wrong2[1]),
                     "delta_sample0": max_abs(wrong[0], right[:, 0])})
    return Demo("batch_first_missing", changes, vals)


def two_bias(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """8. bias_ih and bias_hh are both added: only their sum matters (the pair exists for cuDNN)."""
    changes = {} if cfg.bias else {"bias": True}
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x = _layout(x_bm.to(DTYPE), c.batch_first)
    sd = ref.state_dict()
    gen = torch.Generator().manual_seed(seed + 11)
    merged_sd, shifted_sd = dict(sd), dict(sd)
    for name in sd:
        if name.startswith("bias_ih"):
            hh = name.replace("bias_ih", "bias_hh")
            merged_sd[name], merged_sd[hh] = sd[name] + sd[hh], torch.zeros_like(sd[hh])  # all in b_ih
            s = 3 * torch.randn(sd[name].shape, generator=gen, dtype=DTYPE)
            shifted_sd[name], shifted_sd[hh] = sd[name] + s, sd[hh] - s  # same sum, different halves
    merged, shifted = reference(c, merged_sd, seed), reference(c, shifted_sd, seed)
    with torch.no_grad():
        out, _ = ref(x)
        out_m, _ = merged(x)
        out_s, _ = shifted(x)
    bias_names = [n for n, _ in ref.named_parameters() if n.startswith("bias")]
    n_bias = sum(p.numel() for n, p in ref.named_parameters() if n.startswith("bias"))
    return Demo("two_bias", changes, {
        "names": bias_names[:2], "bias_shape": shape(ref.bias_ih_l0), "count_bias": n_bias,
        "redundant": n_bias // 2,
        "total_params": sum(p.numel() for p in ref.parameters()),
        "delta_merged": max_abs(out, out_m), "delta_shifted": max_abs(out, out_s),
    })


def proj(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """9. proj_size > 0: h (and output) have proj_size features, c keeps hidden_size."""
    changes: dict = {}
    if cfg.proj_size == 0:
        if cfg.hidden_size < 2:
            changes["hidden_size"] = 2
        changes["proj_size"] = max(1, max(cfg.hidden_size, 2) // 2)
    c = _changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x = _layout(x_bm.to(DTYPE), c.batch_first)
    b, rows = int(x_bm.shape[0]), c.num_layers * c.num_directions
    with torch.no_grad():
        out, (h, cn) = ref(x)
    same = torch.zeros(rows, b, c.proj_size, dtype=DTYPE)
    msg = _error(lambda: ref(x, (same, same)))
    return Demo("proj", changes, {
        "P": c.proj_size, "H": c.hidden_size, "output_shape": shape(out), "h_n_shape": shape(h),
        "c_n_shape": shape(cn), "weight_hr_shape": shape(ref.weight_hr_l0),
        "weight_hh_shape": shape(ref.weight_hh_l0), "c0_given": shape(same), "message": msg,
    })


def unbatched(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> Demo:
    """10. A 2-D input (T, I) is one unbatched sequence: output (T, D·H_out), h_n (L·D, H_out), no batch dim,
    whatever batch_first says; h0/c0 must then be 2-D too."""
    ref = reference(cfg, state_dict, seed)
    x1 = x_bm[0].to(DTYPE)  # (T, I)
    rows = cfg.num_layers * cfg.num_directions
    with torch.no_grad():
        out, (h, cn) = ref(x1)
        out_b, (h_b, _) = ref(_layout(x1.unsqueeze(0), cfg.batch_first))
    h0 = torch.zeros(rows, 1, cfg.h_out, dtype=DTYPE)
    c0 = torch.zeros(rows, 1, cfg.hidden_size, dtype=DTYPE)
    msg = _error(lambda: ref(x1, (h0, c0)))
    engine_msg = None
    if engine_model is not None:
        dt = next(engine_model.parameters()).dtype
        engine_msg = _error(lambda: engine_model(x1.to(dt), (h0.to(dt), c0.to(dt))))
    return Demo("unbatched", {}, {
        "input_shape": shape(x1), "output_shape": shape(out), "h_n_shape": shape(h), "c_n_shape": shape(cn),
        "delta_vs_batched": max(max_abs(out, _batch_major(out_b, cfg.batch_first)[0]), max_abs(h, h_b[:, 0])),
        "h0_given": shape(h0), "message": msg, "engine_message": engine_msg,
        "engine_agrees": engine_msg == msg,
    })


# ----------------------------------------------------------------------------- the three tutorial claims

def claim_batch_first_default(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 003 says batch_first defaults to True. It does not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = nn.LSTM(cfg.input_size, cfg.hidden_size)
    engine_default = None
    try:
        from lstm_core import lstm as _lstm

        engine_default = bool(_lstm.LSTM(cfg.input_size, cfg.hidden_size).batch_first)
    except (ImportError, AttributeError):
        pass
    miss = batch_first_missing(cfg, state_dict, x_bm, seed)  # a model left at the default batch_first=False
    return Demo("claim_batch_first_default", miss.changes, {
        "torch_default": bool(default.batch_first), "engine_default": engine_default,
        "input_size": cfg.input_size, "hidden_size": cfg.hidden_size, **miss.values})


def claim_hn_rows(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 000 says h_n's first row holds all layers' forward states. h_n[0] is layer 0 forward only."""
    demo = layer_major(cfg, state_dict, x_bm, seed)
    return Demo("claim_hn_rows", demo.changes, dict(demo.values))


def claim_bidir_last(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 004's classifier reads output[:, -1] for both directions; its backward half saw one token."""
    demo = bidir_last(cfg, state_dict, x_bm, seed)
    c, ref, x_grown, out, _, _ = _bidir_setup(cfg, state_dict, x_bm, seed)
    # layer 0 run alone: its backward half at the last step equals the backward direction fed ONLY the
    # last token
    sub = nn.LSTM(c.input_size, c.hidden_size, 1, bias=c.bias, batch_first=True, bidirectional=True,
                  proj_size=c.proj_size).to(DTYPE).eval()
    sub.load_state_dict({k: v for k, v in ref.state_dict().items() if k.endswith(("_l0", "_l0_reverse"))})
    x = x_grown.to(DTYPE)
    hh = c.h_out
    with torch.no_grad():
        full, _ = sub(x)
        last_only, _ = sub(x[:, -1:])
    return Demo("claim_bidir_last", demo.changes, {
        **demo.values, "delta_one_token": max_abs(full[:, -1, hh:], last_only[:, 0, hh:]),
        "T": int(x.shape[1])})


def compute_all(cfg, state_dict, x_bm: Tensor, lengths=None, engine_model=None, seed: int = 0) -> list[Demo]:
    """All ten pitfalls then the three tutorial claims, on the current configuration/weights/input
    (x_bm batch-major (B, T, I); pass it through `demo_input` first to bound the cost)."""
    x_bm = x_bm.detach()
    with torch.random.fork_rng(devices=[]):  # modules draw from the global RNG: fork it
        return _all(cfg, state_dict, x_bm, lengths, engine_model, seed)


def _all(cfg, state_dict, x_bm, lengths, engine_model, seed):
    return [
        batch_first_state(cfg, state_dict, x_bm, seed),
        bidir_last(cfg, state_dict, x_bm, seed),
        layer_major(cfg, state_dict, x_bm, seed),
        padding(cfg, state_dict, x_bm, lengths, seed),
        dropout(cfg, state_dict, x_bm, seed),
        hidden_batch(cfg, state_dict, x_bm, engine_model, seed),
        batch_first_missing(cfg, state_dict, x_bm, seed),
        two_bias(cfg, state_dict, x_bm, seed),
        proj(cfg, state_dict, x_bm, seed),
        unbatched(cfg, state_dict, x_bm, engine_model, seed),
        claim_batch_first_default(cfg, state_dict, x_bm, seed),
        claim_hn_rows(cfg, state_dict, x_bm, seed),
        claim_bidir_last(cfg, state_dict, x_bm, seed),
    ]
