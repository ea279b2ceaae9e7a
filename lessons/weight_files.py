"""Bring your own weights: read a ``torch.nn.LSTM`` state_dict, infer its configuration, write it back.

Accepted files: ``.pt`` / ``.pth`` / ``.bin`` (``torch.save(lstm.state_dict())``, read with
``torch.load(..., weights_only=True)`` so no Python object is ever unpickled) and ``.safetensors``.

Every refusal raises :class:`WeightsError` with a short ``code`` (an i18n key suffix, ``learn.err.<code>``)
and the details needed to explain it; the UI translates, the engine stays language-free.

The configuration is read from names and shapes, exactly as ``torch.nn.LSTM`` lays them out::

    weight_ih_l{k}[_reverse]  (4H, input_size)   for k = 0, (4H, D*H_out) above
    weight_hh_l{k}[_reverse]  (4H, H_out)        H_out = proj_size or hidden_size
    bias_ih_l{k}[_reverse]    (4H,)              only when bias=True
    bias_hh_l{k}[_reverse]    (4H,)
    weight_hr_l{k}[_reverse]  (proj_size, H)     only when proj_size > 0
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from dataclasses import dataclass, field

import torch

from lstm_core.limits import MAX_UPLOAD_BYTES, LimitError, check_limits
from lstm_core.lstm import LSTM, LSTMConfig

ACCEPTED_EXTENSIONS = (".pt", ".pth", ".bin", ".safetensors")
FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")
_WRAPPERS = ("state_dict", "model_state_dict", "model")  # common checkpoint dicts we unwrap once


@dataclass
class WeightsError(ValueError):
    """A refused upload. ``code`` names the reason; ``details`` fill the translated message."""

    code: str
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        super().__init__(self.code, self.details)

    def __str__(self):  # readable in logs and pytest output
        return f"{self.code}: {self.details}" if self.details else self.code


@dataclass(frozen=True)
class LoadedWeights:
    config: LSTMConfig
    state_dict: dict  # name -> float32 tensor, exactly torch.nn.LSTM's names
    source_dtype: str  # dtype found in the file (before conversion to float32)
    stripped_prefix: str  # e.g. "lstm." when the file came from a bigger model's state_dict
    num_params: int

    def build(self) -> LSTM:
        """Our engine's LSTM holding these weights (float32, eval mode)."""
        model = LSTM(**self.config.kwargs())
        model.load_state_dict(self.state_dict, strict=True)
        return model.eval()


# ----------------------------------------------------------------------------------------------- reading
def read_state_dict(data: bytes, filename: str, max_bytes: int = MAX_UPLOAD_BYTES) -> dict:
    """Decode the file's bytes into a flat ``{name: tensor}`` dict without interpreting names."""
    if len(data) > max_bytes:
        raise WeightsError("too_large", {"size_mb": len(data) / 2**20, "limit_mb": max_bytes / 2**20})
    if len(data) == 0:
        raise WeightsError("corrupt", {"reason": "empty file"})
    name = (filename or "").lower()
    if not name.endswith(ACCEPTED_EXTENSIONS):
        raise WeightsError("extension", {"name": filename, "accepted": ", ".join(ACCEPTED_EXTENSIONS)})
    if name.endswith(".safetensors"):
        return _read_safetensors(data)
    return _read_torch(data)


def _read_safetensors(data: bytes) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    try:
        return dict(st_load(data))
    except (SafetensorError, ValueError, RuntimeError, TypeError, KeyError, OverflowError) as exc:
        # safetensors also refuses dtypes torch lacks, so a non-float file is still "corrupt" or below
        raise WeightsError("corrupt", {"reason": _short(exc)}) from exc


def _read_torch(data: bytes) -> dict:
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # weights_only refuses anything that is not tensors / plain containers: a pickled nn.Module,
        # a custom class, a function... That is exactly what we want to refuse, with its own message.
        # Bytes that are not a pickle at all fail in the same unpickler ("Unsupported operand"): corrupt.
        text = str(exc)
        # torch words it "Unsupported global: GLOBAL x" or, for a blocked module, "unsupported GLOBAL x whose
        # module x is blocked": compare without case
        if "unsupported global" in text.lower() or "allowed global" in text:
            match = re.search(r"GLOBAL\s+([\w.]+)|([\w.]+) was not an allowed global", text)
            found = (match.group(1) or match.group(2)) if match else "?"
            raise WeightsError("not_plain", {"found": found}) from exc
        raise WeightsError("corrupt", {"reason": _short(exc)}) from exc
    except (RuntimeError, EOFError, ValueError, TypeError, KeyError, AttributeError, IndexError,
            OSError, zipfile.BadZipFile, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise WeightsError("corrupt", {"reason": _short(exc)}) from exc
    if isinstance(obj, torch.Tensor) or not isinstance(obj, dict):
        raise WeightsError("not_dict", {"found": type(obj).__name__})
    for wrapper in _WRAPPERS:  # {"state_dict": {...}, "epoch": 3} checkpoints: take the inner dict
        inner = obj.get(wrapper)
        if isinstance(inner, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
            obj = inner
            break
    return dict(obj)


def _short(exc: BaseException, n: int = 160) -> str:
    text = " ".join(str(exc).split())
    if "WeightsUnpickler error:" in text:  # torch's long preamble first, the actual reason after it
        text = text.split("WeightsUnpickler error:", 1)[1].split(" Check the documentation")[0].strip()
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------------------------- inference
def _strip_prefix(sd: dict) -> tuple[dict, str]:
    """Accept ``lstm.weight_ih_l0`` (a sub-module of a bigger model) when every key shares the prefix."""
    keys = list(sd)
    if keys and all(_KEY.match(k) for k in keys):
        return sd, ""
    prefixes = {k.rsplit(".", 1)[0] + "." for k in keys if "." in k and _KEY.match(k.rsplit(".", 1)[1])}
    if len(prefixes) == 1:
        prefix = prefixes.pop()
        inner = {k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}
        rest = [k for k in keys if not k.startswith(prefix)]
        if rest:
            raise WeightsError("extra_keys", {"keys": _listing(rest)})
        return inner, prefix
    return sd, ""


def _listing(keys, n: int = 6) -> str:
    keys = sorted(keys)
    more = f" (+{len(keys) - n})" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def _plain_entries(state_dict: dict) -> tuple[dict, str]:
    """The state_dict with its prefix stripped, once every key is an LSTM parameter name holding a float
    tensor (else WeightsError)."""
    if not state_dict:
        raise WeightsError("missing_keys", {"keys": "weight_ih_l0, weight_hh_l0"})
    not_tensor = [k for k, v in state_dict.items() if not isinstance(v, torch.Tensor)]
    if not_tensor:
        raise WeightsError("not_tensors", {"keys": _listing(map(str, not_tensor))})
    sd, prefix = _strip_prefix(state_dict)

    unknown = [k for k in sd if not _KEY.match(k)]
    if unknown:
        raise WeightsError("extra_keys", {"keys": _listing(unknown)})
    if "weight_ih_l0" not in sd or "weight_hh_l0" not in sd:
        missing = [k for k in ("weight_ih_l0", "weight_hh_l0") if k not in sd]
        raise WeightsError("missing_keys", {"keys": _listing(missing)})

    bad_dtype = sorted({str(v.dtype).replace("torch.", "") for v in sd.values() if v.dtype not in FLOAT_DTYPES})
    if bad_dtype:
        raise WeightsError("dtype", {"dtype": ", ".join(bad_dtype)})

    other = _other_module(sd)
    if other:
        raise WeightsError("other_module", {"module": other})
    return sd, prefix


def _config_from_shapes(sd: dict) -> LSTMConfig:
    """The configuration the first layer's shapes and the names of the weight matrices describe."""
    w_ih = sd["weight_ih_l0"]
    if w_ih.dim() != 2 or w_ih.shape[0] == 0 or w_ih.shape[0] % 4 != 0 or w_ih.shape[1] == 0:
        raise WeightsError("shape", {"key": "weight_ih_l0", "got": tuple(w_ih.shape), "want": "(4·H, input_size)"})
    hidden_size, input_size = w_ih.shape[0] // 4, w_ih.shape[1]
    proj_size = 0
    if "weight_hr_l0" in sd:
        w_hr = sd["weight_hr_l0"]
        if w_hr.dim() != 2 or w_hr.shape[1] != hidden_size or not 0 < w_hr.shape[0] < hidden_size:
            raise WeightsError("shape", {"key": "weight_hr_l0", "got": tuple(w_hr.shape),
                                         "want": f"(proj_size < {hidden_size}, {hidden_size})"})
        proj_size = w_hr.shape[0]
    # layers and directions are read from the weight matrices; a stray bias/projection key is "extra"
    weights = [_KEY.match(k) for k in sd if k.startswith(("weight_ih", "weight_hh"))]
    num_layers = max(int(m.group(2)) for m in weights) + 1
    bidirectional = any(m.group(3) for m in weights)
    bias = "bias_ih_l0" in sd or "bias_hh_l0" in sd
    return LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, bias=bias,
                      batch_first=False, dropout=0.0, bidirectional=bidirectional, proj_size=proj_size)


def infer_config(state_dict: dict) -> tuple[LSTMConfig, dict, str]:
    """Infer the ``torch.nn.LSTM`` configuration from names and shapes.

    Returns ``(config, state_dict_with_plain_names, stripped_prefix)``; raises WeightsError otherwise.
    """
    sd, prefix = _plain_entries(state_dict)
    config = _config_from_shapes(sd)
    expected = _expected_shapes(config)
    missing = [k for k in expected if k not in sd]
    if missing:
        raise WeightsError("missing_keys", {"keys": _listing(missing)})
    extra = [k for k in sd if k not in expected]
    if extra:
        raise WeightsError("extra_keys", {"keys": _listing(extra)})
    for k, want in expected.items():
        if tuple(sd[k].shape) != want:
            raise WeightsError("shape", {"key": k, "got": tuple(sd[k].shape), "want": want})
    try:
        check_limits(config, batch_size=1, seq_len=1)
    except LimitError as exc:
        raise WeightsError("limits", {"reason": str(exc)}) from exc
    bad_values = [k for k, v in sd.items() if not torch.isfinite(v.float()).all()]
    if bad_values:
        raise WeightsError("not_finite", {"keys": _listing(bad_values)})
    return config, sd, prefix


# torch's recurrent modules share the parameter names; the gate blocks stacked in weight_hh tell them apart
_GATE_BLOCKS = {3: "torch.nn.GRU", 1: "torch.nn.RNN"}


def _other_module(sd: dict) -> str | None:
    """"torch.nn.GRU" / "torch.nn.RNN" when the weights have that module's 3 / 1 gate blocks, else None.

    weight_hh_l0 is (G·H, H) for a module with G gate blocks (LSTM: 4, GRU: 3, RNN: 1); an LSTM with
    projections has (4H, P) with P < H, which no other G can produce, so the test never misreads an LSTM.
    """
    w_hh = sd.get("weight_hh_l0")
    if "weight_hr_l0" in sd or not isinstance(w_hh, torch.Tensor) or w_hh.dim() != 2 or w_hh.shape[1] == 0:
        return None
    rows, hidden = w_hh.shape
    if rows == 4 * hidden:
        return None
    return _GATE_BLOCKS.get(rows // hidden) if rows % hidden == 0 else None


def _expected_shapes(config: LSTMConfig) -> dict:
    """Names and shapes torch.nn.LSTM creates for ``config`` (built on the meta device: no memory)."""
    ref = torch.nn.LSTM(**config.kwargs(), device="meta")
    return {name: tuple(p.shape) for name, p in ref.named_parameters()}


def load_weights(data: bytes, filename: str, max_bytes: int = MAX_UPLOAD_BYTES) -> LoadedWeights:
    """Bytes of an uploaded file -> validated weights with their inferred configuration."""
    raw = read_state_dict(data, filename, max_bytes=max_bytes)
    config, sd, prefix = infer_config(raw)
    dtypes = sorted({str(v.dtype).replace("torch.", "") for v in sd.values()})
    sd32 = {k: v.detach().to(torch.float32).contiguous() for k, v in sd.items()}
    return LoadedWeights(config=config, state_dict=sd32, source_dtype="/".join(dtypes), stripped_prefix=prefix,
                         num_params=sum(v.numel() for v in sd32.values()))


# ---------------------------------------------------------------------------------------------- writing
def _plain_state_dict(model: torch.nn.Module) -> dict:
    return {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}


def dump_pt(model: torch.nn.Module) -> bytes:
    """``torch.save(model.state_dict())`` as bytes: loads into torch.nn.LSTM(**config) unchanged."""
    buf = io.BytesIO()
    torch.save(_plain_state_dict(model), buf)
    return buf.getvalue()


def dump_safetensors(model: torch.nn.Module) -> bytes:
    from safetensors.torch import save as st_save

    config = getattr(model, "config", None)
    meta = {"format": "pt", "producer": "LSTM Explorer"}
    if config is not None:
        meta.update({k: str(v) for k, v in config.kwargs().items() if not hasattr(v, "is_floating_point")})
    return st_save(_plain_state_dict(model), metadata=meta)
