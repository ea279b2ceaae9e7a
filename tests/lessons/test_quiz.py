"""The shape quiz: questions are valid and reproducible, the parser accepts the usual notations and refuses
garbage with a reason, the checker agrees with real tensors and names every kind of mistake."""

from __future__ import annotations

import pytest
import torch

from lessons import quiz
from lstm_core import LSTM

SEEDS = range(30)


@pytest.mark.parametrize("text", ["(5, 2, 12)", "5,2,12", "[5, 2, 12]", "torch.Size([5, 2, 12])", "5 2 12",
                                  "5x2x12", " ( 5 ,2, 12 ) ", "（5，2，12）", "[5,2,12]", "torch.Size((5, 2, 12))"])
def test_parse_accepts_common_notations(text):
    assert quiz.parse_shape(text) == (5, 2, 12)


def test_parse_one_dimension():
    assert quiz.parse_shape("(24,)") == (24,) == quiz.parse_shape("24") == quiz.parse_shape("torch.Size([24])")


@pytest.mark.parametrize("text, reason", [("", "empty"), ("   ", "empty"), ("()", "empty"), ("abc", "not_int"),
                                          ("(5, 2.5, 3)", "not_int"), ("(5, -2, 3)", "not_positive"),
                                          ("(0, 2)", "not_positive"), ("5,,2", "not_int"), (None, "empty")])
def test_parse_refuses_malformed_with_a_reason(text, reason):
    with pytest.raises(quiz.ShapeParseError) as err:
        quiz.parse_shape(text)
    assert err.value.reason == reason


def test_questions_are_reproducible_and_valid():
    for seed in SEEDS:
        q = quiz.random_question(seed)
        assert q == quiz.random_question(seed)
        q.config.validate()
        sizes = [q.config.input_size, q.config.hidden_size, q.batch_size, q.seq_len]
        assert len(set(sizes)) == 4  # distinct, so a swapped dimension is visible
    kinds = {(quiz.random_question(s).config.bidirectional, quiz.random_question(s).unbatched,
              quiz.random_question(s).config.proj_size > 0, quiz.random_question(s).config.batch_first)
             for s in range(200)}
    assert {k[0] for k in kinds} == {False, True} and {k[1] for k in kinds} == {False, True}
    assert {k[2] for k in kinds} == {False, True} and {k[3] for k in kinds} == {False, True}


def test_true_shapes_come_from_a_forward_pass_and_match_the_rule():
    for seed in SEEDS:
        q = quiz.random_question(seed)
        truth = quiz.true_shapes(q)
        # independently: our engine on an input of the question's shape
        model = LSTM(**q.config.kwargs()).eval()
        with torch.no_grad():
            out, (h, c) = model(torch.zeros(q.input_shape))
        assert truth == {"output": tuple(out.shape), "h_n": tuple(h.shape), "c_n": tuple(c.shape)}
        for name in quiz.TENSORS:
            assert quiz.believed_shape(q, name, frozenset()) == truth[name]
            assert quiz.formula(q, name).endswith(str(truth[name]))


@pytest.mark.parametrize("style", [str, lambda s: ", ".join(map(str, s)), lambda s: str(list(s)),
                                   lambda s: f"torch.Size({list(s)})", lambda s: " ".join(map(str, s))])
def test_right_answers_in_every_format_are_right(style):
    for seed in range(8):
        q = quiz.random_question(seed)
        truth = quiz.true_shapes(q)
        result = quiz.check(q, {name: style(truth[name]) for name in quiz.TENSORS})
        assert all(r.correct and not r.mistakes and r.parse_error is None for r in result.values())


def _find(mistake, tensor):
    """A question where this misconception alone changes the tensor's shape, and that shape."""
    for seed in range(400):
        q = quiz.random_question(seed)
        truth = quiz.believed_shape(q, tensor, frozenset())
        wrong = quiz.believed_shape(q, tensor, frozenset({mistake}))
        if wrong != truth and quiz.explain(q, tensor, wrong) == [mistake]:
            return q, wrong
    raise AssertionError(f"no question shows {mistake} on {tensor}")


@pytest.mark.parametrize("tensor, mistake", [(t, m) for t in quiz.TENSORS for m in quiz.RELEVANT[t]])
def test_each_kind_of_mistake_is_explained(tensor, mistake):
    q, wrong = _find(mistake, tensor)
    truth = quiz.true_shapes(q)
    answers = {name: str(truth[name]) for name in quiz.TENSORS}
    answers[tensor] = str(wrong)
    result = quiz.check(q, answers)
    assert not result[tensor].correct and result[tensor].mistakes == [mistake]
    assert all(result[n].correct for n in quiz.TENSORS if n != tensor)


def test_named_mistakes_from_the_brief():
    # batch_first does not apply to h_n
    q = next(quiz.random_question(s) for s in range(200) if quiz.random_question(s).config.batch_first
             and not quiz.random_question(s).unbatched)
    t = quiz.true_shapes(q)
    r = quiz.check(q, {"output": str(t["output"]), "h_n": str((t["h_n"][1], t["h_n"][0], t["h_n"][2])),
                       "c_n": str(t["c_n"])})
    assert r["h_n"].mistakes == ["state_batch_first"]
    # c keeps hidden_size with proj
    q = next(quiz.random_question(s) for s in range(200) if quiz.random_question(s).config.proj_size)
    t = quiz.true_shapes(q)
    r = quiz.check(q, {"output": str(t["output"]), "h_n": str(t["h_n"]), "c_n": str(t["h_n"])})
    assert r["c_n"].mistakes == ["c_proj"]


def test_combined_and_unknown_mistakes():
    q = next(quiz.random_question(s) for s in range(200)
             if quiz.random_question(s).config.bidirectional and quiz.random_question(s).config.num_layers > 1
             and quiz.random_question(s).config.batch_first and not quiz.random_question(s).unbatched)
    c = q.config
    t = quiz.true_shapes(q)
    # batch-first AND forgot the layers
    wrong = (q.batch_size, c.num_directions, c.h_out)
    r = quiz.check(q, {"output": str(t["output"]), "h_n": str(wrong), "c_n": str(t["c_n"])})
    assert set(r["h_n"].mistakes) == {"state_batch_first", "state_layers"}
    r = quiz.check(q, {"output": "(1, 2)", "h_n": "(97, 98, 99)", "c_n": str(t["c_n"])})
    assert r["output"].mistakes == ["rank"] and r["h_n"].mistakes == ["other"]


def test_malformed_answers_do_not_raise():
    q = quiz.random_question(0)
    r = quiz.check(q, {"output": "hello", "h_n": "", "c_n": "(-1, 2, 3)"})
    assert [r[n].parse_error for n in quiz.TENSORS] == ["not_int", "empty", "not_positive"]
    assert not any(r[n].correct for n in quiz.TENSORS)
    r = quiz.check(q, {})
    assert all(r[n].parse_error == "empty" for n in quiz.TENSORS)


def test_code_is_runnable_and_gives_the_true_shapes():
    for seed in range(10):
        q = quiz.random_question(seed)
        scope = {"torch": torch, "nn": torch.nn}
        torch.manual_seed(0)
        exec(q.code(), scope)  # the snippet the learner reads
        got = {"output": tuple(scope["output"].shape), "h_n": tuple(scope["h_n"].shape),
               "c_n": tuple(scope["c_n"].shape)}
        assert got == quiz.true_shapes(q)


def test_levels_go_from_easy_to_hard():
    """Level 1: one layer, one direction, time-major, batched; each level adds arguments; level 4 is the full
    distribution. The level is read off the seed alone, so a link reproduces the question."""
    import random

    rng = random.Random(0)
    for level in range(1, quiz.LEVELS + 1):
        qs = [quiz.random_question(quiz.seed_for(level, rng)) for _ in range(200)]
        assert all(quiz.level_of(q.seed) == level for q in qs)
        cfgs = [q.config for q in qs]
        assert all(c.num_layers == 1 for c in cfgs) == (level < 3)
        assert all(not c.bidirectional and not c.batch_first for c in cfgs) == (level < 2)
        simple = [c.proj_size == 0 and c.bias and not q.unbatched for c, q in zip(cfgs, qs, strict=True)]
        assert all(simple) == (level < 4)
        for q in qs[:20]:  # still unambiguous and still what torch returns
            shapes = quiz.true_shapes(q)
            assert shapes["h_n"][-2] == q.batch_size or q.unbatched
    assert [quiz.level_after(n) for n in range(9)] == [1, 1, 2, 2, 3, 3, 4, 4, 4]
