"""Initialisation tips measured on a Learn task (lessons.learn_init): the comparison equals runs trained here
one by one, the verdict follows the numbers whichever way they go, and the init choice is part of a run's key
in the shared pool (a different init is a different run, the same init is one shared run)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lessons import jobs
from lessons.learn import INITS, Trainer, from_settings, orthogonal_hh_, run_key, state_bytes
from lessons.learn_init import (
    VARIANTS,
    Comparison,
    Run,
    Variant,
    budget,
    compare_here,
    compare_key,
    plan,
    seeds,
    verdict,
    verdicts,
)
from lessons.tasks import make_task

SMALL = dict(name="memory", seq_len=6, hidden=4, seed=11, lr=0.03, forget_bias=0.0, init="default")
JOB = "lessons.learn:train_job"
WAIT = 120  # seconds: a deadline on a condition, never a pause


def test_the_comparison_equals_each_run_trained_here_one_by_one():
    steps = 40
    comp = compare_here(SMALL, steps, n_seeds=2)
    assert comp.seeds == (11, 12) and comp.steps == steps and comp.task == "memory"
    assert [(v.init, v.forget_bias) for v in comp.variants] == list(VARIANTS)
    target = make_task("memory").target_quality
    for init, fb in VARIANTS:
        v = comp.variant(init, fb)
        losses, reached, tails, finals = [], [], [], []
        for seed in (11, 12):
            tr = Trainer(make_task("memory", 6), hidden_size=4, seed=seed, lr=0.03, forget_bias=fb, init=init)
            tr.run(steps)
            losses.append(tr.losses)
            reached.append(next((s for s, q in tr.history if q >= target), None))
            tails.append(sum(tr.losses[-4:]) / 4)  # the last 10% of 40 steps
            finals.append(tr.history[-1][1])
            run = next(r for r in v.runs if r.seed == seed)
            assert list(run.losses) == tr.losses and list(run.history) == tr.history
        assert v.mean_loss() == pytest.approx(np.mean(losses, axis=0))
        assert [r.solved_at for r in v.runs] == reached
        assert v.solved == sum(r is not None for r in reached)
        assert v.final_loss == pytest.approx(np.mean(tails)) and v.final_quality == pytest.approx(np.mean(finals))
        assert v.mean_quality()[-1] == (steps, pytest.approx(np.mean(finals)))


def test_the_four_variants_really_differ_in_their_starting_weights():
    trainers = {(init, fb): from_settings({**SMALL, "init": init, "forget_bias": fb}) for init, fb in VARIANTS}
    base = trainers[("default", 0.0)].init_model
    ortho = trainers[("orthogonal", 0.0)].init_model
    h = 4
    for block in ortho.weight_hh_l0.detach().chunk(4):  # each gate's block is orthogonal
        torch.testing.assert_close(block @ block.T, torch.eye(h), atol=1e-5, rtol=0)
    assert not torch.allclose(base.weight_hh_l0, ortho.weight_hh_l0)
    for name in ("weight_ih_l0", "bias_ih_l0", "bias_hh_l0"):  # only W_hh changes
        assert torch.equal(getattr(base, name), getattr(ortho, name)), name
    both = trainers[("orthogonal", 1.0)].init_model
    assert torch.equal(both.weight_hh_l0, ortho.weight_hh_l0)
    assert torch.equal(both.bias_ih_l0[h:2 * h], ortho.bias_ih_l0[h:2 * h] + 1.0)
    # what a practitioner writes: torch.manual_seed(seed); nn.LSTM(...); orthogonal per gate block
    torch.manual_seed(11)
    ref = orthogonal_hh_(torch.nn.LSTM(2, 4))
    torch.testing.assert_close(ref.weight_hh_l0, ortho.weight_hh_l0)
    with pytest.raises(ValueError, match="init must be one of"):
        from_settings({**SMALL, "init": "xavier"})
    assert INITS == ("default", "orthogonal")


def test_the_plan_and_its_key():
    specs = plan(SMALL)
    assert len(specs) == len(VARIANTS) * 3 and seeds(SMALL) == (11, 12, 13)
    assert {(s["init"], s["forget_bias"], s["seed"]) for s in specs} == {
        (i, f, s) for i, f in VARIANTS for s in (11, 12, 13)}
    assert all(s["hidden"] == 4 and s["lr"] == 0.03 and s["seq_len"] == 6 for s in specs)
    key = compare_key(SMALL, 300)
    # the learner's own init and forget bias choose the sentences, not the runs
    assert compare_key({**SMALL, "init": "orthogonal", "forget_bias": 1.0}, 300) == key
    for change in ({"seed": 12}, {"lr": 0.01}, {"hidden": 5}, {"seq_len": 7}, {"name": "adding"}):
        assert compare_key({**SMALL, **change}, 300) != key, change
    assert compare_key(SMALL, 301) != key
    assert budget(SMALL) == make_task("memory").default_steps == 300


def _variant(init, solved_at, final_loss, fb=0.0):
    runs = tuple(Run(init, fb, k, (9.0,) * 9 + (final_loss,) * 1, ((0, 0.0), (10, 1.0)), s)
                 for k, s in enumerate(solved_at))
    return Variant(init, fb, runs)


@pytest.mark.parametrize("a, b, outcome, better", [
    (([100, 120, None], 0.1), ([100, None, None], 0.1), "more_solved", True),
    (([None, None, 50], 0.1), ([100, 100, None], 0.1), "fewer_solved", False),
    (([100, 100, 100], 0.1), ([200, 200, 200], 0.1), "faster", True),
    (([200, 210, 220], 0.1), ([100, 110, 120], 0.1), "slower", False),
    (([100, 110, 120], 0.1), ([105, 110, 125], 0.1), "same_speed", None),
    (([60, 60, None], 0.1), ([50, 50, None], 0.1), "same_speed", None),  # within one evaluation
    (([None] * 3, 0.05), ([None] * 3, 0.2), "lower_loss", True),
    (([None] * 3, 0.2), ([None] * 3, 0.05), "higher_loss", False),
    (([None] * 3, 0.105), ([None] * 3, 0.1), "same_loss", None),
])
def test_the_verdict_follows_the_numbers_whichever_way_they_go(a, b, outcome, better):
    va, vb = _variant("orthogonal", *a), _variant("default", *b)
    v = verdict(va, vb)
    assert v.outcome == outcome and v.better is better
    assert v.a is va and v.b is vb


def test_verdicts_hold_the_other_choice_where_the_learner_set_it():
    variants = tuple(_variant(init, [None] * 2, 0.1 * (k + 1), fb) for k, (init, fb) in enumerate(VARIANTS))
    comp = Comparison("memory", 10, (0, 1), 0.95, "r2", 10, variants)
    v_init, v_fb = verdicts(comp, "orthogonal", 1.0)
    assert (v_init.a.init, v_init.a.forget_bias, v_init.b.init, v_init.b.forget_bias) == (
        "orthogonal", 1.0, "default", 1.0)
    assert (v_fb.a.init, v_fb.a.forget_bias, v_fb.b.init, v_fb.b.forget_bias) == ("orthogonal", 1.0, "orthogonal", 0.0)
    v_init, v_fb = verdicts(comp, "default", 0.0)
    assert (v_init.a.init, v_init.b.init, v_init.a.forget_bias) == ("orthogonal", "default", 0.0)
    assert (v_fb.a.init, v_fb.a.forget_bias, v_fb.b.forget_bias) == ("default", 1.0, 0.0)


# ------------------------------------------------------------------------------ the init in the run's key
@pytest.fixture(scope="module")
def pool():
    p = jobs.Pool(1, warm=("lessons.learn",), monitor_every=3600)
    p.warm_up()
    yield p
    p.close()


def _join(pool, settings, n=20):
    tr = from_settings(settings)
    return pool.join(run_key(settings, tr, n), JOB, (settings, state_bytes(tr), n, 4), steps=n, kind="init-test")


def test_the_init_is_part_of_the_runs_key_different_init_different_run_same_init_one_run(pool):
    base = dict(SMALL, seed=21)
    ortho = {**base, "init": "orthogonal"}
    assert run_key(base, from_settings(base), 20) != run_key(ortho, from_settings(ortho), 20)
    same_start = from_settings(base)  # the setting itself is in the key, not only the weights it gives
    assert run_key(base, same_start, 20) != run_key(ortho, same_start, 20)
    no_init = {k: v for k, v in base.items() if k != "init"}  # a caller that predates the option: the default
    assert run_key(no_init, from_settings(no_init), 20) == run_key(base, from_settings(base), 20)
    started = pool.stats()["started"]
    a, b = _join(pool, base), _join(pool, ortho)
    c = _join(pool, dict(ortho))  # another learner, the same init: the same run
    assert a.job_id != b.job_id and c.job_id == b.job_id and c.key == b.key
    ra, rb, rc = (pool.wait(t, WAIT) for t in (a, b, c))
    assert ra.state == rb.state == rc.state == jobs.DONE and rb.result is rc.result
    assert pool.stats()["started"] == started + 2
    got_a, got_b = from_settings(base), from_settings(ortho)
    from lessons.learn import load_state

    load_state(got_a, ra.result["state"])
    load_state(got_b, rb.result["state"])
    ref = from_settings(ortho)
    ref.run(20)
    assert all(torch.equal(p, q) for p, q in zip(got_b.model.parameters(), ref.model.parameters(), strict=True))
    assert not torch.equal(got_a.model.weight_hh_l0, got_b.model.weight_hh_l0)
