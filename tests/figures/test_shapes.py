"""The block picture draws exactly the tensors lstm_core.shapes describes (pure figure builder)."""

import pytest

from lstm_core import LSTMConfig, shapes
from ui.figures.shapes import BACKWARD, FORWARD, MAX_SLABS, slab_indices, tensor_blocks

ROLES = ("seq_len batch input_size packed_rows layers_x_directions h_out hidden_size proj_size "
         "directions_x_h_out gates_x_hidden layer_input").split()
LABELS = {**{f"role.{r}": r for r in ROLES}, "forward": "fwd", "backward": "bwd", "more": "(+{count})",
          "layer_dir": "layer {layer} {direction}"}


def slabs(fig, tensor):
    """{slab index: [(x-width, height, colour)]} of the traces drawn for `tensor`."""
    out = {}
    for tr in fig.data:
        if tr.meta and tr.meta["tensor"] == tensor:
            xs, ys = [x for x in tr.x if x is not None], [y for y in tr.y if y is not None]
            size = (round(max(xs) - min(xs), 9), round(max(ys) - min(ys), 9))
            out.setdefault(tr.meta["slab"], []).append((*size, tr.fillcolor))
    return out


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(num_layers=3, bidirectional=True),
                                dict(proj_size=2, bidirectional=True), dict(num_layers=4, bidirectional=True)])
def test_blocks_follow_the_shapes(kw):
    cfg = LSTMConfig(input_size=4, hidden_size=6, **kw)
    rep = shapes(cfg, batch_size=2, seq_len=5)
    fig = tensor_blocks(rep, LABELS)
    for name, ts in rep.tensors.items():
        depth, rows, cols = ts.shape
        drawn = slabs(fig, name)
        assert sorted(drawn) == slab_indices(depth)
        for slab, parts in drawn.items():
            assert {h for _, h, _ in parts} == {rows}
            assert sum(w for w, _, _ in parts) == cols
            if name in ("h_0", "c_0", "h_n", "c_n") and cfg.bidirectional:
                assert parts[0][2] == (FORWARD if slab % 2 == 0 else BACKWARD)  # index = layer*2 + direction
        if name == "output" and cfg.bidirectional:
            assert sorted(drawn[0]) == sorted([(cfg.h_out, rows, FORWARD), (cfg.h_out, rows, BACKWARD)])
    # batch_first changes input/output slabs only: time-major has one slab per step, batch-major per sequence
    first = rep.tensors["input"].shape[0]
    assert first == (2 if cfg.batch_first else 5)


def test_long_sequences_are_summarised():
    rep = shapes(LSTMConfig(input_size=3, hidden_size=4), batch_size=2, seq_len=50)
    fig = tensor_blocks(rep, LABELS)
    assert sorted(slabs(fig, "input")) == [*range(MAX_SLABS - 1), 49]
    assert any(f"(+{50 - MAX_SLABS})" in (a.text or "") for a in fig.layout.annotations)


def test_hover_names_layer_and_direction():
    rep = shapes(LSTMConfig(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), 2, 3)
    fig = tensor_blocks(rep, LABELS)
    hovers = [tr.hovertext for tr in fig.data if tr.meta and tr.meta["tensor"] == "h_n"]
    assert any("h_n[3]" in h and "layer 1 bwd" in h for h in hovers)
    assert any("h_n[2]" in h and "layer 1 fwd" in h for h in hovers)
