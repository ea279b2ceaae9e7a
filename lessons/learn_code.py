"""The Learn run as the training loop a learner writes in plain PyTorch: seed, model, readout, Adam, then per
step forward, loss, zero_grad, backward, clip, step.

    code = training_script(settings, steps=300)   # Python source for the Learn page's settings
    exec(code, namespace)                          # namespace["lstm"], namespace["head"]: the trained modules

The script is generated for the page's settings (task, T, hidden_size, seed, learning rate, forget bias,
initialisation) and tested to give bitwise the weights of the app's own run of the same length
(``Trainer.run``, what the worker processes execute): ``tests/lessons/test_learn_code.py`` executes it. Two
names come from the app, and the script says so: the task's seeded batches (``lessons.tasks``) and the engine
(``lstm_core.LSTM``, a drop-in for ``torch.nn.LSTM``). ``orthogonal_hh_`` is the trainer's own function,
copied in by ``inspect`` (not a second copy that could drift).
"""

from __future__ import annotations

import inspect
import textwrap

from .learn import Trainer, full_settings, orthogonal_hh_
from .tasks import Task, make_task

PRINT_EVERY = 50


def _forward(task: Task, h: int) -> list[str]:
    """The forward pass, readout and loss of ``task`` (``Task.predict`` and ``Task.loss``, written out)."""
    out = [f"    output, (h_n, c_n) = lstm(x)  # output: (T, B, {h}); h_n, c_n: (1, B, {h})"]
    if task.per_step:
        out.append("    pred = head(output.transpose(0, 1)).squeeze(-1)  # (B, T): every step's h -> the next value")
    elif task.output_size == 1:
        out.append("    pred = head(h_n[-1]).squeeze(-1)  # (B,): the last step's h, read out")
    else:
        out.append(f"    pred = head(h_n[-1])  # (B, {task.output_size}): h at each phrase's own last token")
    loss = "cross_entropy" if task.metric == "accuracy" else "mse_loss"
    out.append(f"    loss = nn.functional.{loss}(pred, y)")
    return out


def _input_comment(task: Task, batch: int) -> str:
    if task.name == "sentiment":
        return f"x: a PackedSequence of {batch} phrases (each its own length); y: (B,) labels 0/1"
    target = "(B, T) next values" if task.per_step else "(B,) targets"
    return f"x: (T={task.seq_len}, B={batch}, {task.input_size}) time-major; y: {target}"


def training_script(settings: dict, steps: int, batch_size: int = 32, clip: float = 1.0) -> str:
    """Plain-PyTorch source of ``steps`` training steps with the Learn page's ``settings``, from the start."""
    s = full_settings(settings)
    task = make_task(s["name"], s["seq_len"])
    config = task.config(s["hidden"])
    h = config.hidden_size
    lr = float(s["lr"] or task.default_lr)
    seq = "" if task.name == "sentiment" else f", seq_len={task.seq_len}"
    lines = [
        "import torch",
        "from torch import nn",
        "",
        "from lessons.tasks import make_task  # the app's toy task: seeded batches (lessons/tasks.py)",
        "from lstm_core import LSTM  # the app's engine, a drop-in for torch.nn.LSTM",
        "",
        "torch.set_num_threads(1)  # one CPU thread, as the app's workers: the same arithmetic, bit for bit",
        f"SEED, STEPS = {int(s['seed'])}, {int(steps)}",
        f"task = make_task({task.name!r}{seq})",
        "",
        "",
        "def batch(step):",
        f'    """Batch `step`: {batch_size} fresh examples of the task, from their own seed (SEED, step)."""',
        f"    data = task.sample({batch_size}, seed=(SEED * 1_000_003 + step * 7919 + 17) % 2**62)",
        f"    return data.model_input(), data.y  # {_input_comment(task, batch_size)}",
        "",
    ]
    if s["init"] == "orthogonal":
        lines += ["", inspect.getsource(orthogonal_hh_).rstrip(), ""]
    lines += [
        "",
        "torch.manual_seed(SEED)",
        f"lstm = LSTM({', '.join(f'{k}={v!r}' for k, v in config.kwargs().items() if _shown(k, v))})"
        f"  # weights uniform in ±1/√{h}",
    ]
    if s["init"] == "orthogonal":
        lines.append("orthogonal_hh_(lstm)  # W_hh: an orthogonal block per gate")
    if s["forget_bias"] and config.bias:
        lines.append("with torch.no_grad():  # the forget gate's bias b_if (gate order i, f, g, o)")
        for layer in range(config.num_layers):
            lines.append(f"    lstm.bias_ih_l{layer}[{h}:{2 * h}] += {float(s['forget_bias'])!r}")
    lines += [
        "torch.manual_seed(SEED + 1)",
        f"head = nn.Linear({config.h_out}, {task.output_size})  # the readout",
        "params = list(lstm.parameters()) + list(head.parameters())",
        f"optimizer = torch.optim.Adam(params, lr={lr!r})",
        "",
        "for step in range(STEPS):",
        "    x, y = batch(step)",
        *_forward(task, config.h_out),
        "    optimizer.zero_grad()",
        "    loss.backward()  # backpropagation through time",
        f"    nn.utils.clip_grad_norm_(params, max_norm={float(clip)!r})",
        "    optimizer.step()",
        f"    if (step + 1) % {PRINT_EVERY} == 0 or step + 1 == STEPS:",
        '        print(f"step {step + 1}: loss {loss.item():.4f}")',
    ]
    return "\n".join(lines) + "\n"


def _shown(key: str, value) -> bool:
    """The constructor arguments worth writing: those that differ from torch.nn.LSTM's defaults."""
    defaults = dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0)
    return key not in defaults or defaults[key] != value


def step_source() -> str:
    """The app's own training step (``Trainer.train_step``, what every worker runs), as its module holds it."""
    return textwrap.dedent(inspect.getsource(Trainer.train_step))
