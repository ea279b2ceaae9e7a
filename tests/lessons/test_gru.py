"""lessons.gru against torch: twin weights, parameter counts and shapes from torch.nn.LSTM/GRU, a GRU trained
in lockstep with torch.nn.GRU, and seed 001's four-Linear cell loaded into torch.nn.LSTM (and back)."""

import torch

from lessons import gru as G
from lessons.tasks import make_task
from lstm_core import LSTM, LSTMConfig


def test_twin_gru_has_torch_weights_for_the_seed():
    cfg = LSTMConfig(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    ours = G.twin_gru(cfg, seed=11)
    torch.manual_seed(11)
    ref = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), ref.state_dict().values(), strict=True))


def test_counts_and_shapes_match_torch():
    for cfg in (LSTMConfig(4, 6), LSTMConfig(3, 5, num_layers=2, bidirectional=True, proj_size=2),
                LSTMConfig(2, 3, bias=False, num_layers=3)):
        model = cfg.build(0)
        gru = G.twin_gru(cfg, 0)
        x = torch.randn(7, 2, cfg.input_size)
        sbs = G.side_by_side(model, gru, x)
        ref_l = torch.nn.LSTM(**cfg.kwargs())
        kw = cfg.kwargs()
        kw.pop("proj_size")
        ref_g = torch.nn.GRU(**kw)
        n_l, n_g = (sum(p.numel() for p in m.parameters()) for m in (ref_l, ref_g))
        assert (sbs.lstm_count, sbs.gru_count) == (n_l, n_g) == G.expected_counts(cfg)
        out_l, (h_l, c_l) = ref_l(x)
        out_g, h_g = ref_g(x)
        assert sbs.lstm_shapes == {"output": tuple(out_l.shape), "h_n": tuple(h_l.shape), "c_n": tuple(c_l.shape)}
        assert sbs.gru_shapes == {"output": tuple(out_g.shape), "h_n": tuple(h_g.shape)}
        assert sbs.gru_params == {n: tuple(p.shape) for n, p in ref_g.named_parameters()}
        assert torch.allclose(sbs.gru_trace.h_n, gru.to_torch()(x)[1], atol=1e-6)


def test_gru_training_runs_in_lockstep_with_torch_gru():
    race = G.train_pair("memory", hidden=6, steps=15, seed=2)
    task = make_task("memory")
    torch.manual_seed(2)
    ref = torch.nn.GRU(task.input_size, 6)
    head = torch.nn.Linear(6, 1)
    opt = torch.optim.Adam([*ref.parameters(), *head.parameters()], lr=task.default_lr)
    losses = []
    for step in range(15):
        data = task.sample(32, 2 * 100_003 + step)
        _, h_n = ref(data.model_input())
        loss = task.loss(head(h_n[-1]).squeeze(-1), data.y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert max(abs(a - b) for a, b in zip(race.gru_loss, losses, strict=True)) < 1e-5
    assert race.gru_loss[-1] < race.gru_loss[0] and race.lstm_loss[-1] < race.lstm_loss[0]
    assert race == G.train_pair("memory", hidden=6, steps=15, seed=2)  # seeded: the same run again


def test_seed001_cell_loads_into_torch_lstm_and_back():
    torch.manual_seed(0)
    cell = G.Seed001Cell(3, 4).double()
    ref = torch.nn.LSTM(3, 4, dtype=torch.float64)
    with torch.no_grad():
        for k, name in enumerate(("W_i", "W_f", "W_C", "W_o")):  # torch's gate order i, f, g, o
            lin = getattr(cell, name)
            ref.weight_ih_l0[4 * k:4 * k + 4] = lin.weight[:, :3]
            ref.weight_hh_l0[4 * k:4 * k + 4] = lin.weight[:, 3:]
            ref.bias_ih_l0[4 * k:4 * k + 4] = lin.bias
            ref.bias_hh_l0[4 * k:4 * k + 4] = 0
    mapped = G.seed_to_torch(cell)
    assert all(torch.equal(mapped[n], p) for n, p in ref.state_dict().items())
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        out, (h, c) = ref(x)
        seed_out, seed_h, seed_c = G.run_seed_cell(cell, x)
    assert (out - seed_out).abs().max() < 1e-12 and (c[0] - seed_c).abs().max() < 1e-12
    # back: a torch LSTM with both biases becomes four Linear with b = b_ih + b_hh
    torch.manual_seed(1)
    ours = LSTM(3, 4, dtype=torch.float64)
    back = G.Seed001Cell(3, 4).double()
    back.load_state_dict(G.torch_to_seed(ours))
    assert torch.equal(back.W_f.bias, (ours.bias_ih_l0[4:8] + ours.bias_hh_l0[4:8]).detach())
    with torch.no_grad():
        assert (ours.to_torch()(x)[0] - G.run_seed_cell(back, x)[0]).abs().max() < 1e-12
    m = G.seed001_mapping()
    assert max(m.seed_to_ours, m.seed_to_torch, m.torch_to_seed) < 1e-12 and m.bias_hh_zero
