"""Live demonstrations of common ``torch.nn.LSTM`` confusions — torch + numpy only, no UI.

Every demonstration runs real tensors through the real ``torch.nn.LSTM`` (the subject of the confusions) on
the learner's current configuration, weights and input, and returns a `Demo`: its key, the configuration
changes it needed, and a small dataclass of evidence (shapes as tuples, max |Δ| as floats, captured error
messages) that the Pitfalls page renders and tests recompute. Five of them are facts other pages show too:
they call the one function in `lessons.facts` (batch_first, last_step, hn_layout, padding, dropout,
unbatched); the others live here.

When a confusion needs something the current configuration lacks (e.g. ``bidirectional=True``), the demo runs
on the current configuration changed minimally and records the change in ``Demo.changes``; the current
weights are reused whenever the changed configuration has parameters of the same shapes.
All demos compute in float64 so that "equal" shows as an exact (or ~1e-16) zero.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from lstm_core.cell import param_name

from . import facts
from .facts import DTYPE, changed, error_of, grow, max_abs, reference, shape
from .layout import batch_major

PITFALLS = ("batch_first_state", "bidir_last", "layer_major", "padding", "dropout", "hidden_batch",
            "batch_first_missing", "two_bias", "proj", "unbatched")
CLAIMS = ("claim_batch_first_default", "claim_hn_rows", "claim_bidir_last")


@dataclass(frozen=True)
class Demo:
    """One demonstration: ``key`` names it, ``changes`` lists config fields (and batch_size/seq_len) changed
    from the current configuration to make it possible, ``evidence`` holds the live evidence (a dataclass)."""

    key: str
    changes: dict
    evidence: object

    @property
    def values(self) -> dict:
        """The evidence as one flat dict (nested evidence merged in): the placeholders of the page's text."""
        out: dict = {}
        for f in dataclasses.fields(self.evidence):
            v = getattr(self.evidence, f.name)
            if dataclasses.is_dataclass(v):
                out.update(Demo("", {}, v).values)
            else:
                out[f.name] = dataclasses.asdict(v) if dataclasses.is_dataclass(v) else _plain(v)
        return out


def _plain(v):
    if isinstance(v, (list, tuple)) and v and dataclasses.is_dataclass(v[0]):
        return [dataclasses.asdict(x) for x in v]
    return v


# ----------------------------------------------------------------------------- the ten pitfalls

def batch_first_state(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """1. batch_first=True transposes input and output only; h_n/c_n stay (num_layers·D, B, H_out)."""
    changes = {} if cfg.batch_first else {"batch_first": True}
    return Demo("batch_first_state", changes, facts.batch_first(changed(cfg, changes), state_dict, x_bm, seed))


def _bidir_changes(cfg, x_bm, seed):
    changes = {} if cfg.bidirectional else {"bidirectional": True}
    x_bm, grown = grow(x_bm, 1, 2, seed)
    return {**changes, **grown}, x_bm


def bidir_last(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """2. Bidirectional: output at the last step holds the backward direction after ONE step; the backward
    final state is output at step 0, second half."""
    changes, x_bm = _bidir_changes(cfg, x_bm, seed)
    return Demo("bidir_last", changes, facts.last_step(changed(cfg, changes), state_dict, x_bm, seed))


def layer_major(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """3. h_n[layer·D + direction]: h_n.view(num_layers, D, B, H_out) is right, h_n.view(D, num_layers, ...)
    is not."""
    changes = {}
    if cfg.num_layers < 2:
        changes["num_layers"] = 2
    if not cfg.bidirectional:
        changes["bidirectional"] = True
    return Demo("layer_major", changes, facts.hn_layout(changed(cfg, changes), state_dict, x_bm, seed))


def padding(cfg, state_dict, x_bm: Tensor, lengths=None, seed: int = 0) -> Demo:
    """4. Padding without packing runs the padded steps too: h_n of every shorter sequence changes."""
    x_bm, changes = grow(x_bm, 2, 2, seed)
    if changes:
        lengths = None
    lens = facts.packed_lengths(int(x_bm.shape[0]), int(x_bm.shape[1]), lengths)
    return Demo("padding", changes, facts.padding(cfg, state_dict, x_bm, lens, seed))


def dropout(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """5. dropout acts between layers (none with one layer) and only in training mode."""
    fact = facts.dropout(cfg, state_dict, x_bm, seed=seed)
    return Demo("dropout", fact.changes_deep, fact)


@dataclass(frozen=True)
class HiddenBatch:
    batch: int
    wrong_batch: int
    given_shape: tuple
    expected_shape: tuple
    message: str | None
    engine_message: str | None
    engine_agrees: bool
    bf_shape: tuple
    bf_message: str | None
    ok_output_shape: tuple


def hidden_batch(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> Demo:
    """6. h0/c0 built for another batch size: torch refuses with 'Expected hidden[0] size ...'."""
    ref = reference(cfg, state_dict, seed)
    b = int(x_bm.shape[0])
    rows, w, hid = cfg.num_layers * cfg.num_directions, cfg.h_out, cfg.hidden_size
    x = batch_major(x_bm.to(DTYPE), cfg.batch_first)

    def zeros(*s):
        return torch.zeros(*s, dtype=DTYPE)

    h0, c0 = zeros(rows, b + 1, w), zeros(rows, b + 1, hid)
    msg = error_of(lambda: ref(x, (h0, c0)))
    engine_msg = None
    if engine_model is not None:
        dt = next(engine_model.parameters()).dtype
        engine_msg = error_of(lambda: engine_model(x.to(dt), (h0.to(dt), c0.to(dt))))
    # the batch-first habit: h0 laid out (B, num_layers·D, H_out) like the input
    bf_msg = error_of(lambda: ref(x, (zeros(b, rows, w), zeros(b, rows, hid)))) if b != rows else None
    with torch.no_grad():
        out, _ = ref(x, (zeros(rows, b, w), zeros(rows, b, hid)))
    return Demo("hidden_batch", {}, HiddenBatch(
        batch=b, wrong_batch=b + 1, given_shape=(rows, b + 1, w), expected_shape=(rows, b, w), message=msg,
        engine_message=engine_msg, engine_agrees=engine_msg == msg, bf_shape=(b, rows, w), bf_message=bf_msg,
        ok_output_shape=shape(out)))


@dataclass(frozen=True)
class BatchFirstMissing:
    input_shape: tuple
    ran: bool
    error: str | None
    seen_T: int  # batch-major data read as (T'=B, B'=T, I)
    seen_B: int
    delta_right_sample1: float  # right layout: sample 1 does not change when sample 0 does
    wrong_output_shape: tuple | None = None
    right_output_shape: tuple | None = None
    delta_wrong_sample1: float | None = None  # wrong layout: "time step 1" now depends on sample 0
    delta_sample0: float | None = None


def batch_first_missing(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """7. Batch-major data into a batch_first=False model runs silently: samples become time steps."""
    changes = {"batch_first": False} if cfg.batch_first else {}
    x_bm, grown = grow(x_bm, 2, 1, seed)
    changes.update(grown)
    ref = reference(changed(cfg, changes), state_dict, seed)
    x = x_bm.to(DTYPE)
    x2 = x.clone()
    x2[0] += 1.0  # change sample 0 only
    err = None
    with torch.no_grad():
        try:
            wrong, _ = ref(x)  # (B, T, I) read as (T'=B, B'=T, I)
            wrong2, _ = ref(x2)
        except Exception as e:
            err = str(e)
        right, _ = ref(batch_major(x, False))
        right2, _ = ref(batch_major(x2, False))
    more = {}
    if err is None:
        more = {"wrong_output_shape": shape(wrong), "right_output_shape": shape(batch_major(right, False)),
                "delta_wrong_sample1": max_abs(wrong[1], wrong2[1]), "delta_sample0": max_abs(wrong[0], right[:, 0])}
    return Demo("batch_first_missing", changes, BatchFirstMissing(
        input_shape=shape(x), ran=err is None, error=err, seen_T=int(x.shape[0]), seen_B=int(x.shape[1]),
        delta_right_sample1=max_abs(right[:, 1], right2[:, 1]), **more))


@dataclass(frozen=True)
class TwoBias:
    names: list
    bias_shape: tuple
    count_bias: int
    redundant: int
    total_params: int
    delta_merged: float  # all of b_ih + b_hh moved into b_ih
    delta_shifted: float  # a random amount moved from b_hh to b_ih


def two_bias(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """8. bias_ih and bias_hh are both added: only their sum matters (the pair exists for cuDNN)."""
    changes = {} if cfg.bias else {"bias": True}
    c = changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x = batch_major(x_bm.to(DTYPE), c.batch_first)
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
    return Demo("two_bias", changes, TwoBias(
        names=bias_names[:2], bias_shape=shape(ref.bias_ih_l0), count_bias=n_bias, redundant=n_bias // 2,
        total_params=sum(p.numel() for p in ref.parameters()), delta_merged=max_abs(out, out_m),
        delta_shifted=max_abs(out, out_s)))


@dataclass(frozen=True)
class Proj:
    P: int
    H: int
    output_shape: tuple
    h_n_shape: tuple
    c_n_shape: tuple
    weight_hr_shape: tuple
    weight_hh_shape: tuple
    c0_given: tuple  # c0 given proj_size features ...
    message: str | None  # ... and torch's answer


def proj(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """9. proj_size > 0: h (and output) have proj_size features, c keeps hidden_size."""
    changes: dict = {}
    if cfg.proj_size == 0:
        if cfg.hidden_size < 2:
            changes["hidden_size"] = 2
        changes["proj_size"] = max(1, max(cfg.hidden_size, 2) // 2)
    c = changed(cfg, changes)
    ref = reference(c, state_dict, seed)
    x = batch_major(x_bm.to(DTYPE), c.batch_first)
    b, rows = int(x_bm.shape[0]), c.num_layers * c.num_directions
    with torch.no_grad():
        out, (h, cn) = ref(x)
    same = torch.zeros(rows, b, c.proj_size, dtype=DTYPE)
    return Demo("proj", changes, Proj(
        P=c.proj_size, H=c.hidden_size, output_shape=shape(out), h_n_shape=shape(h), c_n_shape=shape(cn),
        weight_hr_shape=shape(ref.weight_hr_l0), weight_hh_shape=shape(ref.weight_hh_l0), c0_given=shape(same),
        message=error_of(lambda: ref(x, (same, same)))))


def unbatched(cfg, state_dict, x_bm: Tensor, engine_model=None, seed: int = 0) -> Demo:
    """10. A 2-D input (T, I) is one unbatched sequence: no batch dim anywhere; h0/c0 must be 2-D too."""
    return Demo("unbatched", {}, facts.unbatched(cfg, state_dict, x_bm, engine_model, seed))


# ----------------------------------------------------------------------------- the three tutorial claims

@dataclass(frozen=True)
class ClaimDefault:
    torch_default: bool
    engine_default: bool
    input_size: int
    hidden_size: int
    missing: BatchFirstMissing  # what a model left at the default does with batch-major data


def claim_batch_first_default(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 003 says batch_first defaults to True. It does not."""
    from lstm_core.lstm import LSTM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = nn.LSTM(cfg.input_size, cfg.hidden_size)
    miss = batch_first_missing(cfg, state_dict, x_bm, seed)  # a model left at the default batch_first=False
    return Demo("claim_batch_first_default", miss.changes, ClaimDefault(
        bool(default.batch_first), bool(LSTM(cfg.input_size, cfg.hidden_size).batch_first), cfg.input_size,
        cfg.hidden_size, miss.evidence))


def claim_hn_rows(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 000 says h_n's first row holds all layers' forward states. h_n[0] is layer 0 forward only."""
    demo = layer_major(cfg, state_dict, x_bm, seed)
    return Demo("claim_hn_rows", demo.changes, demo.evidence)


@dataclass(frozen=True)
class ClaimBidir:
    last: facts.LastStepFact
    delta_one_token: float  # layer 0's backward half at the last step vs the backward direction fed only it
    T: int


def claim_bidir_last(cfg, state_dict, x_bm: Tensor, seed: int = 0) -> Demo:
    """Seed 004's classifier reads output[:, -1] for both directions; its backward half saw one token."""
    demo = bidir_last(cfg, state_dict, x_bm, seed)
    c = changed(cfg, demo.changes)
    x, _ = grow(x_bm, 1, 2, seed)
    ref = reference(c, state_dict, seed)
    # layer 0 run alone: its backward half at the last step equals the backward direction fed ONLY the
    # last token
    layer0 = replace(c, num_layers=1, batch_first=True, dropout=0.0)
    layer0_names = {param_name(k, 0, d) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
                    for d in (0, 1)}
    sub = reference(layer0, {k: v for k, v in ref.state_dict().items() if k in layer0_names})
    x = x.to(DTYPE)
    hh = c.h_out
    with torch.no_grad():
        full, _ = sub(x)
        last_only, _ = sub(x[:, -1:])
    return Demo("claim_bidir_last", demo.changes, ClaimBidir(
        demo.evidence, max_abs(full[:, -1, hh:], last_only[:, 0, hh:]), int(x.shape[1])))


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
