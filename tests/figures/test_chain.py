"""Beyond one cell (ui/figures/chain.py): every number a view draws is the engine's trace (read back from the
SVG's data-* attributes and its visible text), checked against torch.nn.LSTM where the trace meets torch
(output, h_n); the backward chain is labelled t+1; h_n rows are numbered layer·D + direction."""

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from lessons.sources import text_batch, with_lengths
from lstm_core import LSTMConfig, trace
from ui.figures import chain as fc
from ui.i18n import LANGS, LOCALES_DIR

TEXT = "the movie was not good , but the music was great !"  # 12 tokens: the long chain is elided


def text_of(lang: str) -> dict:
    data = json.loads((LOCALES_DIR / lang / "chain.json").read_text(encoding="utf-8"))
    return {k[len("chain."):]: v for k, v in data.items()}


EN = text_of("en")


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(svg_html: str) -> ET.Element:
    return ET.fromstring(svg_html)  # the wrapper div and its svg are well-formed XML


def find(root, tag: str, cls: str | None = None) -> list:
    return [e for e in root.iter() if local(e.tag) == tag and (cls is None or e.get("class") == cls)]


def shown(el) -> str:
    """The visible text of an element (its text and its tspans')."""
    return "".join(el.itertext())


def fmt_expected(v: float) -> str:
    return fc.fmt(v)


def run(num_layers=2, bidirectional=True, hidden_size=3, input_size=4, lengths=None, seed=0):
    """Our trace, torch's output for the same weights, the tokens."""
    cfg = LSTMConfig(input_size=input_size, hidden_size=hidden_size, num_layers=num_layers,
                     bidirectional=bidirectional)
    batch = text_batch(TEXT + "\n" + TEXT, input_size, seed)  # two sequences: b = 1 is checked too
    if lengths:
        batch = with_lengths(batch, lengths)
    batch.data = batch.data.double()  # float64 throughout: torch and the engine agree to 1e-12
    model = cfg.build(seed=seed, dtype=torch.float64)
    x = batch.model_input(cfg)
    with torch.no_grad():
        trn = trace(model, x).numpy()
        ref = model.to_torch()
        out, (h_n, c_n) = ref(x) if isinstance(x, torch.Tensor) else (None, (None, None))
    return trn, batch.labels, (out, h_n, c_n)


def cells(root) -> list:
    return find(root, "g", "chain-cell")


# ------------------------------------------------------------------------------------------ elision
def test_visible_steps_keep_the_ends_and_the_current_step():
    assert fc.visible_steps(5, 3) == [0, 1, 2, 3, 4]
    assert fc.visible_steps(12, 6) == [0, 1, None, 6, None, 10, 11]
    assert fc.visible_steps(12, 0) == [0, 1, None, 10, 11]
    assert fc.visible_steps(12, 2) == [0, 1, 2, None, 10, 11]
    assert fc.visible_steps(12, 11) == [0, 1, None, 10, 11]
    assert fc.visible_steps(40, 99) == [0, 1, None, 38, 39]  # a step out of range is clamped


# ------------------------------------------------------------------------------------------ unrolled
@pytest.mark.parametrize(("layer", "direction", "b", "unit", "t"), [(0, 0, 0, 0, 6), (1, 1, 1, 2, 4), (1, 0, 0, 1, 0)])
def test_unrolled_numbers_are_the_trace(layer, direction, b, unit, t):
    trn, labels, _ = run()
    root = parse(fc.unrolled_svg(trn, layer, direction, b, unit, t, EN, labels))
    lt = trn[layer, direction]
    drawn = cells(root)
    assert [int(c.get("data-t")) for c in drawn] == [s for s in fc.visible_steps(trn.T, t) if s is not None]
    for cell in drawn:
        s = int(cell.get("data-t"))
        assert (int(cell.get("data-layer")), int(cell.get("data-direction")), int(cell.get("data-unit"))) == (
            layer, direction, unit)
        assert float(cell.get("data-c")) == lt.c[s, b, unit]
        assert float(cell.get("data-h")) == lt.h[s, b, unit]
        gates = {r.get("data-gate"): float(r.get("data-value")) for r in find(cell, "rect") if r.get("data-gate")}
        assert gates == {g: getattr(lt, g)[s, b, unit] for g in "ifgo"}
        texts = {t_.get("data-role"): shown(t_) for t_ in find(cell, "text") if t_.get("data-role")}
        assert texts["c"] == "c " + fmt_expected(lt.c[s, b, unit])
        assert texts["h"] == "h " + fmt_expected(lt.h[s, b, unit])
        assert texts["weights"] == "W"  # the same weights badge on every cell
        assert (cell.get("data-current") == "1") == (s == t)
    tokens = [e.get("data-token") for e in find(root, "text") if e.get("data-token")]
    assert tokens == [labels[s] for s in fc.visible_steps(trn.T, t) if s is not None]
    assert len([e for e in find(root, "text") if e.get("data-gap")]) == fc.visible_steps(trn.T, t).count(None)


def test_unrolled_h_is_what_torch_outputs():
    """The top layer's h in the chain equals torch.nn.LSTM's output for the same weights (both halves)."""
    trn, labels, (out, _, _) = run(num_layers=2, bidirectional=True, hidden_size=3)
    for direction in (0, 1):
        root = parse(fc.unrolled_svg(trn, 1, direction, 0, 2, 5, EN, labels))
        for cell in cells(root):
            s = int(cell.get("data-t"))
            assert float(cell.get("data-h")) == pytest.approx(float(out[s, 0, 3 * direction + 2]), abs=1e-12)


@pytest.mark.parametrize("lang", LANGS)
def test_the_backward_chain_is_labelled_t_plus_1(lang):
    text = text_of(lang)
    trn, labels, _ = run(num_layers=1)
    T = trn.T
    for svg in (fc.unrolled_svg(trn, 0, 1, 0, 0, 4, text, labels), fc.bidirectional_svg(trn, 0, 0, 0, 4, text, labels)):
        froms = [(int(e.get("data-direction")), int(e.get("data-t")), e.get("data-from"), shown(e))
                 for e in find(parse(svg), "text") if e.get("data-from")]
        backward = [f for f in froms if f[0] == 1]
        assert backward, "no backward labels"
        for _, s, src, label in backward:
            assert (src, label) == (("init", text["from_init"]) if s == T - 1 else ("t+1", text["from1"]))
            assert "t+1" in label or s == T - 1
        for _, s, src, label in (f for f in froms if f[0] == 0):
            assert (src, label) == (("init", text["from_init"]) if s == 0 else ("t−1", text["from0"]))


# ------------------------------------------------------------------------------------------ stacked
@pytest.mark.parametrize(("num_layers", "bidirectional", "direction"), [(3, False, 0), (2, True, 1), (2, True, 0)])
def test_stacked_h_goes_up_and_h_n_rows_are_layer_times_D_plus_direction(num_layers, bidirectional, direction):
    trn, labels, (_, h_n, c_n) = run(num_layers=num_layers, bidirectional=bidirectional)
    D, b, unit, t = trn.num_directions, 1, 1, 5
    root = parse(fc.stacked_svg(trn, direction, b, unit, t, EN, labels))
    for cell in cells(root):
        layer, s = int(cell.get("data-layer")), int(cell.get("data-t"))
        assert int(cell.get("data-direction")) == direction
        assert float(cell.get("data-c")) == trn[layer, direction].c[s, b, unit]
        assert float(cell.get("data-h")) == trn[layer, direction].h[s, b, unit]
    assert {int(c.get("data-layer")) for c in cells(root)} == set(range(num_layers))
    finals = find(root, "g", "chain-final")
    assert [int(f.get("data-row")) for f in finals] == [layer * D + direction for layer in range(num_layers)]
    for f in finals:
        row = int(f.get("data-row"))
        assert row == int(f.get("data-layer")) * D + int(f.get("data-direction"))
        # the row's numbers are torch's h_n / c_n at that row
        assert float(f.get("data-h")) == pytest.approx(float(h_n[row, b, unit]), abs=1e-12)
        assert float(f.get("data-c")) == pytest.approx(float(c_n[row, b, unit]), abs=1e-12)
        assert f"h_n[{row}]" in shown(f) and f"c_n[{row}]" in shown(f)
        assert int(f.get("data-at")) == (trn.T - 1 if direction == 0 else 0)
    ups = [e for e in find(root, "text") if e.get("data-up") is not None]
    assert len(ups) == (num_layers - 1) * len(cells(root)) // num_layers
    for e in ups:
        layer, s = int(e.get("data-up")), int(e.get("data-t"))
        # the next layer's input (this direction's half of it) IS this layer's h
        assert float(e.get("data-value")) == trn[layer + 1, direction].x[s, b, direction * 3 + unit]
        assert float(e.get("data-value")) == trn[layer, direction].h[s, b, unit]


# ------------------------------------------------------------------------------------------ two directions
def test_bidirectional_meets_in_output_and_h_n_sits_where_it_is():
    trn, labels, (out, h_n, _) = run(num_layers=2, bidirectional=True, hidden_size=3)
    H, T, b, unit = 3, trn.T, 0, 1
    for layer in (0, 1):
        root = parse(fc.bidirectional_svg(trn, layer, b, unit, 7, EN, labels))
        concat = find(root, "g", "chain-concat")
        assert [int(g.get("data-t")) for g in concat] == [s for s in fc.visible_steps(T, 7) if s is not None]
        for g in concat:
            s = int(g.get("data-t"))
            assert float(g.get("data-h-fwd")) == trn[layer, 0].h[s, b, unit]
            assert float(g.get("data-h-bwd")) == trn[layer, 1].h[s, b, unit]
            if layer == 1:  # the top layer's [h→ ; h←] is torch's output[t]
                assert float(g.get("data-h-fwd")) == pytest.approx(float(out[s, b, unit]), abs=1e-12)
                assert float(g.get("data-h-bwd")) == pytest.approx(float(out[s, b, H + unit]), abs=1e-12)
        finals = {int(f.get("data-direction")): f for f in find(root, "g", "chain-final")}
        assert int(finals[0].get("data-at")) == T - 1 and int(finals[1].get("data-at")) == 0
        for d, f in finals.items():
            assert int(f.get("data-row")) == layer * 2 + d
            assert float(f.get("data-h")) == pytest.approx(float(h_n[layer * 2 + d, b, unit]), abs=1e-12)
        # where h_n really is: the forward chain's last cell, the backward chain's first
        by = {(int(c.get("data-direction")), int(c.get("data-t"))): float(c.get("data-h")) for c in cells(root)}
        assert by[(0, T - 1)] == float(finals[0].get("data-h")) and by[(1, 0)] == float(finals[1].get("data-h"))


def test_bidirectional_needs_two_directions():
    trn, labels, _ = run(num_layers=1, bidirectional=False)
    with pytest.raises(ValueError):
        fc.bidirectional_svg(trn, 0, 0, 0, 0, EN, labels)


def test_packed_input_fades_padded_steps_and_ends_each_sequence_at_its_length():
    trn, labels, _ = run(num_layers=1, bidirectional=True, lengths=[12, 7])
    root = parse(fc.unrolled_svg(trn, 0, 0, 1, 0, 8, EN, labels))
    for cell in cells(root):
        s = int(cell.get("data-t"))
        assert (cell.get("data-padded") == "1") == (s >= 7)
        if s >= 7:
            assert "—" in shown(cell)
    finals = {int(f.get("data-direction")): f for f in
              find(parse(fc.bidirectional_svg(trn, 0, 1, 0, 3, EN, labels)), "g", "chain-final")}
    assert int(finals[0].get("data-at")) == 6  # sequence 1's forward state ends at its own last real step
    assert float(finals[0].get("data-h")) == trn[0, 0].h[6, 1, 0]


# ------------------------------------------------------------------------------------------ one cell
def test_cell_numbers_are_the_trace_and_obey_the_equations():
    cfg = LSTMConfig(input_size=1, hidden_size=1)
    model = cfg.build(seed=2, dtype=torch.float64)
    state = lambda v: torch.tensor([[[v]]], dtype=torch.float64)  # noqa: E731
    with torch.no_grad():
        trn = trace(model, state(0.4), hx=(state(-0.2), state(1.5))).numpy()
    g = parse(fc.cell_svg(trn, 0, 0, 0, EN)).find(".//{http://www.w3.org/2000/svg}g")
    lt = trn[0, 0]
    assert float(g.get("data-x")) == 0.4 and float(g.get("data-h-prev")) == -0.2 and float(g.get("data-c-prev")) == 1.5
    for q in ("i", "f", "g", "o", "c", "h"):
        assert float(g.get(f"data-{q}")) == getattr(lt, q)[0, 0, 0]
    v = {q: float(g.get(f"data-{q}")) for q in ("i", "f", "g", "o", "c", "h")}
    assert v["c"] == pytest.approx(v["f"] * 1.5 + v["i"] * v["g"], abs=1e-14)
    assert v["h"] == pytest.approx(v["o"] * np.tanh(v["c"]), abs=1e-14)
    roles = {e.get("data-role"): shown(e) for e in g.iter() if e.get("data-role")}
    assert roles["c"] == fc.fmt(v["c"]) and roles["h"] == fc.fmt(v["h"]) and roles["f"] == fc.fmt(v["f"])


# ------------------------------------------------------------------------------------------ text, access
@pytest.mark.parametrize("lang", LANGS)
def test_every_view_is_an_accessible_image_without_raw_markup(lang):
    text = text_of(lang)
    trn, labels, _ = run(num_layers=2, bidirectional=True)
    views = [fc.unrolled_svg(trn, 0, 1, 0, 0, 3, text, labels), fc.stacked_svg(trn, 0, 0, 0, 3, text, labels),
             fc.bidirectional_svg(trn, 1, 0, 0, 3, text, labels)]
    for svg_html in views:
        root = parse(svg_html)
        svg = find(root, "svg")[0]
        assert svg.get("role") == "img" and svg.get("aria-label")
        assert shown(find(svg, "title")[0]) == svg.get("aria-label")
        if lang == "zh":
            assert re.search(r"[\u4e00-\u9fff]", svg.get("aria-label"))
        for e in find(svg, "text"):
            assert int(e.get("font-size")) >= fc.SUB
            assert not re.search(r"_\{|\$|\*\*|⟦", shown(e)), shown(e)
        # the drawing never shrinks below MIN_SCALE: its main text stays ≥ 13 px
        width = float(svg.get("viewBox").split()[2])
        min_px = float(re.search(r"min-width:(\d+)px", svg.get("style")).group(1))
        assert min_px / width * fc.SUB >= 13 - 0.05  # (min-width is rounded to whole pixels)
