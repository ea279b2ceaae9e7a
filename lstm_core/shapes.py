"""`shapes`: every tensor's and parameter's shape for a configuration, each dimension explained.

Pure arithmetic on the configuration — no forward pass. Each `Dim` carries its size, a symbol a reader can
check (``2·hidden_size``) and a ``role`` key the UI translates (``seq_len``, ``batch``, ...).

Roles: seq_len, batch, input_size, packed_rows, layers_x_directions, h_out, hidden_size, proj_size,
directions_x_h_out, gates_x_hidden, layer_input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .cell import param_name
from .lstm import LSTMConfig

FORMS = ("batched", "unbatched", "packed")
TENSORS = ("input", "h_0", "c_0", "output", "h_n", "c_n")


@dataclass(frozen=True)
class Dim:
    size: int
    symbol: str  # e.g. "2·hidden_size", "num_layers·2", "batch"
    role: str  # i18n key for the meaning of this axis


@dataclass(frozen=True)
class TensorShape:
    name: str
    dims: tuple[Dim, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dims)

    @property
    def symbolic(self) -> str:
        return "(" + ", ".join(d.symbol for d in self.dims) + ")"


@dataclass(frozen=True)
class ParamShape(TensorShape):
    @property
    def count(self) -> int:
        n = 1
        for d in self.dims:
            n *= d.size
        return n


@dataclass(frozen=True)
class ShapeReport:
    config: LSTMConfig
    form: str
    batch_size: int
    seq_len: int
    tensors: dict  # name -> TensorShape, names as in TENSORS
    params: list  # ParamShape in registration (state_dict) order

    @property
    def total_params(self) -> int:
        return sum(p.count for p in self.params)


def _h_out_dim(cfg: LSTMConfig) -> Dim:
    return Dim(cfg.h_out, "proj_size", "proj_size") if cfg.proj_size else Dim(cfg.hidden_size, "hidden_size", "h_out")


def _times(factor: int, dim: Dim, role: str) -> Dim:
    return dim if factor == 1 else Dim(factor * dim.size, f"{factor}·{dim.symbol}", role)


def shapes(cfg: LSTMConfig, batch_size: int = 1, seq_len: int = 1, form: str = "batched",
           lengths: Sequence[int] | None = None) -> ShapeReport:
    """Shapes of input, h_0, c_0, output, h_n, c_n and every parameter for ``cfg``.

    ``form`` is "batched" (3-D input, honouring batch_first), "unbatched" (2-D input, no batch axis) or
    "packed" (PackedSequence: ``data`` has one row per real step, ``lengths`` default all ``seq_len``).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {FORMS}, got {form!r}")
    d = cfg.num_directions
    time, batch = Dim(seq_len, "seq_len", "seq_len"), Dim(batch_size, "batch", "batch")
    feat_in = Dim(cfg.input_size, "input_size", "input_size")
    h_out = _h_out_dim(cfg)
    out_feat = _times(d, h_out, "directions_x_h_out")
    ld = Dim(cfg.num_layers * d, "num_layers" + ("·2" if d == 2 else ""), "layers_x_directions")
    hidden = Dim(cfg.hidden_size, "hidden_size", "hidden_size")

    if form == "packed":
        lengths = list(lengths) if lengths is not None else [seq_len] * batch_size
        batch = Dim(len(lengths), "batch", "batch")
        rows = Dim(sum(lengths), "sum(lengths)", "packed_rows")
        seq_in, seq_out = (rows, feat_in), (rows, out_feat)
        state = (ld, batch)
    elif form == "unbatched":
        seq_in, seq_out, state = (time, feat_in), (time, out_feat), (ld,)
    else:
        lead = (batch, time) if cfg.batch_first else (time, batch)
        seq_in, seq_out, state = (*lead, feat_in), (*lead, out_feat), (ld, batch)
    dims = {"input": seq_in, "h_0": (*state, h_out), "c_0": (*state, hidden), "output": seq_out,
            "h_n": (*state, h_out), "c_n": (*state, hidden)}
    tensors = {name: TensorShape(name, dims[name]) for name in TENSORS}

    params = []
    gates = Dim(4 * cfg.hidden_size, "4·hidden_size", "gates_x_hidden")
    for layer in range(cfg.num_layers):
        layer_in = feat_in if layer == 0 else Dim(cfg.layer_input_size(layer), out_feat.symbol, "layer_input")
        for direction in range(d):
            name = lambda kind: param_name(kind, layer, direction)  # noqa: B023, E731
            params += [ParamShape(name("weight_ih"), (gates, layer_in)), ParamShape(name("weight_hh"), (gates, h_out))]
            if cfg.bias:
                params += [ParamShape(name("bias_ih"), (gates,)), ParamShape(name("bias_hh"), (gates,))]
            if cfg.proj_size:
                params.append(ParamShape(name("weight_hr"), (h_out, hidden)))
    return ShapeReport(cfg, form, batch.size, seq_len, tensors, params)
