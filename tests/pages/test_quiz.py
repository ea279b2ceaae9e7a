"""Shape quiz page through app.py: the question shown is the seeded one, a right answer raises the score,
wrong answers show the rule behind the mistake, malformed answers get a message (no exception), and the
"new question" button moves on with empty fields."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lessons import quiz
from ui.i18n import translate


def submit(at):
    button = next(b for b in at.button if (b.key or "").startswith("FormSubmitter:quiz_form"))
    return button.click().run()


def field(at, name):
    """The answer field of `name` for the question on screen (keys carry the question's seed)."""
    return at.text_input(key=f"quiz_{name}_{at.session_state['quiz_seed']}")


def answer(at, **shapes):
    for name, text in shapes.items():
        field(at, name).set_value(text)
    return submit(at)


def torch_shapes(q: quiz.Question) -> dict:
    """Independently: build the nn.LSTM of the question and run an input of the question's shape."""
    lstm = nn.LSTM(**q.config.kwargs())
    with torch.no_grad():
        out, (h, c) = lstm(torch.randn(q.input_shape))
    return {"output": tuple(out.shape), "h_n": tuple(h.shape), "c_n": tuple(c.shape)}


def seed_where(pred) -> int:
    return next(s for s in range(500) if pred(quiz.random_question(s)))


def test_right_answer_raises_the_score(run_app, assert_app_ok, app_text):
    at = run_app(page="quiz", query={"quiz_seed": 11})
    assert_app_ok(at)
    q = quiz.random_question(11)
    assert at.session_state["quiz_seed"] == 11
    assert any(q.code() in c.value for c in at.code)
    assert at.metric[0].value == "0 / 0"
    truth = torch_shapes(q)
    at = answer(at, output=str(truth["output"]), h_n=f"torch.Size({list(truth['h_n'])})",
                c_n=", ".join(map(str, truth["c_n"])))
    assert_app_ok(at)
    assert at.metric[0].value == "1 / 1"
    assert at.success and at.success[0].value == translate("en", "quiz.all_right")
    # the same question answered again does not count twice
    at = submit(at)
    assert at.metric[0].value == "1 / 1"


def test_wrong_answers_are_explained(run_app, assert_app_ok, app_text):
    seed = seed_where(lambda q: q.config.batch_first and q.config.proj_size > 0 and not q.unbatched)
    q = quiz.random_question(seed)
    truth = torch_shapes(q)
    at = run_app(page="quiz", query={"quiz_seed": seed})
    b, rows, p = q.batch_size, q.config.num_layers * q.config.num_directions, q.config.proj_size
    h = q.config.hidden_size
    at = answer(at, output=str(truth["output"]), h_n=str((b, rows, p)), c_n=str((rows, b, p)))
    assert_app_ok(at)
    text = app_text(at)
    assert at.metric[0].value == "0 / 1"
    sym = quiz.symbols(q)
    assert translate("en", "quiz.why.state_batch_first") in text.replace("\\'", "'")
    assert translate("en", "quiz.why.c_proj", tensor="c_n", **sym) in text.replace("\\'", "'")
    assert f"torch returns `{truth['c_n']}`" in text and f"(num_layers·D, B, H) = {(rows, b, h)}" in text


def test_malformed_answer_gets_a_message(run_app, assert_app_ok):
    at = run_app(page="quiz", query={"quiz_seed": 3})
    at = answer(at, output="five by two", h_n="", c_n="(2, -1, 4)")
    assert_app_ok(at)
    warnings = [w.value for w in at.warning]
    assert translate("en", "quiz.parse.not_int", tensor="output", text="five by two") in warnings
    assert translate("en", "quiz.parse.empty", tensor="h_n", text="") in warnings
    assert translate("en", "quiz.parse.not_positive", tensor="c_n", text="(2, -1, 4)") in warnings
    assert at.metric[0].value == "0 / 0"


def test_new_question_and_bad_seed(run_app, assert_app_ok):
    at = run_app(page="quiz", query={"quiz_seed": "banana"})
    assert_app_ok(at)
    assert any("banana" in w.value for w in at.warning)
    first = at.session_state["quiz_seed"]
    at = answer(at, output="(1, 2, 3)", h_n="(1, 2, 3)", c_n="(1, 2, 3)")
    assert at.metric[0].value == "0 / 1"
    at.button(key="quiz_new").click().run()
    assert_app_ok(at)
    assert at.session_state["quiz_seed"] != first
    assert field(at, "output").value == "" and not at.success
    assert at.metric[0].value == "0 / 1"  # the session score stays
    assert any(quiz.random_question(at.session_state["quiz_seed"]).code() in c.value for c in at.code)


def test_chinese(run_app, assert_app_ok, app_text):
    seed = seed_where(lambda q: q.unbatched)
    q = quiz.random_question(seed)
    truth = torch_shapes(q)
    at = run_app(page="quiz", lang="zh", query={"quiz_seed": seed})
    at = answer(at, output=str((q.seq_len, 1, truth["output"][-1])), h_n=str(truth["h_n"]),
                c_n=str(truth["c_n"]))
    assert_app_ok(at)
    text = app_text(at)
    assert "形状测验" in text and "本次得分" in text
    assert translate("zh", "quiz.why.unbatched") in text


@pytest.mark.parametrize("value", ["²", "①", "١٢", "-3", "1000000000", "9" * 500, " 7 x"])
def test_seeds_that_look_like_digits_are_refused(run_app, assert_app_ok, value):
    """"²".isdigit() is True but int("²") raises: the page warns and asks a random question instead."""
    at = run_app(page="quiz", query={"quiz_seed": value})
    assert_app_ok(at)
    assert len(at.warning) == 1 and "quiz_seed" in at.warning[0].value
    seed = at.session_state["quiz_seed"]
    assert isinstance(seed, int) and 0 <= seed <= quiz.MAX_SEED and quiz.level_of(seed) == 1  # a first question
    assert any(quiz.random_question(seed).code() in c.value for c in at.code)
    at.button(key="quiz_new").click().run()  # the next action still works
    assert_app_ok(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_questions_are_numbered_and_get_harder(run_app, assert_app_ok, app_text, lang):
    """The heading counts questions (not the random seed) and names the level; every two answered questions
    the next one is a level harder."""
    at = run_app(page="quiz", lang=lang)
    assert_app_ok(at)
    assert str(at.session_state["quiz_seed"]) not in at.markdown[1].value
    levels = []
    for n in range(1, 8):
        seed = at.session_state["quiz_seed"]
        level = quiz.level_of(seed)
        levels.append(level)
        heading = translate(lang, "quiz.question", n=n, level=level, levels=quiz.LEVELS,
                            about=translate(lang, f"quiz.level.{level}"))
        assert heading in [m.value for m in at.markdown]
        shapes = quiz.true_shapes(quiz.random_question(seed))
        for name in quiz.TENSORS:
            field(at, name).set_value(str(shapes[name]))
        submit(at)
        at.button(key="quiz_new").click().run()
        assert_app_ok(at)
    assert levels == [1, 1, 2, 2, 3, 3, 4]
