"""The Learn page's training loop in plain PyTorch (lessons.learn_code): executed, it gives bitwise the weights
of the app's own run (the trainer the worker processes run) for every task and every initialisation choice,
and it changes with every setting it claims to reflect."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
import torch

from lessons.learn import Trainer, from_settings
from lessons.learn_code import step_source, training_script
from lessons.tasks import TASK_NAMES

BASE = dict(name="memory", seq_len=8, hidden=8, seed=0, lr=0.03, forget_bias=0.0, init="default")


def run_script(code: str) -> dict:
    """Execute the shown code as a learner would (its prints go to pytest's capture)."""
    namespace: dict = {"__name__": "__learner__"}
    exec(compile(code, "<learn-loop>", "exec"), namespace)
    return namespace


def weights(lstm, head) -> dict:
    return {**{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
            **{f"head.{k}": v for k, v in head.state_dict().items()}}


def assert_bitwise(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


CASES = [dict(BASE, name=name, seq_len=None, hidden=4, lr=None, seed=seed, forget_bias=fb, init=init)
         for name in TASK_NAMES for seed, fb, init in ((0, 0.0, "default"), (5, 1.0, "orthogonal"))]


@pytest.mark.parametrize("settings", CASES, ids=lambda s: f"{s['name']}-{s['init']}-fb{s['forget_bias']:g}")
def test_the_shown_loop_gives_bitwise_the_weights_of_the_apps_run(settings):
    steps = 7
    ns = run_script(training_script(settings, steps))
    app = from_settings(settings)
    app.run(4)
    app.run(3)  # the app trains in chunks; the script in one loop
    assert_bitwise(weights(ns["lstm"], ns["head"]), weights(app.model, app.head))
    assert float(ns["loss"].detach()) == app.losses[-1]
    assert type(ns["lstm"]) is type(app.model)  # the same engine


def test_the_loop_reflects_every_setting():
    code = training_script(BASE, 300)
    assert "SEED, STEPS = 0, 300" in code and "lr=0.03" in code and 'make_task("memory", seq_len=8)' not in code
    assert "make_task('memory', seq_len=8)" in code and "LSTM(input_size=2, hidden_size=8)" in code
    assert "orthogonal_" not in code and "bias_ih_l0" not in code
    for change, shows in (({"seed": 7}, "SEED, STEPS = 7, 300"), ({"lr": 0.1}, "lr=0.1)"),
                          ({"hidden": 5}, "hidden_size=5"), ({"seq_len": 12}, "seq_len=12"),
                          ({"forget_bias": 1.0}, "lstm.bias_ih_l0[8:16] += 1.0"),
                          ({"init": "orthogonal"}, "orthogonal_hh_(lstm)")):
        other = training_script({**BASE, **change}, 300)
        assert other != code and shows in other, change
    assert "SEED, STEPS = 0, 40" in training_script(BASE, 40)
    assert "clip_grad_norm_(params, max_norm=0.5)" in training_script(BASE, 40, clip=0.5)
    ast.parse(code)


def test_the_orthogonal_init_in_the_loop_is_the_trainers_own_function():
    from lessons.learn import orthogonal_hh_

    code = training_script({**BASE, "init": "orthogonal"}, 10)
    assert inspect.getsource(orthogonal_hh_).strip() in code


def test_torch_nn_lstm_in_place_of_the_engine_trains_the_same_up_to_float32_rounding():
    """The script's comment: the engine is a drop-in for torch.nn.LSTM."""
    code = training_script({**BASE, "init": "orthogonal", "forget_bias": 1.0}, 5)
    theirs = code.replace("from lstm_core import LSTM", "from torch.nn import LSTM")
    assert theirs != code
    ours, torch_ns = run_script(code), run_script(theirs)
    assert isinstance(torch_ns["lstm"], torch.nn.LSTM)
    a, b = weights(ours["lstm"], ours["head"]), weights(torch_ns["lstm"], torch_ns["head"])
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_the_apps_step_is_shown_from_its_source():
    src = step_source()
    assert src == textwrap.dedent(inspect.getsource(Trainer.train_step)) and src.startswith("def train_step(")
    for call in ("zero_grad()", "backward()", "clip_grad_norm_(", "optimizer.step()"):
        assert call in src, call
