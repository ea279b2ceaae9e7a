"""Sentiment page through app.py: training advances the session's seeded trainer (and resumes), the metrics
and token colours equal lessons.sentiment on an identically trained model, in both languages."""

import pytest
import torch

from lessons import jobs
from lessons import sentiment as S
from tests.helpers import block_worker, finish_training, module_pool, traces_by_meta
from ui.i18n import translate

pool = module_pool("lessons.sentiment")  # the server's training workers, fresh for this module


def finish(at):
    return finish_training(at, "sentiment_run", 200)


@pytest.fixture(scope="module")
def reference():
    tr = S.Trainer(S.split(0), seed=0)
    tr.advance(20)
    return tr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_train_resume_and_read(run_app, assert_app_ok, app_text, reference, lang):
    at = run_app(page="sentiment", lang=lang, timeout=120)
    assert_app_ok(at)
    at.slider(key="sentiment_steps").set_value(10)
    finish(at.button(key="sentiment_train").click().run(timeout=200))
    finish(at.button(key="sentiment_train").click().run(timeout=200))  # resume: 10 + 10 steps
    assert_app_ok(at)
    trainer = at.session_state["sentiment_trainer"]
    assert trainer.step == 20 and trainer.losses == reference.losses
    metrics = [m.value for m in at.metric]
    scores = reference.scores()
    assert metrics[:3] == ["20", f"{scores['train']:.1%}", f"{scores['test']:.1%}"]
    assert "0.0" in metrics  # the padding row of the embedding
    r = S.read(reference.model, reference.data.vocab, "the plot was dull but the acting was great")
    fig = traces_by_meta(at)["tokens"]
    assert fig["text"] == [r.tokens]
    want = r.values[0, 0]["c"][:, r.ranking[0]]
    assert max(abs(a - float(b)) for a, b in zip(fig["z"][0], want, strict=True)) < 1e-6
    assert ("的变化排序" if lang == "zh" else "ranked by how much h moves") in app_text(at)


def test_typed_chinese_sentence_and_quantity(run_app, assert_app_ok, reference):
    at = run_app(page="sentiment", timeout=120)
    at.text_input(key="sentiment_text").input("虽然剧情很无聊，但是演技非常出色")
    at.selectbox(key="sentiment_q").set_value("f").run()
    assert_app_ok(at)
    model = at.session_state["sentiment_trainer"].model
    r = S.read(model, S.split(0).vocab, "虽然剧情很无聊，但是演技非常出色")
    fig = traces_by_meta(at)["tokens"]
    assert fig["text"] == [r.tokens] and r.tokens[r.contrast_step] == "但"
    want = torch.tensor(r.values[0, 0]["f"][:, r.ranking[0]])
    assert (torch.tensor(fig["z"][0]) - want).abs().max() < 1e-6


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_what_a_server_restart_loses(run_app, assert_app_ok, lang):
    """The classifier trained here exists only on this server (a replica restart reconnects elsewhere)."""
    at = run_app(page="sentiment", lang=lang)
    assert_app_ok(at)
    assert translate(lang, "deploy.session_note") in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_queued_run_shows_its_place_and_an_estimate(run_app, assert_app_ok, pool, lang):
    blockers = [block_worker(pool, 800 + i) for i in range(2)]  # both workers busy: ours is 1st in line
    try:
        pool.wait_for(blockers[1], lambda s: s.state == jobs.RUNNING, 60)
        at = run_app(page="sentiment", lang=lang, query={"seed": 7 if lang == "en" else 8}, timeout=120)
        at.slider(key="sentiment_steps").set_value(10)
        at.button(key="sentiment_train").click().run(timeout=120)
        assert_app_ok(at)
        status = pool.status(at.session_state["sentiment_run"][0])
        assert (status.state, status.place) == (jobs.QUEUED, 1)
        place = translate(lang, "learn.place.st", n=1)
        head, tail = translate(lang, "learn.queue", place=place, seconds="{S}").split("{S}")
        shown = [i.value for i in at.main.info]  # the sidebar holds its own notes
        assert len(shown) == 1 and shown[0].startswith(head) and shown[0].endswith(tail), shown
        assert at.button(key="sentiment_train").disabled
        assert at.session_state["sentiment_trainer"].step == 0
    finally:
        for ticket in blockers:
            pool.leave(ticket)
    finish(at)
    assert_app_ok(at)
    seed = at.session_state["sentiment_trainer"].seed
    ref = S.Trainer(S.split(seed), seed=seed)
    ref.advance(10)
    assert at.session_state["sentiment_trainer"].losses == ref.losses and not at.main.info


def test_two_learners_share_one_run_and_get_the_same_classifier(run_app, pool):
    started = pool.stats()["started"]
    a, b = (run_app(page="sentiment", query={"seed": 3}, timeout=120) for _ in range(2))
    for at in (a, b):
        at.slider(key="sentiment_steps").set_value(30)
        at.button(key="sentiment_train").click().run(timeout=120)
    assert a.session_state["sentiment_run"][0].job_id == b.session_state["sentiment_run"][0].job_id
    finish(a), finish(b)
    assert pool.stats()["started"] == started + 1
    wa = a.session_state["sentiment_trainer"].model.state_dict()
    wb = b.session_state["sentiment_trainer"].model.state_dict()
    assert all(torch.equal(wa[k], wb[k]) for k in wa) and a.session_state["sentiment_trainer"].step == 30
