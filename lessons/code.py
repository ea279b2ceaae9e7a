"""Copy-as-PyTorch: a standalone script with the from-scratch LSTM and the app's current state.

The snippet needs nothing but torch: it holds the engine's own LSTM cell and time loop (their real source,
read from `lstm_core` with `inspect`, not a copy), seeds torch, builds ``nn.LSTM(...)`` with every argument
spelled out, makes an input of the right shape (the user's sequence as a tensor literal when it is small;
packed with ``pack_padded_sequence`` when lengths are given), runs the forward pass, prints the shapes, and
checks that the from-scratch LSTM, given the same weights, gives the same numbers.
"""

from __future__ import annotations

import inspect

import torch
from torch import Tensor

from lstm_core import cell, recurrence
from lstm_core.lstm import LSTMConfig
from lstm_core.shapes import shapes

from .layout import model_input

EMBED_LIMIT = 240  # embed the user's sequence as a literal up to this many numbers
DIFF_LINE = "max |diff| torch vs from scratch: {diff}"
OK_LINE = "OK: the from-scratch LSTM agrees with torch.nn.LSTM"

# the engine's code the snippet carries, in the order it is defined there
ENGINE_CODE = (cell.CellStep, cell.input_projection, cell.cell_step, recurrence.LayerWeights,
               recurrence._clamp_at, recurrence.run_direction)

DRIVER = '''def lstm_from_scratch(lstm, x, lengths=None):
    """Every layer and direction of `lstm` (its weights; eval mode) over time-major x (T, B, input_size),
    with the cell and the time loop above. `lengths`: each sequence's real length (packed batch), None = all T.
    Returns output (T, B, D*H_out), h_n and c_n (num_layers*D, B, ·), as torch.nn.LSTM does."""
    steps, batch = x.shape[:2]
    valid = None if lengths is None else (torch.arange(steps)[:, None] < lengths[None, :]).unsqueeze(-1)
    h_out = lstm.proj_size or lstm.hidden_size
    h_n, c_n, layer_input = [], [], x
    for layer in range(lstm.num_layers):
        outputs = []
        for direction in range(2 if lstm.bidirectional else 1):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")  # torch's parameter names
            w = LayerWeights(*(getattr(lstm, name + suffix, None) for name in LayerWeights._fields))
            x_proj = input_projection(layer_input, w.weight_ih, w.bias_ih, w.bias_hh)  # (T, B, 4H)
            h0, c0 = x.new_zeros(batch, h_out), x.new_zeros(batch, lstm.hidden_size)
            run = run_direction(x_proj, h0, c0, w, reverse=direction == 1, valid=valid)
            out = torch.stack([step.h for step in run["cells"]])  # (T, B, H_out)
            outputs.append(out if valid is None else out.masked_fill(~valid, 0.0))
            h_n.append(run["h_n"])
            c_n.append(run["c_n"])
        layer_input = torch.cat(outputs, dim=-1)  # (T, B, D*H_out); eval mode: no dropout between layers
    return layer_input, torch.stack(h_n), torch.stack(c_n)
'''


def engine_source() -> str:
    """The engine's LSTM cell and time loop, as its modules hold them (`inspect.getsource`)."""
    return "\n\n\n".join(inspect.getsource(obj).rstrip() for obj in ENGINE_CODE) + "\n"


def _fmt(v: float) -> str:
    s = f"{v:.6g}"
    return s if any(ch in s for ch in ".eninf") else s + "."


def tensor_literal(t: Tensor, indent: int = 4) -> str:
    """A nested-list literal of ``t`` (6 significant digits), one innermost row per line."""
    def rec(a, depth):
        if a.dim() == 1:
            return "[" + ", ".join(_fmt(float(v)) for v in a) + "]"
        pad = " " * (indent * (depth + 1))
        inner = (",\n" + pad).join(rec(s, depth + 1) for s in a)
        return "[\n" + pad + inner + ",\n" + " " * (indent * depth) + "]"

    return rec(t.detach().to(torch.float64).cpu(), 0)


def torch_call(cfg: LSTMConfig, every: bool = False, indent: int | None = None, name: str = "nn.LSTM") -> str:
    """The ``nn.LSTM(...)`` call that builds ``cfg``: by default naming only the arguments that differ from
    torch's defaults (``nn.LSTM(input_size=3, hidden_size=4, num_layers=2)``); ``every`` spells all of them;
    ``indent`` puts one per line, indented so; ``name`` the class (e.g. our ``LSTM``)."""
    defaults = LSTMConfig(input_size=cfg.input_size, hidden_size=cfg.hidden_size)
    args = [f"{k}={v!r}" for k, v in cfg.kwargs().items()
            if every or k in ("input_size", "hidden_size") or v != getattr(defaults, k)]
    if indent is None:
        return f"{name}({', '.join(args)})"
    return f"{name}(\n" + "".join(" " * indent + a + ",\n" for a in args) + ")"


def _layout(config: LSTMConfig, unbatched: bool) -> str:
    if unbatched:
        return "(seq_len, input_size)"
    return "(batch, seq_len, input_size)" if config.batch_first else "(seq_len, batch, input_size)"


def generate(config: LSTMConfig, seed: int = 0, x_bm: Tensor | None = None, lengths=None,
             unbatched: bool = False, batch_size: int = 2, seq_len: int = 5,
             embed_limit: int = EMBED_LIMIT, weights_file: str | None = None) -> str:
    """The snippet for ``config`` with weights ``torch.manual_seed(seed)`` and input ``x_bm`` (B, T, I).

    ``x_bm`` None, or larger than ``embed_limit`` numbers, gives a seeded ``torch.randn`` input of the same
    shape. ``lengths`` packs the batch (``enforce_sorted=False``); ``unbatched`` feeds a 2-D (T, I) input.
    ``weights_file``: the weights are not the seed's (trained or uploaded): load this ``torch.save``d
    state_dict, looked up next to the script.
    """
    if x_bm is not None:
        batch_size, seq_len = int(x_bm.shape[0]), int(x_bm.shape[1])
    if unbatched:
        batch_size = 1
    packed = lengths is not None and not unbatched
    layout = _layout(config, unbatched)
    shape = _input_shape(config, batch_size, seq_len, unbatched)

    lines = [
        '"""LSTM Explorer: your model and input, an LSTM written from scratch, and torch.nn.LSTM to check it.',
        "",
        "Standalone: it needs only PyTorch (pip install torch). Run it anywhere: python lstm_snippet.py",
        '"""',
        "from __future__ import annotations",
        "",
        *(["import os"] if weights_file else []),
        "from collections.abc import Callable",
        "from typing import NamedTuple",
        "",
        "import torch",
        "from torch import Tensor, nn",
        *(["from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence"] if packed else []),
        "",
        "",
        "# ---- The LSTM from scratch: LSTM Explorer's engine code (lstm_core/cell.py, lstm_core/recurrence.py)",
        "",
        engine_source(),
        "",
        DRIVER,
        "",
        "# ---- Your model and input, in torch.nn.LSTM",
        "",
        f"torch.manual_seed({int(seed)})  # the same seed gives the same initial weights"
        + (" (replaced below)" if weights_file else ""),
        "lstm = " + torch_call(config, every=True, indent=4),
    ]
    if weights_file:
        lines += [
            f"# your trained/uploaded weights: save {weights_file} next to this script",
            f"weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), {weights_file!r})",
            "lstm.load_state_dict(torch.load(weights, weights_only=True))",
        ]
    lines += [
        "lstm.eval()  # dropout between layers acts only in training mode",
        "",
    ]
    if x_bm is not None and x_bm.numel() <= embed_limit:
        x_model = model_input(config, x_bm.detach().to(torch.float64), None, unbatched)
        lines += [f"# your sequence, shape {layout}, rounded to 6 significant digits",
                  f"x = torch.tensor({tensor_literal(x_model)}, dtype=torch.float32)"]
    else:
        if x_bm is not None:
            lines.append(f"# your sequence has {x_bm.numel()} numbers, too many to paste here: "
                         "a random input of the same shape")
        lines.append(f"x = torch.randn{shape}  # {layout}")
    lines.append("print('input:', tuple(x.shape))")
    if packed:
        lines += [
            "",
            f"lengths = torch.tensor({list(int(n) for n in lengths)})  # real length of each sequence",
            f"x = pack_padded_sequence(x, lengths, batch_first={config.batch_first}, enforce_sorted=False)",
        ]
    lines += ["", "output, (h_n, c_n) = lstm(x)"]
    if packed:
        lines += [
            "print('output.data:', tuple(output.data.shape))  # PackedSequence: (sum of lengths, D*H_out)",
            f"padded, _ = pad_packed_sequence(output, batch_first={config.batch_first})",
            "print('output:', tuple(padded.shape))  # padded again",
        ]
    else:
        lines.append("print('output:', tuple(output.shape))")
    lines += [
        "print('h_n:', tuple(h_n.shape))  # (num_layers*D, batch, H_out): never batch-first",
        "print('c_n:', tuple(c_n.shape))  # (num_layers*D, batch, hidden_size)",
        "",
        "# ---- The same weights through the LSTM from scratch (it reads time-major input: (seq_len, batch, ·))",
        "with torch.no_grad():",
    ]
    if packed:
        lines += ["    x_time_major, lengths = pad_packed_sequence(x)",
                  "    expected = [pad_packed_sequence(output)[0], h_n, c_n]"]
    elif unbatched:
        lines += ["    x_time_major, lengths = x.unsqueeze(1), None  # a batch of one",
                  "    expected = [output.unsqueeze(1), h_n.unsqueeze(1), c_n.unsqueeze(1)]"]
    elif config.batch_first:
        lines += ["    x_time_major, lengths = x.transpose(0, 1), None",
                  "    expected = [output.transpose(0, 1), h_n, c_n]"]
    else:
        lines += ["    x_time_major, lengths = x, None",
                  "    expected = [output, h_n, c_n]"]
    lines += [
        "    ours = lstm_from_scratch(lstm, x_time_major, lengths)",
        "    diff = max((a - b).abs().max().item() for a, b in zip(ours, expected))",
        "    agree = all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(ours, expected))",
        "print(" + repr(DIFF_LINE.replace("{diff}", "{diff:.3g}")).replace("'max", "f'max", 1) + ")",
        "assert agree, 'the from-scratch LSTM disagrees with torch.nn.LSTM'",
        f"print({OK_LINE!r})",
        "",
    ]
    return "\n".join(lines)


def _input_shape(config: LSTMConfig, batch_size: int, seq_len: int, unbatched: bool) -> tuple[int, ...]:
    """Shape of the (padded, before any packing) input tensor the snippet builds."""
    form = "unbatched" if unbatched else "batched"
    return shapes(config, batch_size=batch_size, seq_len=seq_len, form=form).tensors["input"].shape


def printed_shapes(config: LSTMConfig, batch_size: int, seq_len: int, lengths=None,
                   unbatched: bool = False) -> list[str]:
    """The shape lines the snippet prints, from `lstm_core.shapes` (the arithmetic the Shapes page shows)."""
    packed = lengths is not None and not unbatched
    form = "unbatched" if unbatched else "packed" if packed else "batched"
    rep = shapes(config, batch_size=1 if unbatched else batch_size, seq_len=seq_len, form=form,
                 lengths=list(lengths) if packed else None)
    lines = [f"input: {_input_shape(config, batch_size, seq_len, unbatched)}"]
    out = rep.tensors["output"].shape
    if packed:
        longest, width = max(lengths), out[-1]
        padded = (batch_size, longest, width) if config.batch_first else (longest, batch_size, width)
        lines += [f"output.data: {out}", f"output: {padded}"]
    else:
        lines.append(f"output: {out}")
    return lines + [f"h_n: {rep.tensors['h_n'].shape}", f"c_n: {rep.tensors['c_n'].shape}"]
