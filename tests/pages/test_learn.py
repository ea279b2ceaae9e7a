"""Learn page through app.py: training curve equals the trainer's losses, stop/resume is seamless, the
trained or uploaded model becomes the app's model (sidebar locked, Stepper uses it), uploads refused."""

from __future__ import annotations

import base64
import io
import json
import warnings

import numpy as np
import pytest
import torch

from lessons import jobs
from lessons import sources as src
from lessons.learn import Trainer
from lessons.tasks import make_task
from lstm_core import LSTMConfig, trace
from lstm_core.limits import MAX_UPLOAD_BYTES
from tests.helpers import block_worker, finish_training, module_pool
from ui.i18n import translate

QUICK = {"learn_steps": 12}



def stepper_f(at) -> np.ndarray:
    """The forget gate (T, H) in the data the Stepper's component receives (float32, base64)."""
    entry = json.loads(at.get("bidi_component")[0].proto.json)["view"]["arrays"]["f"]
    return np.frombuffer(base64.b64decode(entry["b64"]), dtype="<f4").reshape(entry["shape"]).astype(float)

def plotly_array(value) -> np.ndarray:
    """A Plotly JSON array: nested lists, or Plotly's typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(n) for n in str(value.get("shape", out.size)).split(",")]).astype(float)
    return np.array(value, dtype=float)


def curve(at) -> dict:
    figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    found = [f for f in figs if any(d.get("meta") == "loss" for d in f["data"])]
    assert len(found) == 1
    return {d["meta"]: d for d in found[0]["data"]}


pool = module_pool("lessons.learn")  # the server's training workers, fresh for this module


def finish(at):
    return finish_training(at, "learn_run", 120)


def click_train(at, steps: int):
    at.number_input(key="learn_steps").set_value(steps)
    return at.button(key="learn_train").click().run()


def train(at, steps: int):
    return finish(click_train(at, steps))


def test_training_curve_equals_the_trainers_losses_and_an_independent_run(run_app, assert_app_ok):
    at = run_app(page="learn")
    assert_app_ok(at)
    assert "learn_trainer" in at.session_state and at.session_state["learn_trainer"].step == 0
    train(at, 12)
    assert_app_ok(at)
    trainer = at.session_state["learn_trainer"]
    data = curve(at)
    assert trainer.step == 12
    assert data["loss"]["y"] == pytest.approx(trainer.losses)
    assert data["loss"]["x"] == list(range(1, 13))
    assert data["quality"]["x"] == [s for s, _ in trainer.history] == [0, 10]
    assert data["quality"]["y"] == pytest.approx([q for _, q in trainer.history])
    # the page's defaults for the memory task, trained independently, give the same numbers
    ref = Trainer(make_task("memory"), hidden_size=8, seed=0, lr=0.03)
    assert ref.run(12) == pytest.approx(trainer.losses, rel=1e-6)
    assert [m.value for m in at.metric][2] == "12"


def test_stop_and_resume_continue_the_same_run(run_app, assert_app_ok):
    at = run_app(page="learn", session={"learn_task": "adding"})
    train(at, 6)
    at.button(key="learn_stop").click().run()  # a stop between runs keeps everything trained so far
    assert at.session_state["learn_trainer"].step == 6
    train(at, 6)
    assert_app_ok(at)
    losses = at.session_state["learn_trainer"].losses
    ref = Trainer(make_task("adding"), hidden_size=16, seed=0, lr=0.01)
    assert ref.run(12) == pytest.approx(losses, rel=1e-6)
    at.button(key="learn_reset").click().run()
    assert at.session_state["learn_trainer"].step == 0


def test_trained_model_becomes_the_app_model_and_switching_back_restores_the_sidebar(run_app, assert_app_ok):
    at = run_app(page="learn", query={"input_size": 3, "hidden_size": 5, "seq_len": 4})
    train(at, 5)
    trained = at.session_state["learn_trainer"].model
    at.button(key="learn_use").click().run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "trained"
    assert at.sidebar.radio(key="model_source").value == "trained"
    for key, value in (("input_size", 2), ("hidden_size", 8), ("num_layers", 1), ("proj_size", 0)):
        assert at.slider(key=key).value == value and at.slider(key=key).disabled, key
    assert at.toggle(key="bidirectional").disabled and at.toggle(key="bias").value is True

    # the Stepper now traces the trained weights
    at.switch_page("pages/stepper.py").run()
    assert_app_ok(at)
    f_map = stepper_f(at)  # the forget gate the Stepper's browser component receives, (T, H)
    batch = src.random_batch(2, 4, 2, 0)
    expected = trace(trained.eval(), batch.model_input(trained.config)).numpy()[0, 0].f[:, 0, :].T
    np.testing.assert_allclose(f_map.T, expected, rtol=1e-6, atol=1e-7)
    random_f = trace(LSTMConfig(input_size=2, hidden_size=8).build(seed=0), batch.model_input(
        trained.config)).numpy()[0, 0].f[:, 0, :].T
    assert not np.allclose(expected, random_f)  # it really is another model than the seeded one

    # back to random weights: the learner's own sidebar values come back, unlocked
    at.sidebar.radio(key="model_source").set_value("random").run()
    assert_app_ok(at)
    assert at.slider(key="input_size").value == 3 and at.slider(key="hidden_size").value == 5
    assert not at.slider(key="input_size").disabled


def _pt(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_upload_good_file_shows_config_and_becomes_the_app_model(run_app, assert_app_ok, app_text):
    torch.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=2)
    at = run_app(page="learn")
    at.file_uploader(key="learn_upload").set_value(("mine.pt", _pt(ref.state_dict()), "application/octet-stream"))
    at.run()
    assert_app_ok(at)
    assert "mine.pt" in at.success[0].value
    code = "\n".join(c.value for c in at.code)
    assert "nn.LSTM(input_size=3, hidden_size=6, num_layers=2, bidirectional=True, proj_size=2)" in code
    at.button(key="learn_use_upload").click().run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "uploaded"
    assert at.slider(key="proj_size").value == 2 and at.toggle(key="bidirectional").value is True
    assert "mine.pt" in app_text(at)  # the sidebar switch names the file
    # the download section now describes the uploaded model
    assert "nn.LSTM(input_size=3, hidden_size=6, num_layers=2, bidirectional=True, proj_size=2)" in app_text(at)


BAD = {
    "not_plain": ("model.pt", lambda: _pt(torch.nn.LSTM(2, 3)), {"found": "torch.nn.modules.rnn.LSTM"}),
    "missing_keys": ("m.pt", lambda: _pt({"weight_ih_l0": torch.zeros(12, 2)}), {"keys": "weight_hh_l0"}),
    "extra_keys": ("m.pt", lambda: _pt({**torch.nn.LSTM(2, 3).state_dict(), "fc.weight": torch.zeros(1, 3)}),
                   {"keys": "fc.weight"}),
    "shape": ("m.pt", lambda: _pt({**torch.nn.LSTM(2, 3).state_dict(), "bias_ih_l0": torch.zeros(5)}),
              {"key": "bias_ih_l0", "got": (5,), "want": (12,)}),
    "dtype": ("m.pt", lambda: _pt({k: v.long() for k, v in torch.nn.LSTM(2, 3).state_dict().items()}),
              {"dtype": "int64"}),
    "corrupt": ("m.safetensors", lambda: b"\x08\x00\x00\x00\x00\x00\x00\x00not json", None),
    "too_large": ("big.pt", lambda: b"\0" * (MAX_UPLOAD_BYTES + 2**20),
                  {"size_mb": MAX_UPLOAD_BYTES / 2**20 + 1, "limit_mb": MAX_UPLOAD_BYTES / 2**20}),
}


@pytest.mark.parametrize("code", list(BAD))
def test_bad_uploads_are_refused_with_a_translated_message(run_app, assert_app_ok, code):
    name, make, details = BAD[code]
    at = run_app(page="learn", lang="zh" if code in ("not_plain", "shape") else "en")
    at.file_uploader(key="learn_upload").set_value((name, make(), "application/octet-stream"))
    at.run()
    assert_app_ok(at)
    assert len(at.error) == 1 and not at.success
    lang = at.session_state["lang"]
    message = at.error[0].value
    if details is not None:
        assert message == translate(lang, f"learn.err.{code}", **details)
    else:
        assert message.startswith(translate(lang, f"learn.err.{code}", reason="")[:20])
    assert "learn_use_upload" not in [b.key for b in at.button]
    assert at.session_state["model_source"] == "random"


def test_sentiment_probe_and_chinese_page(run_app, assert_app_ok, app_text):
    at = run_app(page="learn", lang="zh", session={"learn_task": "sentiment"})
    assert_app_ok(at)
    train(at, 3)
    assert_app_ok(at)
    text = app_text(at)
    assert "迷你情感分类" in text and "训练改变了什么" in text and "P(正面)" in text
    trainer = at.session_state["learn_trainer"]
    data = trainer.task.phrase_data("虽然很贵，但是很好吃")
    with torch.no_grad():
        p = torch.softmax(trainer.task.predict(trainer.model.eval(), trainer.head, data), -1)[0, 1].item()
    assert f"P(正面) = **{p:.2f}**" in "\n".join(m.value for m in at.markdown)


def test_example_button_hands_task_sequences_and_the_task_unit_to_the_stepper(run_app, assert_app_ok):
    at = run_app(page="learn")
    train(at, 5)
    trainer = at.session_state["learn_trainer"]
    at.button(key="learn_example").click().run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "trained"
    assert at.session_state["input_source"] == "csv"
    data, lengths = src.parse_csv_array(at.session_state["csv_text"], 2)
    np.testing.assert_allclose(data, trainer.task.sample(2, seed=0).x.numpy(), atol=5e-5)
    assert lengths == [8, 8]
    assert at.session_state["unit"] == trainer._analysis[3].unit
    # the app moved on to the Stepper, whose heatmap is the trained model on that example
    f_map = stepper_f(at)  # the forget gate the Stepper's browser component receives, (T, H)
    x = torch.tensor(data, dtype=torch.float32).transpose(0, 1)
    expected = trace(trainer.model.eval(), x).numpy()[0, 0].f[:, 0, :].T
    np.testing.assert_allclose(f_map.T, expected, rtol=1e-5, atol=1e-6)


def test_sentiment_example_uses_the_training_embedding_in_the_stepper(run_app, assert_app_ok):
    at = run_app(page="learn", query={"seed": 7}, session={"learn_task": "sentiment"})
    train(at, 3)
    trainer = at.session_state["learn_trainer"]
    at.button(key="learn_example").click().run()
    assert_app_ok(at)
    text = at.session_state["input_text"]
    assert at.session_state["input_source"] == "text" and text.startswith("虽然")
    assert at.session_state["seed"] == 0  # the embedding seed the model was trained with
    batch = src.text_batch(text, 8, 0)
    data = trainer.task.phrase_data(text.splitlines()[0])
    torch.testing.assert_close(batch.data[0, : data.x.shape[1]], data.x[0])  # same vectors as in training
    f_map = stepper_f(at)  # the forget gate the Stepper's browser component receives, (T, H)
    expected = trace(trainer.model.eval(), batch.model_input(trainer.config)).numpy()[0, 0].f[:, 0, :].T
    np.testing.assert_allclose(f_map.T, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_gru_state_dict_is_named_a_gru(run_app, assert_app_ok, lang):
    at = run_app(page="learn", lang=lang)
    at.file_uploader(key="learn_upload").set_value(("gru.pt", _pt(torch.nn.GRU(3, 5).state_dict()), "x")).run()
    assert_app_ok(at)
    assert [e.value for e in at.error] == [translate(lang, "learn.err.other_module", module="torch.nn.GRU")]


def test_a_25_mb_upload_names_the_20_mb_cap(run_app, assert_app_ok):
    at = run_app(page="learn")
    at.file_uploader(key="learn_upload").set_value(("big.pt", b"\x80" * (25 * 2**20), "x")).run()
    assert_app_ok(at)
    assert [e.value for e in at.error] == ["The file is 25.0 MB; at most 20 MB is accepted."]


def test_the_session_memory_cap_refuses_with_a_message(run_app, assert_app_ok, monkeypatch):
    from ui import model_source

    sd = torch.nn.LSTM(3, 6).state_dict()
    size = sum(v.numel() * 4 for v in sd.values())  # float32 bytes of what would be kept
    monkeypatch.setattr(model_source, "MAX_SESSION_BYTES", size - 1)
    at = run_app(page="learn")
    at.file_uploader(key="learn_upload").set_value(("mine.pt", _pt(sd), "x")).run()
    at.button(key="learn_use_upload").click().run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "random"
    # what the session holds besides the upload: the Learn page's trainer (model, start copy, Adam moments)
    trainer = sum(p.numel() * 4 for p in at.session_state["learn_trainer"].model.state_dict().values())
    used_mb, limit_mb = f"{(size + 4 * trainer) / 2**20:.1f}", f"{(size - 1) / 2**20:g}"
    assert translate("en", "learn.err.session_full", used_mb=used_mb, limit_mb=limit_mb) in [
        e.value for e in at.error]
    monkeypatch.setattr(model_source, "MAX_SESSION_BYTES", size + 4 * trainer)  # room again: the next action
    at.button(key="learn_use_upload").click().run()
    assert_app_ok(at)
    assert at.session_state["model_source"] == "uploaded"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_says_what_a_server_restart_loses(run_app, assert_app_ok, lang):
    at = run_app(page="learn", lang=lang)
    assert_app_ok(at)
    assert translate(lang, "deploy.session_note") in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_queued_run_shows_its_place_and_an_estimate_then_trains(run_app, assert_app_ok, pool, lang):
    blockers = [block_worker(pool, 900 + i) for i in range(3)]  # two run, one waits: ours is 2nd in line
    try:
        pool.wait_for(blockers[1], lambda s: s.state == jobs.RUNNING, 60)
        seed = 50 if lang == "en" else 51  # a run nobody trained before (a finished one is handed over at once)
        at = click_train(run_app(page="learn", lang=lang, session={"learn_seed": seed}), 12)
        assert_app_ok(at)
        status = pool.status(at.session_state["learn_run"][0])
        assert (status.state, status.place) == (jobs.QUEUED, 2)
        place = translate(lang, "learn.place.nd", n=2)
        head, tail = translate(lang, "learn.queue", place=place, seconds="{S}").split("{S}")
        shown = [i.value for i in at.main.info]  # the sidebar holds its own notes
        assert len(shown) == 1 and shown[0].startswith(head) and shown[0].endswith(tail), shown
        assert int(shown[0][len(head):len(shown[0]) - len(tail)]) >= 1  # "about N s", a whole number
        assert at.button(key="learn_train").disabled  # one run at a time per learner
    finally:
        for ticket in blockers:
            pool.leave(ticket)
    finish(at)  # the workers free up: the queued run runs, and the page shows its model
    assert_app_ok(at)
    ref = Trainer(make_task("memory"), hidden_size=8, seed=seed, lr=0.03)
    ref.run(12)
    assert at.session_state["learn_trainer"].losses == ref.losses and not at.main.info
    assert not at.button(key="learn_train").disabled  # the run ended: Train again


def test_two_learners_with_the_same_settings_share_one_run_and_stop_leaves_only_ones_view(run_app, pool):
    started = pool.stats()["started"]
    a, b = run_app(page="learn", session={"learn_seed": 3}), run_app(page="learn", session={"learn_seed": 3})
    click_train(a, 1500)
    click_train(b, 1500)
    ta, tb = a.session_state["learn_run"][0], b.session_state["learn_run"][0]
    assert ta.job_id == tb.job_id and pool.stats()["started"] == started + 1
    pool.wait_for(ta, lambda s: s.done > 0, 60)
    a.button(key="learn_stop").click().run()  # A stops: A keeps what was trained so far, B's run goes on
    kept = a.session_state["learn_trainer"]
    assert "learn_run" not in a.session_state and 0 < kept.step < 1500
    ref = Trainer(make_task("memory"), hidden_size=8, seed=3, lr=0.03)
    ref.run(kept.step)
    assert kept.losses == ref.losses
    assert pool.status(tb).state == jobs.RUNNING
    finish(b)
    assert b.session_state["learn_trainer"].step == 1500
    # a third learner with the same settings gets the finished model at once, bitwise B's
    c = click_train(run_app(page="learn", session={"learn_seed": 3}), 1500)
    assert "learn_run" not in c.session_state and pool.stats()["started"] == started + 1
    wb, wc = b.session_state["learn_trainer"].model.state_dict(), c.session_state["learn_trainer"].model.state_dict()
    assert all(torch.equal(wb[k], wc[k]) for k in wb)
    # another seed is another run
    d = click_train(run_app(page="learn", session={"learn_seed": 4}), 1500)
    td = d.session_state["learn_run"][0]
    assert pool.stats()["started"] == started + 2 and td.job_id != tb.job_id
    d.button(key="learn_reset").click().run()  # the only follower resets: the run is cancelled
    assert pool.wait(td, 60).state == jobs.CANCELLED and d.session_state["learn_trainer"].step == 0
