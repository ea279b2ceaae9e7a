"""Copy-as-PyTorch: a runnable snippet that rebuilds the app's current state with ``torch.nn.LSTM``.

The snippet seeds torch, builds ``nn.LSTM(...)`` with every argument spelled out, makes an input of the
right shape (the user's sequence as a tensor literal when it is small; packed with ``pack_padded_sequence``
when lengths are given), runs the forward pass, prints the shapes, and checks ``lstm_core.LSTM`` loaded with
the same ``state_dict`` gives the same numbers. Run it from the repository root (it puts the working
directory on ``sys.path`` to find ``lstm_core``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from lstm_core.lstm import LSTMConfig
from lstm_core.shapes import shapes

from .layout import model_input

EMBED_LIMIT = 240  # embed the user's sequence as a literal up to this many numbers
OK_LINE = "OK: lstm_core.LSTM agrees with torch.nn.LSTM"


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
        '"""LSTM Explorer: the current model and input, rebuilt with torch.nn.LSTM.',
        "",
        "Run it from the repository root (python lstm_snippet.py): lstm_core is imported from there.",
        '"""',
        "import os",
        "import sys",
        "",
        "import torch",
        "from torch import nn",
    ]
    if packed:
        lines.append("from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence")
    lines += [
        "",
        "sys.path.insert(0, os.getcwd())  # the repository root holds lstm_core",
        "from lstm_core import LSTM  # noqa: E402  (our from-scratch engine)",
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
        "# the same weights in lstm_core.LSTM, the engine behind every number in the app",
        "ours = " + torch_call(config, every=True, indent=4, name="LSTM"),
        "ours.load_state_dict(lstm.state_dict())",
        "ours.eval()",
        "our_output, (our_h_n, our_c_n) = ours(x)",
        "with torch.no_grad():",
    ]
    if packed:
        lines.append("    pairs = [(output.data, our_output.data), (h_n, our_h_n), (c_n, our_c_n)]")
    else:
        lines.append("    pairs = [(output, our_output), (h_n, our_h_n), (c_n, our_c_n)]")
    lines += [
        "    diff = max((a - b).abs().max().item() for a, b in pairs)",
        "    agree = all(torch.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in pairs)",
        "print(f'max |diff| torch vs lstm_core: {diff:.3g}')",
        "assert agree, 'lstm_core.LSTM disagrees with torch.nn.LSTM'",
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
