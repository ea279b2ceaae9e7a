"""The preset menu (ui/presets.py) through app.py: from any page, each of the tutorials' examples opens its page
configured as the tutorial wrote it, in both languages. What the page then shows is checked against torch.nn.LSTM
run on the tutorial's own call, not against the preset table."""

import base64

import numpy as np
import pytest
import torch

from lessons import start as lesson
from lstm_core import LSTMConfig, limits
from tests.conftest import _walk
from ui import model_source, presets, state
from ui.i18n import translate
from ui.tutorials import tutorial_title


def open_preset(run_app, name: str, lang: str, page: str = "weights", session: dict | None = None):
    at = run_app(page, lang=lang, session=session)
    assert not at.exception
    at.button(key=f"preset_{name}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_shapes(at) -> dict[str, str]:
    """The Shapes page's tensor table: tensor name -> the shape it shows."""
    frame = at.table[0].value
    return {str(name): str(row.iloc[0]) for name, row in frame.iterrows()}


def torch_shapes(lstm: torch.nn.LSTM, x: torch.Tensor) -> dict[str, str]:
    output, (h_n, c_n) = lstm(x)
    return {"output": str(tuple(output.shape)), "h_n": str(tuple(h_n.shape)), "c_n": str(tuple(c_n.shape))}


def popover_labels(at) -> list[str]:
    out = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and "popover" in [f.name for f in proto.DESCRIPTOR.fields] and proto.HasField("popover"):
            out.append(proto.popover.label)
    return out


def test_every_preset_value_is_one_the_widgets_accept():
    for name, preset in lesson.PRESETS.items():
        for key, raw in preset.items():
            if key in state.BY_KEY:
                assert state.BY_KEY[key].parse(str(raw)).ok, (name, key, raw)
            else:
                assert key == "page" or key in presets.PAGE_KEYS, (name, key)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_menu_is_on_every_page(run_app, lang):
    for page in ("start", "shapes", "proof"):
        at = run_app(page, lang=lang)
        labels = [b.label for b in at.button if b.key and b.key.startswith("preset_")]
        assert labels == [presets.label(n, lang) for n in lesson.PRESETS], page
        for n, lab in zip(lesson.PRESETS, labels, strict=True):
            assert tutorial_title(presets.TUTORIAL[n], lang) in lab and "seed 00" not in lab
        assert translate(lang, "presets.menu") in popover_labels(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_seed002_shapes_equal_torchs(run_app, lang):
    # seed 002: rnn = nn.LSTM(5, 6, 2); input = torch.randn(1, 3, 5); h0, c0 = torch.randn(2, 3, 6)
    at = open_preset(run_app, "seed002", lang, session={"hidden_size": 20, "batch_first": True, "seed": 7})
    assert at.title[0].value == translate(lang, "shapes.title")
    ss = at.session_state
    assert (ss["input_size"], ss["hidden_size"], ss["num_layers"], ss["seq_len"], ss["batch_size"]) == (5, 6, 2, 1, 3)
    assert ss["bidirectional"] is False and ss["batch_first"] is False and ss["seed"] == 0  # the rest: defaults
    expected = torch_shapes(torch.nn.LSTM(5, 6, 2), torch.randn(1, 3, 5))
    shown = shown_shapes(at)
    assert {k: shown[k] for k in expected} == expected
    assert shown["input"] == "(1, 3, 5)"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_seed003_bidirectional_scaled_to_the_limits(run_app, lang):
    at = open_preset(run_app, "seed003_bidir", lang, page="stepper")
    assert at.title[0].value == translate(lang, "shapes.title")
    ss = at.session_state
    size, H = ss["input_size"], ss["hidden_size"]
    assert (size, H) == (min(256, limits.MAX_INPUT_SIZE), min(256, limits.MAX_HIDDEN_SIZE))
    lstm = torch.nn.LSTM(size, H, 2, batch_first=True, bidirectional=True)  # seed 003's call, scaled
    expected = torch_shapes(lstm, torch.randn(4, 10, size))
    shown = shown_shapes(at)
    assert {k: shown[k] for k in expected} == expected == {
        "output": f"(4, 10, {2 * H})", "h_n": f"(4, 4, {H})", "c_n": f"(4, 4, {H})"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_woaizhongguo_feeds_the_four_characters_to_a_bidirectional_lstm(run_app, lang):
    at = open_preset(run_app, "woaizhongguo", lang, page="shapes",
                     session={"input_source": "csv", "input_text": "the movie was not good", "num_layers": 3})
    assert at.title[0].value == translate(lang, "stepper.title")
    ss = at.session_state
    assert ss["input_source"] == "text" and ss["input_text"] == "我爱中国"
    assert ss["bidirectional"] is True and ss["num_layers"] == 1
    batch = ss["input_batch"]
    assert batch.labels == ["我", "爱", "中", "国"] and tuple(batch.data.shape) == (1, 4, ss["input_size"])
    view = ss["_stepper_payload"]["view"]
    assert view["labels"] == ["我", "爱", "中", "国"] and view["D"] == 2 and view["direction"] == 1
    # the stepper's numbers are those of torch's bidirectional LSTM on these four vectors
    model = LSTMConfig(input_size=ss["input_size"], hidden_size=ss["hidden_size"],
                             bidirectional=True).build(seed=ss["seed"], dtype=torch.float32)
    ref = torch.nn.LSTM(ss["input_size"], ss["hidden_size"], bidirectional=True)
    ref.load_state_dict(model.state_dict())
    with torch.no_grad():
        output, _ = ref(batch.data.transpose(0, 1))
    h_dir1 = view["arrays"]["h_dir1"]
    got = np.frombuffer(base64.b64decode(h_dir1["b64"]), dtype=np.float32).reshape(h_dir1["shape"])
    H = ss["hidden_size"]
    assert np.allclose(got, output[:, 0, H:].numpy(), atol=1e-6)


def test_a_preset_leaves_a_trained_model_for_random_weights(run_app):
    at = run_app("weights", lang="en")
    lstm = torch.nn.LSTM(3, 5)
    at.session_state[model_source._STORE] = {"trained": model_source.Stored(
        LSTMConfig(input_size=3, hidden_size=5), {k: v.detach() for k, v in lstm.state_dict().items()},
        "memory", "digest")}
    at.session_state[model_source.SOURCE] = "trained"
    at.run()
    at.button(key="preset_seed002").click().run()
    assert not at.exception
    assert at.session_state[model_source.SOURCE] == "random"
    assert at.session_state["hidden_size"] == 6
