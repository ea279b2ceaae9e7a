"""'Use the outputs' page through app.py: the figures carry exactly what lessons.heads computes on the
sidebar's model and the current input, in both languages."""

import pytest
import torch

from lessons import heads as H
from lessons.sources import random_batch, text_batch
from lstm_core import LSTMConfig
from tests.helpers import traces_by_meta


def _expected(cfg: LSTMConfig, seed: int, batch):
    return H.run(cfg.build(seed=seed, dtype=torch.float32).eval(), batch)


def _close(got, want, tol=1e-5):
    want = [float(v) for v in want]
    assert len(got) == len(want)
    assert all(abs(a - b) <= tol for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_default_page_shows_every_head_with_its_numbers(run_app, assert_app_ok, app_text, lang):
    at = run_app(page="heads", lang=lang)
    assert_app_ok(at)
    r = _expected(LSTMConfig(4, 6), 0, random_batch(2, 5, 4, 0))
    tr = traces_by_meta(at)
    ls, pool, attn = H.last_step(r, 0), H.pooling(r), H.attention(r, 0)
    _close(tr["last_right"]["y"], ls.right[0])
    _close(tr["last_wrong"]["y"], ls.wrong[0])
    _close(tr["mean_right"]["y"], pool.mean[0])
    _close(tr["max_right"]["y"], pool.max[0])
    _close(tr["attention_weights"]["y"], attn.weights[0])
    text = app_text(at)
    assert "(2, 5, 3)" in text  # per-step logits (batch, seq_len, classes)
    assert "Expected hidden[0] size (2, 2, 6), got [1, 2, 6]" in text  # torch's own error, one more layer
    assert ("从 output、h_n 和 c_n 得到预测" if lang == "zh" else "From output, h_n and c_n to a prediction") in text
    merge_info = "没有可合并的" if lang == "zh" else "nothing to merge"
    assert merge_info in text


def test_bidirectional_packed_shows_the_deltas(run_app, assert_app_ok, app_text):
    at = run_app(page="heads", query={"bidirectional": True, "num_layers": 2, "batch_size": 3,
                                      "input_lengths": "5,2,4"})
    assert_app_ok(at)
    batch = random_batch(3, 5, 4, 0)
    for b, n in enumerate([5, 2, 4]):
        batch.data[b, n:] = 0
    batch.lengths = [5, 2, 4]
    r = _expected(LSTMConfig(4, 6, num_layers=2, bidirectional=True), 0, batch)
    ls, pool = H.last_step(r, 0), H.pooling(r)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Δ all features"] == f"{ls.delta:.3g}" and ls.delta > 0
    assert metrics["Δ mean (masked vs output.mean(1))"] == f"{pool.delta_mean:.3g}" and pool.delta_mean > 0
    at.selectbox(key="heads_seq").set_value(1).run()
    assert_app_ok(at)
    tr = traces_by_meta(at)
    _close(tr["attention_weights"]["y"], H.attention(r, 0).weights[1])
    assert tr["attention_weights"]["y"][2:] == [0, 0, 0]  # padded steps of sequence 1 get no weight
    assert "torch.cat((fwd, bwd), -1)" in app_text(at)


def test_text_input_labels_the_attention_bars_with_tokens(run_app, assert_app_ok):
    text = "the film was not good\nbut the cast was"
    at = run_app(page="heads", query={"input_source": "text", "input_text": text})
    assert_app_ok(at)
    r = _expected(LSTMConfig(4, 6), 0, text_batch(text, 4, 0))
    tr = traces_by_meta(at)
    assert tr["attention_weights"]["x"] == ["the<br>t=0", "film<br>t=1", "was<br>t=2", "not<br>t=3", "good<br>t=4"]
    _close(tr["attention_weights"]["y"], H.attention(r, 0).weights[0])


def test_attention_ticks_are_steps_not_index_colon_step():
    """No "0:t=0": numeric inputs are labelled t=k, tokens carry their step below them (a repeat stays apart)."""
    from ui.figures.heads import step_ticks

    assert step_ticks(["t=0", "t=1"]) == ["t=0", "t=1"]
    assert step_ticks(["好", "好"]) == ["好<br>t=0", "好<br>t=1"]
