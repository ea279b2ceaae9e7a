r"""`LSTM`: a from-scratch ``torch.nn.Module`` with exactly ``torch.nn.LSTM``'s interface.

For each element of the input sequence each layer computes (`cell.cell_step`, called by `recurrence`)::

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                      h_t = o_t ⊙ tanh(c_t)   (h_t = W_hr h_t if proj_size > 0)

Layer k > 0 reads the (dropout-masked, in training) output of layer k-1. Parameter names, shapes,
registration order and initialisation (uniform ±1/√hidden_size) are torch's, so ``load_state_dict``
works in both directions. The time loop is plain torch (`recurrence.run_layers`), differentiated by autograd;
no torch RNN operation is used.
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from .cell import param_name
from .recurrence import finish, prepare, run_layers


def time_major(input: Tensor, hx: Tensor | None, batch_first: bool, dim_error: str):
    """torch's checks of a batched 3-D / unbatched 2-D input and its ``hx`` (RNN, GRU): returns time-major x
    (T, B, I), hx with its batch axis, and whether the input was batched. Unbatched input is time-major
    whatever ``batch_first`` says. `dim_error` is the module's own message, with ``{}`` for input.dim()."""
    if input.dim() not in (2, 3):
        raise ValueError(dim_error.format(input.dim()))
    if input.dim() == 2:
        if hx is not None:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        return input.unsqueeze(1), hx, False
    if hx is not None and hx.dim() != 3:
        raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
    return (input.transpose(0, 1) if batch_first else input), hx, True


def validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first, dropout=0.0, bidirectional=False,
                      proj_size=0) -> None:
    """Raise (and warn) exactly what ``torch.nn.LSTM(...)`` (or ``nn.RNN``: torch's RNNBase) raises for these."""
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


@dataclass(frozen=True)
class LSTMConfig:
    """The architecture of an LSTM: the arguments of ``torch.nn.LSTM`` (minus device/dtype)."""

    input_size: int = 4
    hidden_size: int = 6
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0
    bidirectional: bool = False
    proj_size: int = 0

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def h_out(self) -> int:
        """Width of h (and of each direction's half of output): proj_size when projecting, else hidden_size."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.num_directions * self.h_out

    def kwargs(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        validate_rnn_args(**self.kwargs())

    def build(self, seed: int | None = 0, dtype: torch.dtype | None = None):
        """Our LSTM with the weights ``torch.manual_seed(seed); torch.nn.LSTM(**kwargs)`` would have.

        The global RNG state is restored afterwards, so building a model never disturbs other randomness.
        """
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return LSTM(**self.kwargs(), dtype=dtype)


class LSTM(nn.Module):
    r"""A multi-layer long short-term memory (LSTM) RNN over an input sequence — ``torch.nn.LSTM``, from scratch.

    For each element of the input sequence, each layer computes:

    .. math::
        \begin{array}{ll}
            i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
            f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
            g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
            o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
            c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
            h_t = o_t \odot \tanh(c_t)
        \end{array}

    where :math:`h_t` is the hidden state at time `t`, :math:`c_t` the cell state, :math:`x_t` the input,
    :math:`h_{t-1}` the hidden state of the layer at time `t-1` (or :math:`h_0` at time 0), and :math:`i_t`,
    :math:`f_t`, :math:`g_t`, :math:`o_t` the input, forget, cell (candidate) and output gates. :math:`\sigma`
    is the sigmoid and :math:`\odot` the elementwise product.

    In a multilayer LSTM the input :math:`x^{(l)}_t` of layer :math:`l \ge 2` is the hidden state
    :math:`h^{(l-1)}_t` of the layer below, multiplied by dropout :math:`\delta^{(l-1)}_t`, a Bernoulli(1 -
    ``dropout``) mask — in training mode only. With ``proj_size > 0`` the hidden state is projected,
    :math:`h_t = W_{hr} (o_t \odot \tanh(c_t))`, so h and output have ``proj_size`` features while c keeps
    ``hidden_size``; :math:`W_{hi}` and friends then read a ``proj_size``-wide :math:`h_{t-1}`.

    Args:
        input_size: The number of expected features in the input `x`
        hidden_size: The number of features in the hidden state `h`
        num_layers: Number of recurrent layers: ``num_layers=2`` stacks two LSTMs, the second reading the
            outputs of the first. Default: 1
        bias: If ``False``, the layer uses no bias weights `b_ih` and `b_hh`. Default: ``True``
        batch_first: If ``True``, input and output tensors are `(batch, seq, feature)` instead of
            `(seq, batch, feature)`. It does not apply to hidden or cell states. Default: ``False``
        dropout: If non-zero, a Dropout layer on the outputs of each LSTM layer except the last, with
            probability ``dropout`` (training mode only). Default: 0
        bidirectional: If ``True``, becomes a bidirectional LSTM. Default: ``False``
        proj_size: If ``> 0``, uses an LSTM with projections of that size. Default: 0
        device, dtype: where and in which floating type the parameters are created

    Inputs: input, (h_0, c_0)
        * **input**: tensor of shape :math:`(L, H_{in})` for unbatched input, :math:`(L, N, H_{in})` when
          ``batch_first=False`` or :math:`(N, L, H_{in})` when ``batch_first=True``, or a
          ``torch.nn.utils.rnn.PackedSequence`` of variable-length sequences.
        * **h_0**: tensor of shape :math:`(D * \text{num\_layers}, H_{out})` for unbatched input or
          :math:`(D * \text{num\_layers}, N, H_{out})`: the initial hidden state of each element. Defaults
          to zeros if (h_0, c_0) is not provided.
        * **c_0**: tensor of shape :math:`(D * \text{num\_layers}, H_{cell})` for unbatched input or
          :math:`(D * \text{num\_layers}, N, H_{cell})`: the initial cell state. Defaults to zeros.

        where :math:`N` = batch size, :math:`L` = sequence length, :math:`D` = 2 if bidirectional else 1,
        :math:`H_{in}` = input_size, :math:`H_{cell}` = hidden_size, :math:`H_{out}` = proj_size if
        proj_size > 0 else hidden_size.

    Outputs: output, (h_n, c_n)
        * **output**: tensor of shape :math:`(L, D * H_{out})` for unbatched input, :math:`(L, N, D *
          H_{out})` when ``batch_first=False`` or :math:`(N, L, D * H_{out})` when ``batch_first=True``: the
          output features `(h_t)` of the last layer, for each `t`. A PackedSequence in gives a PackedSequence
          out. When bidirectional, the forward and reverse hidden states sit side by side per step.
        * **h_n**: tensor of shape :math:`(D * \text{num\_layers}, H_{out})` or :math:`(D *
          \text{num\_layers}, N, H_{out})`: the final hidden state of each element, row ``layer * D +
          direction`` (never batch-first). For a packed batch, each sequence's own last real step.
        * **c_n**: tensor of shape :math:`(D * \text{num\_layers}, H_{cell})` or :math:`(D *
          \text{num\_layers}, N, H_{cell})`: the final cell state of each element.

    Attributes:
        weight_ih_l[k]: the learnable input-hidden weights of layer `k`, `(W_ii|W_if|W_ig|W_io)`, of shape
            `(4*hidden_size, input_size)` for `k = 0`, else `(4*hidden_size, num_directions * H_out)`
        weight_hh_l[k]: the learnable hidden-hidden weights `(W_hi|W_hf|W_hg|W_ho)`, `(4*hidden_size, H_out)`
        bias_ih_l[k], bias_hh_l[k]: the learnable biases, `(4*hidden_size)` each (two, as cuDNN has)
        weight_hr_l[k]: the learnable projection weights, `(proj_size, hidden_size)` (``proj_size > 0`` only)
        weight_ih_l[k]_reverse, ...: the same for the reverse direction (``bidirectional=True`` only)

    Every weight and bias is initialised from :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k =
    1/\text{hidden\_size}`, drawing in torch's order, so ``torch.manual_seed(s); LSTM(...)`` holds exactly the
    weights of ``torch.manual_seed(s); torch.nn.LSTM(...)``.

    Examples::

        >>> rnn = LSTM(10, 20, 2)
        >>> input = torch.randn(5, 3, 10)
        >>> h0, c0 = torch.randn(2, 3, 20), torch.randn(2, 3, 20)
        >>> output, (hn, cn) = rnn(input, (h0, c0))
    """

    mode = "LSTM"  # torch's RNNBase.mode (the cuDNN mode name tools read)

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        validate_rnn_args(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        factory = {"device": device, "dtype": dtype}
        cfg = self.config
        gate_size = 4 * hidden_size
        self._all_weights: list[list[str]] = []  # torch's: per layer and direction, the parameter names
        for layer in range(num_layers):
            for direction in range(cfg.num_directions):
                shapes = {
                    "weight_ih": (gate_size, cfg.layer_input_size(layer)),  # [W_ii|W_if|W_ig|W_io]
                    "weight_hh": (gate_size, cfg.h_out),
                }
                if bias:
                    shapes |= {"bias_ih": (gate_size,), "bias_hh": (gate_size,)}  # two, as cuDNN has
                if proj_size > 0:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                names = []
                for name, shape in shapes.items():
                    names.append(param_name(name, layer, direction))
                    self.register_parameter(names[-1], nn.Parameter(torch.empty(shape, **factory)))
                self._all_weights.append(names)
        self._flat_weights_names: list[str] = [name for names in self._all_weights for name in names]
        self.reset_parameters()

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        if "_all_weights" not in self.__dict__:  # pickled before these lists existed: rebuild them
            kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else []) + (
                ["weight_hr"] if self.proj_size > 0 else [])
            self._all_weights = [[param_name(k, layer, d) for k in kinds] for layer in range(self.num_layers)
                                 for d in range(self.config.num_directions)]
            self._flat_weights_names = [name for names in self._all_weights for name in names]

    @property
    def _flat_weights(self) -> list:
        """torch's flat list of the weights, in ``_flat_weights_names`` order. Read afresh on every access, so it
        follows ``self.weight = ...``, ``.to()``, ``load_state_dict``, weight_norm and parametrizations without
        the ``__setattr__``/``_apply`` bookkeeping torch needs to keep its cached list in sync."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """Per layer and direction, ``[w_ih, w_hh, b_ih, b_hh(, w_hr)]`` (without biases when ``bias=False``)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Does nothing: torch compacts weights for cuDNN here, a no-op on CPU. Kept so user code that calls
        it in ``forward`` (very common) runs unchanged."""

    @property
    def config(self) -> LSTMConfig:
        return LSTMConfig(self.input_size, self.hidden_size, self.num_layers, self.bias, self.batch_first,
                          self.dropout, self.bidirectional, self.proj_size)

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, input, hx=None):
        prep = prepare(self, input, hx)
        output, h_n, c_n = run_layers(self, prep)
        return finish(self, prep, output, h_n, c_n)

    @classmethod
    def from_torch(cls, module: nn.Module) -> LSTM:
        """Our LSTM with the configuration and (copied) weights of a ``torch.nn.LSTM``."""
        return _from_torch(module)

    def to_torch(self) -> nn.Module:
        """A ``torch.nn.LSTM`` with this configuration and (copied) weights — the reference we compare with."""
        return _to_torch(self)

    def extra_repr(self) -> str:
        """Exactly torch's RNNBase.extra_repr: non-default arguments, proj_size first."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _copy(source: nn.Module, target: nn.Module) -> nn.Module:
    """Copy weights after checking that names and shapes match one for one."""
    src, dst = source.state_dict(), target.state_dict()
    if list(src) != list(dst):
        raise ValueError(f"parameter names differ: {list(src)} vs {list(dst)}")
    for name, value in src.items():
        if value.shape != dst[name].shape:
            raise ValueError(f"{name}: shape {tuple(value.shape)} vs {tuple(dst[name].shape)}")
    target.load_state_dict(src)
    return target.train(source.training)


def _from_torch(module: nn.Module) -> LSTM:
    cfg = LSTMConfig(module.input_size, module.hidden_size, module.num_layers, module.bias, module.batch_first,
                     module.dropout, module.bidirectional, module.proj_size)
    weight = module.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = LSTM(**cfg.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(module, ours)


def _to_torch(model: LSTM) -> nn.Module:
    weight = model.weight_ih_l0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = nn.LSTM(**model.config.kwargs(), device=weight.device, dtype=weight.dtype)
    return _copy(model, reference)
