"""Sentiment page → "use this LSTM on every page": the classifier's LSTM becomes the app's trained model (the
sidebar locks to its architecture) and the embedded sentence becomes every page's input. Checked against an
independent torch.nn.LSTM loaded with the classifier's LSTM weights, run on classifier.embedding(tokens)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch

from lessons import sentiment as S
from tests.helpers import finish_training
from ui.i18n import translate

TEXT = "the plot was dull but the acting was great"
# the learner's own sidebar (all different from the classifier's LSTM): restored when back to random weights
MINE = {"input_size": 3, "hidden_size": 5, "num_layers": 3, "batch_first": True, "dropout": 0.3, "seq_len": 4}


def arrays(at) -> dict:
    """The arrays the Stepper's browser component receives, as float numpy (T, width)."""
    view = json.loads(at.get("bidi_component")[0].proto.json)["view"]
    out = {k: np.frombuffer(base64.b64decode(e["b64"]), dtype="<f4").reshape(e["shape"]).astype(np.float64)
           for k, e in view["arrays"].items()}
    return out | {"_labels": view["labels"], "_layer": view["layer"], "_direction": view["direction"]}


def reference(clf: S.Classifier, text: str) -> dict:
    """torch.nn.LSTM with the classifier's LSTM weights on classifier.embedding(ids): every layer's output
    (layer 0 from an nn.LSTM holding layer 0's weights alone), h_n, c_n and the head's P(positive)."""
    ids = torch.tensor([S.encode(S.split(0).vocab, text)])
    sd = clf.lstm.state_dict()
    with torch.no_grad():
        x = clf.embedding(ids)  # (1, T, 16)
        full = torch.nn.LSTM(16, 24, num_layers=2, bidirectional=True, batch_first=True)
        full.load_state_dict(sd)
        out1, (h_n, c_n) = full.eval()(x)
        first = torch.nn.LSTM(16, 24, num_layers=1, bidirectional=True, batch_first=True)
        first.load_state_dict({k: v for k, v in sd.items() if "_l0" in k})
        out0, _ = first(x)
        p = torch.softmax(clf.fc(torch.cat((h_n[-2], h_n[-1]), -1)), -1)[0, 1].item()
    return {"out": {0: out0[0].numpy(), 1: out1[0].numpy()}, "h_n": h_n[:, 0].numpy(), "c_n": c_n[:, 0].numpy(),
            "p": p, "ids": ids[0].tolist()}


def trained_and_used(run_app, lang="en", text=TEXT):
    at = run_app(page="sentiment", lang=lang, query=MINE, timeout=120)
    at.slider(key="sentiment_steps").set_value(10)
    finish_training(at.button(key="sentiment_train").click().run(timeout=200), "sentiment_run")
    if text != TEXT:
        at.text_input(key="sentiment_text").input(text).run()
    at.button(key="sentiment_use").click().run(timeout=200)
    return at


def test_the_classifiers_lstm_reads_the_sentence_on_every_page(run_app, assert_app_ok, app_text):
    at = trained_and_used(run_app)
    assert_app_ok(at)
    clf = at.session_state["sentiment_trainer"].model
    assert at.session_state["model_source"] == "trained"
    # (a) the sidebar shows, locked, the classifier's LSTM; batch_first and dropout stay the learner's
    lstm = clf.lstm
    for key, value in (("input_size", lstm.input_size), ("hidden_size", lstm.hidden_size),
                       ("num_layers", lstm.num_layers), ("proj_size", 0)):
        assert at.slider(key=key).value == value and at.slider(key=key).disabled, key
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (16, 24, 2)
    assert at.toggle(key="bidirectional").value is True and at.toggle(key="bidirectional").disabled
    assert at.toggle(key="bias").value is True and at.toggle(key="bias").disabled
    assert at.toggle(key="batch_first").value is True and not at.toggle(key="batch_first").disabled
    assert at.slider(key="dropout").value == 0.3
    radio = at.sidebar.radio(key="model_source")
    assert radio.value == "trained"
    assert "trained: the sentiment classifier's LSTM" in radio.options
    tokens = TEXT.split()
    notes = [i.value for i in at.sidebar.info]
    assert any(f"“{TEXT}”" in n and " | ".join(tokens) in n and "`(1, 9, 16)`" in n for n in notes), notes
    assert translate("en", "sentiment.use.active", step=10, text=TEXT) in [s.value for s in at.success]

    # (c) the page's prediction is the head on the independent nn.LSTM's h_n
    ref = reference(clf, TEXT)
    assert [m.value for m in at.metric if m.label == "P(positive)"] == [f"{ref['p']:.3f}"]
    label = translate("en", "sentiment.label.1" if ref["p"] > 0.5 else "sentiment.label.0")
    assert label in [m.value for m in at.metric]

    # (b) the Stepper traces the classifier's own LSTM on the embedded sentence
    at.switch_page("pages/stepper.py").run()
    assert_app_ok(at)
    worst = 0.0
    for layer, direction in ((0, 0), (0, 1), (1, 0), (1, 1)):
        if (layer, direction) != (0, 0):
            at.selectbox(key="layer").set_value(layer)
            at.selectbox(key="direction").set_value(direction).run()
            assert_app_ok(at)
        got = arrays(at)
        assert (got["_layer"], got["_direction"], got["_labels"]) == (layer, direction, tokens)
        want_h = ref["out"][layer][:, 24 * direction: 24 * (direction + 1)]  # (T, H) of that direction
        last = -1 if direction == 0 else 0  # the step the direction visits last
        for name, a, b in (("h", got["h"], want_h), ("h_n", got["h"][last], ref["h_n"][2 * layer + direction]),
                           ("c_n", got["c"][last], ref["c_n"][2 * layer + direction])):
            assert a.shape == b.shape, name
            worst = max(worst, float(np.abs(a - b).max()))
    print(f"max |Δ| stepper vs torch.nn.LSTM: {worst:.2e}")
    assert worst <= 1e-5

    # other pages read the same model and input without trouble
    for page in ("shapes", "proof", "heads", "weights", "gradients", "code"):
        at.switch_page(f"pages/{page}.py").run()
        assert_app_ok(at)
        assert "(1, 9, 16)" in app_text(at) or page not in ("shapes",), page

    # (d) back to random weights: the learner's sidebar returns, unlocked, and the sentence is no longer the input
    at.switch_page("pages/stepper.py").run()
    at.sidebar.radio(key="model_source").set_value("random").run()
    assert_app_ok(at)
    for key in ("input_size", "hidden_size", "num_layers", "seq_len"):
        assert at.slider(key=key).value == MINE[key] and not at.slider(key=key).disabled, key
    assert at.toggle(key="bidirectional").value is False and not at.toggle(key="bidirectional").disabled
    at.selectbox(key="layer").set_value(0).run()
    got = arrays(at)
    assert got["h"].shape == (MINE["seq_len"], MINE["hidden_size"]) and got["_labels"] != tokens


def test_retraining_or_a_new_seed_keeps_the_stored_copy(run_app, assert_app_ok):
    at = trained_and_used(run_app)
    stored = at.session_state["_model_store"]["trained"]
    # 10 more steps: the page moves on
    finish_training(at.button(key="sentiment_train").click().run(timeout=200), "sentiment_run")
    assert_app_ok(at)
    assert at.session_state["sentiment_trainer"].step == 20
    assert at.session_state["_model_store"]["trained"] is stored
    assert translate("en", "sentiment.use.stale") in [c.value for c in at.caption]
    at.number_input(key="seed").set_value(3).run(timeout=200)  # a new trainer (step 0): the copy stays too
    assert_app_ok(at)
    assert at.session_state["sentiment_trainer"].seed == 3 and at.button(key="sentiment_use").disabled
    assert translate("en", "sentiment.use.active", step=10, text=TEXT) in [s.value for s in at.success]
    assert translate("en", "sentiment.use.stale") in [c.value for c in at.caption]
    assert at.session_state["model_source"] == "trained"
    assert at.session_state["_model_store"]["trained"] is stored
    at.switch_page("pages/stepper.py").run()
    assert_app_ok(at)
    assert arrays(at)["h"].shape == (9, 24)


def test_the_session_memory_cap_refuses_with_a_translated_message(run_app, assert_app_ok, monkeypatch):
    from ui import model_source

    monkeypatch.setattr(model_source, "MAX_SESSION_BYTES", 1000)
    at = trained_and_used(run_app, lang="zh")
    assert_app_ok(at)
    assert at.session_state["model_source"] == "random"
    # what it would hold: the classifier and Adam's two moments, the LSTM's copy and the (1, 9, 16) input
    clf = at.session_state["sentiment_trainer"].model
    def nbytes(sd) -> int:
        return sum(v.numel() * 4 for v in sd.values())

    used = 3 * nbytes(clf.state_dict()) + nbytes(clf.lstm.state_dict()) + 9 * 16 * 4
    want = translate("zh", "learn.err.session_full", used_mb=f"{used / 2**20:.1f}", limit_mb=f"{1000 / 2**20:g}")
    assert [e.value for e in at.error] == [want]
    assert not at.slider(key="input_size").disabled and at.slider(key="input_size").value == 3
    monkeypatch.setattr(model_source, "MAX_SESSION_BYTES", used)  # just enough: the next click is kept
    at.button(key="sentiment_use").click().run(timeout=200)
    assert_app_ok(at)
    assert at.session_state["model_source"] == "trained" and not at.error


def test_chinese_labels_and_an_unknown_word(run_app, assert_app_ok, app_text):
    text = "虽然剧情很无聊，但是演技非常出色 zyxw"
    at = trained_and_used(run_app, lang="zh", text=text)
    assert_app_ok(at)
    name = translate("zh", "sentiment.use.label")
    assert name == "情感分类器里的 LSTM"
    assert translate("zh", "learn.source.trained", name=name) in at.sidebar.radio(key="model_source").options
    tokens = S.tokenize(text.lower())
    assert tokens[-1] == "zyxw" and S.encode(S.split(0).vocab, text)[-1] == 1  # read as <unk>
    notes = [i.value for i in at.sidebar.info]
    assert any(n.startswith("所有页面的输入：") and f"`(1, {len(tokens)}, 16)`" in n for n in notes), notes
    assert translate("zh", "sentiment.use.title") in app_text(at)
    at.switch_page("pages/stepper.py").run()
    assert_app_ok(at)
    got = arrays(at)
    assert got["_labels"] == tokens
    ref = reference(at.session_state["sentiment_trainer"].model, text)
    assert np.abs(got["h"] - ref["out"][0][:, :24]).max() <= 1e-5
    assert translate("zh", "inputs.model_input") in app_text(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_button_waits_for_training(run_app, assert_app_ok, lang):
    at = run_app(page="sentiment", lang=lang, timeout=120)
    assert_app_ok(at)
    assert at.button(key="sentiment_use").disabled
    assert translate(lang, "sentiment.use.train_first") in [c.value for c in at.caption]
