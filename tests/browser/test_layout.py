"""Layout on real screens, measured in Chromium: a laptop (1366×768) and a phone (390×844), English and 中文.

- Shapes: every header and cell of the parameter table lies inside the viewport or inside the table's own
  scroll box, and no cell's text is cut (its text's box inside the cell, nothing overflowing it).
- Weights: the four gate heatmaps of a stacked matrix sit side by side on the laptop and one under the other,
  screen-wide, on the phone; their tick labels and colour-bar labels never overlap and stay inside the chart.
- Stepper: after stepping to the last time step on the phone, the chain view under the Stepper shows the lit cell
  inside its sideways-scrolling box, without the learner scrolling it.

Geometry comes from the browser (getBoundingClientRect, scrollWidth/clientWidth, text ranges), never from the
code that lays the page out.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
SIZES = {"1366": LAPTOP, "390": PHONE}

# For every header and data cell of `table`: its box, the box of its text, whether its content overflows it, and
# the box it may scroll inside (the nearest ancestor that scrolls sideways, else the viewport), with that box's
# whole scrollable extent.
CELLS = """(table) => {
  const scroller = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (['auto', 'scroll'].includes(s.overflowX) && e.scrollWidth > e.clientWidth) return e;
    }
    return null;
  };
  const box = scroller(table);
  let frame = {left: 0, right: innerWidth, scrollLeft: 0, scrollRight: innerWidth};
  if (box) {
    const r = box.getBoundingClientRect();
    frame = {left: r.left, right: r.right, scrollLeft: r.left - box.scrollLeft,
             scrollRight: r.left - box.scrollLeft + box.scrollWidth};
  }
  return {frame, cells: [...table.querySelectorAll('th, td')].map((cell) => {
    const r = cell.getBoundingClientRect(), range = document.createRange();
    range.selectNodeContents(cell);
    const text = range.getBoundingClientRect();
    return {text: cell.innerText.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            textLeft: text.left, textRight: text.right, textTop: text.top, textBottom: text.bottom,
            overflowX: cell.scrollWidth - cell.clientWidth, overflowY: cell.scrollHeight - cell.clientHeight};
  })};
}"""


def param_table(page):
    """The Shapes page's parameter table: the static table whose header names the parameter column."""
    table = page.locator("[data-testid=stTable] table").filter(
        has=page.locator("th", has_text="weight_ih_l0").or_(page.locator("td", has_text="weight_ih_l0"))).first
    expect(table).to_be_visible()
    return table


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_shapes_parameter_table_reads_whole(page, goto, assert_no_exception, screenshot, size, lang):
    page.set_viewport_size(SIZES[size])
    goto("shapes", lang=lang, num_layers=2, bidirectional=True, proj_size=3)
    assert_no_exception(page)
    table = param_table(page)
    table.scroll_into_view_if_needed()
    got = table.evaluate(CELLS)
    frame, cells = got["frame"], got["cells"]
    assert frame["left"] >= -1 and frame["right"] <= SIZES[size]["width"] + 1, frame  # its box is on screen
    header = [c["text"] for c in cells[:5]]
    assert header[0] in ("parameter", "参数") and header[-1] == "torch.nn.LSTM", header
    assert len(cells) == 5 * (1 + 20)  # 5 columns; 2 layers × 2 directions × 5 parameters (with weight_hr)
    assert "weight_hr_l1_reverse" in [c["text"] for c in cells]
    for c in cells:
        assert c["overflowX"] <= 1 and c["overflowY"] <= 1, c  # nothing cut off inside the cell
        assert c["textLeft"] >= c["left"] - 1 and c["textRight"] <= c["right"] + 1, c  # the text is in its cell
        assert c["left"] >= frame["scrollLeft"] - 1 and c["right"] <= frame["scrollRight"] + 1, (c, frame)
    screenshot(page, f"layout-shapes-{lang}-{size}")


# The tensor table and the parameter table (found by a name in them): per data row, the text of its shape column
# (the row's second cell) and on how many lines that text's characters lie.
SHAPE_LINES = """(names) => names.map((name) => {
  const table = [...document.querySelectorAll('[data-testid=stTable] table')]
    .find((t) => [...t.querySelectorAll('th, td')].some((c) => c.innerText.trim() === name));
  return [...table.querySelectorAll('tbody tr')].map((row) => {
    const cell = row.children[1], walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), tops = new Set();
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    return {text: cell.innerText.trim(), lines: tops.size};
  });
})"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_shapes_keep_each_shape_on_one_line_on_a_phone(page, goto, assert_no_exception, lang):
    page.set_viewport_size(PHONE)
    goto("shapes", lang=lang, num_layers=2, bidirectional=True, proj_size=3)
    assert_no_exception(page)
    expect(page.locator("[data-testid=stTable] td", has_text="weight_ih_l0").first).to_be_visible()
    tensors, params = page.evaluate(SHAPE_LINES, ["h_0", "weight_ih_l0"])
    # input, h_0, c_0, output, h_n, c_n
    assert [row["text"] for row in tensors] == ["(5, 2, 4)", "(4, 2, 3)", "(4, 2, 6)", "(5, 2, 6)", "(4, 2, 3)",
                                                "(4, 2, 6)"]
    assert len(params) == 20 and params[0]["text"] == "(24, 4)"
    for row in tensors + params:
        assert row["lines"] == 1, row


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_weights_parameter_table_keeps_each_shape_on_one_line_on_a_phone(page, goto, assert_no_exception, lang):
    page.set_viewport_size(PHONE)
    goto("weights", lang=lang)
    assert_no_exception(page)
    expect(page.locator("[data-testid=stTable] td", has_text="weight_ih_l0").first).to_be_visible()
    (params,) = page.evaluate(SHAPE_LINES, ["weight_ih_l0"])
    assert [row["text"] for row in params] == ["(24, 4)", "(24, 6)", "(24,)", "(24,)"]  # the default nn.LSTM(4, 6)
    for row in params:
        assert row["lines"] == 1, row


BLOCKS = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].slice(0, 8).map((chart) => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const texts = (sel) => [...chart.querySelectorAll(sel)].filter((t) => t.textContent.trim()).map(box);
  return {chart: box(chart), plot: box(chart.querySelector('.nsewdrag')),
          xticks: texts('.xtick text'), yticks: texts('.ytick text'), bar: texts('.colorbar .cbaxis text, '
          + '.colorbar text'), title: chart.querySelector('.gtitle')?.textContent || '',
          titleBox: box(chart.querySelector('.gtitle'))};
})"""


def overlaps(a, b, pad=1.0) -> bool:
    return a[0] < b[2] - pad and b[0] < a[2] - pad and a[1] < b[3] - pad and b[1] < a[3] - pad


def no_overlap(boxes) -> bool:
    return not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_weights_heatmaps_are_legible(page, goto, wait_idle, assert_no_exception, screenshot, size, lang):
    """hidden_size 20, input_size 13, the backward direction of layer 0 (the longest names): the crowded case.
    Laptop: four blocks in a row. Phone: one per row, each as wide as the main area. Either way the labels of each
    axis and of the colour bar do not collide, and every title and label stays inside its chart."""
    width = SIZES[size]["width"]
    page.set_viewport_size(SIZES[size])
    goto("weights", lang=lang, input_size=13, hidden_size=20, bidirectional=True)
    assert_no_exception(page)
    page.locator("[data-testid=stMain] [data-testid=stRadioOption]").nth(1).click()  # backward
    expect(page.locator("[data-testid=stMain] h2").filter(has_text="weight_ih_l0_reverse")).to_be_visible()
    wait_idle(page)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].length >= 9
        && [...document.querySelectorAll('[data-testid=stPlotlyChart]')].slice(0, 8)
           .every((c) => c.querySelector('.colorbar text'))""")
    blocks = page.evaluate(BLOCKS)
    assert [b["title"][:4] for b in blocks] == [f"W_{k}{g}" for k in "ih" for g in "ifgo"]
    main = page.locator("[data-testid=stMain] [data-testid=stMainBlockContainer]").bounding_box()
    for matrix in (blocks[:4], blocks[4:]):
        tops = [b["chart"][1] for b in matrix]
        if size == "1366":
            assert max(tops) - min(tops) < 2, tops  # side by side
        else:
            assert all(b2 > b1 for b1, b2 in zip(tops, tops[1:], strict=False)), tops  # one under the other
            for b in matrix:  # each as wide as the main area (its padding aside)
                assert b["chart"][2] - b["chart"][0] > 0.8 * main["width"], (b["chart"], main)
    for b in blocks:
        assert b["chart"][0] >= -1 and b["chart"][2] <= width + 1, b["chart"]
        assert 2 <= len(b["xticks"]) <= 8 and 2 <= len(b["yticks"]) <= 8, (len(b["xticks"]), len(b["yticks"]))
        assert no_overlap(b["xticks"]) and no_overlap(b["yticks"]), b
        assert len(b["bar"]) == 3 and no_overlap(b["bar"]), b["bar"]  # −max, 0, +max
        for label in b["bar"] + b["xticks"] + b["yticks"] + [b["titleBox"]]:  # all inside the chart's box
            assert b["chart"][0] - 1 <= label[0] and label[2] <= b["chart"][2] + 1, (label, b["chart"])
            assert b["chart"][1] - 1 <= label[1] and label[3] <= b["chart"][3] + 1, (label, b["chart"])
        assert b["titleBox"][3] <= b["plot"][1] + 1  # the title above the heatmap, not over it
    screenshot(page, f"layout-weights-{lang}-{size}")


# The unrolled chain's lit cell (step `t`) lies inside the chain's own scrolling box.
LIT_CELL_IN_BOX = """(t) => {
    const box = document.querySelector('.lstm-chain[data-view=unrolled]');
    const cell = box && box.querySelector(`g.chain-cell[data-current='1'][data-t='${t}']`);
    if (!cell) return false;
    const b = box.getBoundingClientRect(), c = cell.getBoundingClientRect();
    return c.left >= b.left - 1 && c.right <= b.right + 1;
}"""


def wait_for_lit_cell_in_its_box(page, t: int) -> None:
    page.wait_for_function(LIT_CELL_IN_BOX, arg=t)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_chain_keeps_the_lit_cell_in_view_on_a_phone(page, goto, assert_no_exception, wait_idle, lang):
    page.set_viewport_size(PHONE)
    goto("stepper", lang=lang, seq_len=5, hidden_size=3)
    assert_no_exception(page)
    box = page.locator(".lstm-chain[data-view=unrolled]")
    expect(box).to_be_visible()
    assert box.evaluate("b => b.scrollWidth > b.clientWidth + 100")  # wider than the phone: it must scroll
    page.locator("[data-testid=lstm-stepper]").focus()
    page.keyboard.press("End")
    page.wait_for_function("() => /[?&]timestep=4(&|$)/.test(location.search)")
    wait_idle(page)
    lit = box.locator("g.chain-cell[data-current='1']")
    expect(lit).to_have_attribute("data-t", "4")
    box.scroll_into_view_if_needed()  # the page scrolls down to it; sideways nothing but the app has moved
    # the cell is inside its box (waits for the scroll the page makes when the lit step changes)
    wait_for_lit_cell_in_its_box(page, 4)
    assert box.evaluate("b => b.scrollLeft") > 0
    # back to the start: the first cell comes back into view
    page.locator("[data-testid=lstm-stepper]").focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => /[?&]timestep=0(&|$)/.test(location.search)")
    wait_idle(page)
    wait_for_lit_cell_in_its_box(page, 0)
    assert_no_exception(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pitfall_cards_are_sections_at_a_card_titles_size(page, goto, assert_no_exception, lang):
    """Each of the ten cards is a section of the page (an h2 right under the h1), drawn smaller than the page's
    own h2 sections so the cards do not shout: at most the size Streamlit gives an h4 (24 px)."""
    page.set_viewport_size(LAPTOP)
    goto("pitfalls", lang=lang)
    assert_no_exception(page)
    titles = page.locator("[data-testid=stMain] [class*=st-key-card_] h2")  # the other tab's cards are hidden
    visible = "[...document.querySelectorAll('[data-testid=stMain] [class*=st-key-card_] h2')]" \
              ".filter(h => h.getClientRects().length)"
    # the cards' style arrives with the page's html elements, which Streamlit's frontend may draw a moment later
    page.wait_for_function(f"() => {visible}.length === 10 && {visible}.every(h => parseFloat("
                           "getComputedStyle(h).fontSize) <= 24)")
    assert titles.count() >= 10
    assert page.locator("[data-testid=stMain] h3, [data-testid=stMain] h4").filter(visible=True).count() == 0
