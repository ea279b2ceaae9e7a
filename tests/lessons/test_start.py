"""The Start page's numbers, each checked against torch.nn.LSTM / nn.RNN or arithmetic done here."""

import pytest
import torch

from lessons import start as lesson
from lessons.gradients import seeded_input


def test_vanishing_matches_torch_rnn_autograd():
    v = lesson.vanishing(seq_len=12, hidden_size=5, input_size=3, seed=1)
    torch.manual_seed(1)
    rnn = torch.nn.RNN(3, 5, dtype=torch.float64)
    x = seeded_input(12, 3, 1, dtype=torch.float64)  # the lesson's input (what is checked is the gradient)
    hs, h = [], torch.zeros(1, 5, dtype=torch.float64)
    for t in range(12):  # unrolled by hand with torch's own weights
        h = torch.tanh(x[t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0)
        hs.append(h)
    grads = torch.autograd.grad(hs[-1].sum(), hs)
    assert v.rnn == pytest.approx([float(gr.norm()) for gr in grads], rel=1e-9)
    assert v.ratios["lstm_bias"] > v.ratios["lstm"]


def test_one_cell_matches_torch_lstm_cell():
    cell = lesson.one_cell(0.7, -0.3, 1.2, seed=3)
    torch.manual_seed(3)
    ref = torch.nn.LSTM(1, 1, dtype=torch.float64)
    with torch.no_grad():
        _, (h, c) = ref(torch.tensor([[[0.7]]], dtype=torch.float64),
                        (torch.tensor([[[-0.3]]], dtype=torch.float64), torch.tensor([[[1.2]]], dtype=torch.float64)))
    assert cell.h == pytest.approx(float(h), abs=1e-14) and cell.c == pytest.approx(float(c), abs=1e-14)
    assert cell.c == pytest.approx(cell.gates["f"] * 1.2 + cell.gates["i"] * cell.gates["g"], abs=1e-14)


def test_parameter_count_does_not_depend_on_seq_len():
    tt = lesson.through_time(input_size=3, hidden_size=4, seq_lens=(1, 7, 50))
    n_torch = sum(p.numel() for p in torch.nn.LSTM(3, 4).parameters())
    assert set(tt.counts.values()) == {n_torch} == {tt.formula}
    assert tt.same_weights < 1e-12


def test_stacked_and_directions_against_torch_outputs():
    s = lesson.stacked()
    assert s.input_is_h_below == 0.0 and s.c_in_layer == [0.0, 0.0] and s.c_differs > 1e-3
    assert s.weight_ih_shapes == [(16, 3), (16, 4)]
    d = lesson.two_directions()
    assert d.forward_last == 0 and d.backward_first == 0 and d.backward_last > 1e-3
    assert d.output_shape == (5, 1, 8)


def test_shapes_and_readings_are_torch_shapes():
    s = lesson.shape_stop(batch_first=True)
    ref = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    out, (h, c) = ref(torch.zeros(2, 5, 3))
    assert s.measured == s.predicted == {"input": (2, 5, 3), "output": tuple(out.shape), "h_n": tuple(h.shape),
                                         "c_n": tuple(c.shape)}
    got = {r.task: r.shape for r in lesson.readings()}
    assert got == {"tagging": (5, 2, 8), "classify": (2, 4), "classify_bi": (2, 8), "seq2seq": (4, 2, 4)}


def test_tiny_training_learns():
    tr = lesson.tiny_training(steps=30)
    assert len(tr.losses) == 30 and tr.losses[-1] < 0.2 * tr.baseline


def test_one_cell_keeps_the_engine_trace_it_reports():
    cell = lesson.one_cell(-1.0, 0.4, 0.9)
    lt = cell.trace[0, 0]
    assert cell.trace.T == 1 and lt.h_prev[0, 0, 0] == 0.4 and lt.c_prev[0, 0, 0] == 0.9
    assert (cell.c, cell.h) == (lt.c[0, 0, 0], lt.h[0, 0, 0])


@pytest.mark.parametrize(("num_layers", "bidirectional"), [(1, False), (2, False), (1, True)])
def test_demo_trace_is_torch_lstm_on_the_sentence(num_layers, bidirectional):
    from lessons.sources import text_batch

    d = lesson.demo(lesson.SHORT_TEXT, num_layers=num_layers, bidirectional=bidirectional)
    assert d.tokens == ["the", "movie", "was", "not", "good"]
    torch.manual_seed(0)  # the weights nn.LSTM(4, 6, ...) gets from seed 0
    ref = torch.nn.LSTM(4, 6, num_layers=num_layers, bidirectional=bidirectional)
    x = text_batch(lesson.SHORT_TEXT, 4, 0).data.transpose(0, 1)  # (T, 1, 4) time-major
    with torch.no_grad():
        out, (h_n, c_n) = ref(x)
    assert d.trace.output_padded == pytest.approx(out.numpy(), abs=1e-5)
    assert d.trace.h_n == pytest.approx(h_n.numpy(), abs=1e-5)
    assert d.trace.c_n == pytest.approx(c_n.numpy(), abs=1e-5)
