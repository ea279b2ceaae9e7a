"""'GRU beside LSTM' page through app.py: counts, gate bars at the chosen step and the trained curves are
exactly what lessons.gru computes, in both languages."""

import pytest
import torch

from lessons import gru as G
from lessons.sources import random_batch
from lstm_core import LSTMConfig
from tests.helpers import traces_by_meta


def _close(got, want, tol=1e-6):
    want = [float(v) for v in want]
    assert len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_counts_shapes_and_gates_at_the_chosen_step(run_app, assert_app_ok, app_text, lang):
    at = run_app(page="gru", lang=lang, query={"num_layers": 2, "bidirectional": True})
    assert_app_ok(at)
    cfg = LSTMConfig(4, 6, num_layers=2, bidirectional=True)
    metrics = [m.value for m in at.metric]
    n_lstm, n_gru = G.expected_counts(cfg)
    assert metrics[:3] == ["4 : 3", f"{n_lstm:,}", f"{n_gru:,}"]
    at.slider(key="gru_t").set_value(3)
    at.selectbox(key="gru_layer").set_value(1)
    at.selectbox(key="gru_dir").select_index(1).run()
    assert_app_ok(at)
    model = cfg.build(0, dtype=torch.float32).eval()
    x = random_batch(2, 5, 4, 0).model_input(cfg)
    sbs = G.side_by_side(model, G.twin_gru(cfg, 0), x)
    tr = traces_by_meta(at)
    for g in ("i", "f", "g", "o", "c", "h"):
        _close(tr[f"lstm_{g}"]["y"], getattr(sbs.lstm_trace[1, 1], g)[3, 0])
    for g in ("r", "z", "n", "h"):
        _close(tr[f"gru_{g}"]["y"], getattr(sbs.gru_trace[1, 1], g)[3, 0])
    text = app_text(at)
    assert ("没有细胞状态" if lang == "zh" else "no cell state") in text
    assert "cuDNN" in text and "compatib" not in text


def test_training_both_draws_both_loss_curves(run_app, assert_app_ok):
    at = run_app(page="gru", query={"seed": 3})
    at.slider(key="gru_steps").set_value(30)
    at.button(key="gru_train").click().run(timeout=120)
    assert_app_ok(at)
    race = G.train_pair("memory", 8, 30, 3)
    tr = traces_by_meta(at)
    _close(tr["loss_lstm"]["y"], race.lstm_loss, 1e-6)
    _close(tr["loss_gru"]["y"], race.gru_loss, 1e-6)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["GRU held-out R²"] == f"{race.gru_quality:.3f}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gates_are_counted_both_ways_from_the_real_weights(run_app, assert_app_ok, lang):
    """"Three gates plus the candidate" (textbooks) and four weight blocks (torch's cell gate g): the block
    counts the page states are torch's own rows / hidden_size."""
    from ui.i18n import translate

    at = run_app(page="gru", lang=lang, query={"hidden_size": 5})
    assert_app_ok(at)
    lstm_blocks = torch.nn.LSTM(4, 5).weight_ih_l0.shape[0] // 5
    gru_blocks = torch.nn.GRU(4, 5).weight_ih_l0.shape[0] // 5
    assert (lstm_blocks, gru_blocks) == (4, 3)
    assert translate(lang, "gru.gates", lstm_blocks=lstm_blocks, gru_blocks=gru_blocks) in [i.value for i in at.info]
