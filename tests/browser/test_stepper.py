"""The stepper in a real browser: stepping is drawn by the client-side component (no rerun per step).

The component is mounted in the app's own DOM (``isolate_styles=False``: no iframe, no shadow root), so its
elements are found with ordinary selectors under ``[data-testid=lstm-stepper]``. The numbers it draws are
compared with an independent run of the engine (``lstm_core.trace``) on the same configuration and input.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lessons import sources as src
from lstm_core import LSTMConfig, trace
from ui.figures.stepper import fmt

pytestmark = pytest.mark.browser
ROOT = "[data-testid=lstm-stepper]"


def expected(batch_size: int, seq_len: int, input_size: int, seed: int = 0, **cfg):
    """The engine's trace for the app's random input (same seed as the page)."""
    model = LSTMConfig(input_size=input_size, **cfg).build(seed=seed, dtype=torch.float32).eval()
    batch = src.random_batch(batch_size, seq_len, input_size, seed)
    return trace(model, batch.model_input(model.config)).numpy()


def wait_step(page, k: int) -> None:
    page.wait_for_function(f"() => document.querySelector('{ROOT}')?.dataset.k === '{k}'", timeout=10_000)


def shown(page, selector: str) -> str:
    return page.locator(f"{ROOT} {selector}").first.inner_text().replace("−", "-")


def where(page) -> str:
    return page.locator(f"{ROOT} [data-role=where]").inner_text()


def test_key_press_draws_the_next_steps_numbers(page, goto, assert_no_exception, screenshot):
    goto("stepper", hidden_size=3, seq_len=6, input_size=2, batch_size=1, lang="en")
    assert_no_exception(page)
    wait_step(page, 0)
    tr = expected(1, 6, 2, hidden_size=3)[0, 0]
    page.locator(ROOT).focus()
    for k in (1, 2):
        page.keyboard.press("ArrowRight")
        wait_step(page, k)
        for q in ("i", "f", "g", "o", "c"):
            assert shown(page, f"[data-eq={q}] .val") == fmt(getattr(tr, q)[k, 0, 0]), (q, k)
        assert shown(page, "[data-eq=h] .val") == fmt(tr.h[k, 0, 0])
        for n, q in enumerate(("i", "f", "g", "o")):  # the gate's input share and memory share
            x_share = tr.x_proj[k, 0, n * 3]
            assert shown(page, f"[data-eq={q}] [data-part=x] .num") == fmt(x_share)
            assert shown(page, f"[data-eq={q}] [data-part=h] .num").strip("()") == fmt(tr.pre[k, 0, n * 3] - x_share)
        diagram = page.locator(f"{ROOT} svg[data-testid=lstm-cell-diagram]").text_content().replace("−", "-")
        assert fmt(tr.c[k, 0, 0]) in diagram and f"t = {k}" in shown(page, "[data-role=svg-caption]")
        assert f"Step {k}" in where(page)
    page.keyboard.press("End")
    wait_step(page, 5)
    page.keyboard.press("Home")
    wait_step(page, 0)
    # another unit, locally: the equations follow it
    page.locator(f"{ROOT} select[data-role=unit]").select_option("2")
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.unit === '2'")
    assert shown(page, "[data-eq=f] .val") == fmt(tr.f[0, 0, 2])
    assert_no_exception(page)
    screenshot(page, "stepper-en-default")


def test_twenty_quick_presses_advance_twenty_steps(page, goto, assert_no_exception):
    goto("stepper", seq_len=40, lang="en")
    wait_step(page, 0)
    button = page.locator(f"{ROOT} button[data-role=next]")
    assert button.get_attribute("aria-label") == "Next step"
    for _ in range(20):
        button.click(delay=0)
    wait_step(page, 20)
    # the debounced report reached the server and came back as the URL: nothing queued moved the cursor further
    page.wait_for_function("() => /timestep=20(&|$)/.test(location.search)")
    assert page.locator(ROOT).get_attribute("data-k") == "20"
    assert_no_exception(page)


def test_reload_opens_the_same_step_and_unit(page, goto, wait_idle, assert_no_exception):
    goto("stepper", seq_len=8, hidden_size=4, batch_size=2, bidirectional=True, lang="en")
    wait_step(page, 0)
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("backward")).click()
    page.wait_for_function("() => /direction=1/.test(location.search)")
    wait_step(page, 0)
    page.locator(f"{ROOT} select[data-role=unit]").select_option("3")
    page.locator(ROOT).focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    wait_step(page, 3)
    page.wait_for_function("() => /timestep=3/.test(location.search) && /unit=3/.test(location.search)")
    page.reload()
    page.wait_for_selector(ROOT)
    wait_step(page, 3)
    assert page.locator(ROOT).get_attribute("data-unit") == "3"
    assert page.locator(ROOT).get_attribute("data-t") == "4" and "backward" in where(page)  # t = T-1-k
    assert_no_exception(page)


def test_out_of_range_url_is_clamped(page, goto, assert_no_exception):
    goto("stepper", seq_len=5, hidden_size=2, timestep=99, unit=40, layer=7, lang="en")
    wait_step(page, 4)
    assert page.locator(ROOT).get_attribute("data-unit") == "1"
    assert "layer 0" in where(page)
    assert_no_exception(page)


def test_bidirectional_projection_two_layers_in_chinese(page, goto, wait_idle, assert_no_exception, screenshot):
    cfg = dict(hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    goto("stepper", seq_len=6, input_size=3, batch_size=2, lang="zh", **cfg)
    assert_no_exception(page)
    wait_step(page, 0)
    assert "第 0 步" in where(page)
    assert page.locator(f"{ROOT} section[data-role=concat]").is_visible()
    assert page.locator(f"{ROOT} section[data-role=proj]").is_visible()
    # layer 1, backward: its cursor starts at the end of the sequence
    page.locator(".st-key-layer [role=combobox]").click()
    page.get_by_role("option", name="1", exact=True).click()
    wait_idle(page)
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("反向")).click()
    wait_idle(page)
    wait_step(page, 0)
    assert page.locator(ROOT).get_attribute("data-t") == "5"
    tr = expected(2, 6, 3, **cfg)
    page.locator(ROOT).focus()
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    lt = tr[1, 1]
    assert shown(page, "[data-eq=c] .val") == fmt(lt.c[4, 0, 0])
    proj = shown(page, "[data-eq=proj]")
    assert fmt(lt.h[4, 0, 0]) in proj and fmt(lt.h[4, 0, 1]) in proj
    concat = shown(page, "[data-role=concat-eq]")
    assert fmt(tr[1, 0].h[4, 0, 0]) in concat and fmt(tr[1, 1].h[4, 0, 0]) in concat
    assert np.allclose(tr.output_padded[4, 0, :2], tr[1, 0].h[4, 0])
    assert_no_exception(page)
    screenshot(page, "stepper-zh-bidirectional-proj")


def test_padded_steps_are_drawn_empty(page, goto, assert_no_exception):
    goto("stepper", seq_len=5, batch_size=2, input_lengths="5,3", batch_index=1, lang="en")
    wait_step(page, 0)
    page.locator(ROOT).focus()
    page.keyboard.press("End")
    wait_step(page, 4)
    assert "t = 4 is padding" in shown(page, "[data-role=explain]")
    assert page.locator(f"{ROOT} [data-eq]").count() == 0
    assert_no_exception(page)


def test_trace_downloads(page, goto, tmp_path):
    goto("stepper", hidden_size=2, seq_len=3, batch_size=1, input_size=2)
    with page.expect_download() as info:
        page.locator(".st-key-dl_csv button").first.click()
    path = tmp_path / "trace.csv"
    info.value.save_as(path)
    rows = path.read_text().splitlines()
    assert rows[0] == "array,i0,i1,i2,value" and any(r.startswith("l0_d0_f,2,0,1,") for r in rows)
    with page.expect_download() as info:
        page.locator(".st-key-dl_npz button").first.click()
    info.value.save_as(tmp_path / "trace.npz")
    arrays = np.load(tmp_path / "trace.npz")
    assert arrays["l0_d0_f"].shape == (3, 1, 2) and arrays["output"].shape == (3, 1, 2)


def test_chinese_text_input(page, goto, assert_no_exception, screenshot):
    goto("stepper", lang="zh", input_source="text", hidden_size=4)
    assert_no_exception(page)
    wait_step(page, 0)
    assert "«我»" in where(page)
    assert page.get_by_text("遗忘门", exact=False).count() > 0
    screenshot(page, "stepper-zh-text")



# ---------------------------------------------------------------- the cell as the main picture (#19)
DIAGRAM = f"{ROOT} svg[data-testid=lstm-cell-diagram]"

# the smallest rendered size (px) of the diagram's visible text, and whether any two labels overlap
TEXT_JS = """() => {
  const svg = document.querySelector('[data-testid=lstm-cell-diagram]');
  const scale = svg.getScreenCTM().a;
  const texts = [...svg.querySelectorAll('text')].filter(t => t.getClientRects().length && t.textContent.trim());
  const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  const boxes = texts.map(t => t.getBoundingClientRect());
  const hits = [];
  for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
    const p = boxes[a], q = boxes[b];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
      hits.push(texts[a].textContent + ' / ' + texts[b].textContent);
  }
  const cell = svg.querySelector('.box').getBoundingClientRect();  // no label sits on the cell's border
  for (const [n, p] of boxes.entries()) {
    const inside = p.left >= cell.left && p.right <= cell.right && p.top >= cell.top && p.bottom <= cell.bottom;
    const outside = p.right <= cell.left || p.left >= cell.right || p.bottom <= cell.top || p.top >= cell.bottom;
    if (!inside && !outside) hits.push(texts[n].textContent + ' / the cell border');
  }
  const main = document.querySelector('[data-testid=stMainBlockContainer]')
    || document.querySelector('[data-testid=stMain]');
  return { min: Math.min(...sizes), n: texts.length, hits, width: svg.getBoundingClientRect().width,
           main: main.getBoundingClientRect().width };
}"""


def diagram_text(page) -> dict:
    return page.evaluate(TEXT_JS)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_diagram_text_is_readable_at_every_size(page, goto, assert_no_exception, screenshot, lang):
    # large values (long labels) and a projection (the h vector): the worst case for collisions
    page.set_viewport_size({"width": 1366, "height": 768})
    goto("stepper", hidden_size=4, proj_size=2, seq_len=5, seed=3, lang=lang)
    wait_step(page, 0)
    got = diagram_text(page)
    assert got["n"] >= 20 and got["min"] >= 13, got
    assert got["width"] >= 0.6 * got["main"], got  # the main picture: at least 60% of the main area
    assert got["hits"] == [], got
    screenshot(page, f"stepper-{lang}-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(f"() => document.querySelector('{DIAGRAM}').getBoundingClientRect().width < 390")
    got = diagram_text(page)
    assert got["min"] >= 11 and got["hits"] == [], got
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator(f"{ROOT} button[data-role=present]").click()
    page.wait_for_function(f"() => document.querySelector('{ROOT}').classList.contains('lstep--present')")
    page.wait_for_function(f"() => document.querySelector('{DIAGRAM}').getBoundingClientRect().width > 1100")
    got = diagram_text(page)
    assert got["min"] >= 18 and got["hits"] == [], got
    explain = page.evaluate(
        f"() => parseFloat(getComputedStyle(document.querySelector('{ROOT} [data-role=explain]')).fontSize)")
    assert explain >= 18
    page.keyboard.press("ArrowRight")  # presentation mode steps with the keys too
    wait_step(page, 1)
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => !document.querySelector('{ROOT}').classList.contains('lstep--present')")
    assert_no_exception(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_gate_lights_its_equation_code_and_heatmap_row(page, goto, assert_no_exception, lang):
    goto("stepper", hidden_size=3, seq_len=6, input_size=2, batch_size=1, lang=lang)
    wait_step(page, 0)
    tr = expected(1, 6, 2, hidden_size=3)[0, 0]
    page.locator(f"{DIAGRAM} .gate[data-q=f]").hover()
    page.wait_for_function(f"() => document.querySelector('{ROOT} [data-eq=f]').classList.contains('hl')")
    assert page.locator(f"{ROOT} figure[data-heatfig=f]").get_attribute("class") == "hl"
    assert page.locator(f"{ROOT} .hl[data-eq]").count() == 1  # only the forget gate's equation
    tip = page.locator(f"{ROOT} [data-role=tip]")
    assert tip.is_visible() and fmt(tr.f[0, 0, 0]) in tip.inner_text().replace("−", "-")
    name = "forget gate" if lang == "en" else "遗忘门"
    assert name in tip.inner_text()
    # the same by keyboard focus, for another gate: the code line that computes it lights up too
    page.locator(f"{DIAGRAM} .gate[data-q=o]").focus()
    page.wait_for_function(f"() => document.querySelector('{ROOT} [data-eq=o]').classList.contains('hl')")
    assert not page.locator(f"{ROOT} [data-eq=f]").get_attribute("class").count("hl")
    assert page.locator(f"{ROOT} figure[data-heatfig=o]").get_attribute("class") == "hl"
    assert page.locator(f"{ROOT} .lstep-code .cl.hl").count() >= 1
    label = page.locator(f"{DIAGRAM} .gate[data-q=o]").get_attribute("aria-label")
    assert fmt(tr.o[0, 0, 0]) in label.replace("−", "-")
    # hovering an equation lights the gate in the diagram
    page.locator(f"{ROOT} [data-eq=g] .eq-sym").hover()
    page.wait_for_function(f"() => document.querySelector('{DIAGRAM} .gate[data-q=g]').classList.contains('hl')")
    assert_no_exception(page)


def click_cell(page, q: str, t: int, j: int, T: int, rows: int) -> None:
    canvas = page.locator(f"{ROOT} canvas[data-heat={q}]")
    x0, y0, pw, ph = map(float, canvas.get_attribute("data-plot").split(","))
    canvas.click(position={"x": x0 + (t + 0.5) * pw / T, "y": y0 + (j + 0.5) * ph / rows})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_click_on_a_heatmap_cell_goes_to_that_step_and_unit(page, goto, assert_no_exception, lang):
    goto("stepper", hidden_size=5, seq_len=7, bidirectional=True, direction=1, lang=lang)
    wait_step(page, 0)
    assert page.locator(ROOT).get_attribute("data-t") == "6"
    click_cell(page, "c", 2, 3, 7, 5)
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.unit === '3'")
    wait_step(page, 4)  # backward: t = 2 is its step k = T-1-t = 4
    assert page.locator(ROOT).get_attribute("data-t") == "2"
    tr = expected(2, 7, 4, hidden_size=5, bidirectional=True)[0, 1]
    assert shown(page, "[data-eq=c] .val") == fmt(tr.c[2, 0, 3])
    # the heatmaps' axes: named, and the colour key gives the value range of the map
    key = page.locator(f"{ROOT} figure[data-heatfig=f] .lstep-key").inner_text()
    assert "0.000" in key and "1.000" in key
    assert_no_exception(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_backward_direction_says_t_plus_1(page, goto, assert_no_exception, screenshot, lang):
    goto("stepper", hidden_size=3, seq_len=5, bidirectional=True, direction=1, lang=lang)
    wait_step(page, 0)
    svg = page.locator(DIAGRAM).text_content()
    assert svg.count("t+1") == 2 and "t−1" not in svg  # c_{t+1} and h_{t+1}
    eqs = page.locator(f"{ROOT} [data-role=equations]").inner_text()
    assert "t+1" in eqs and "t−1" not in eqs
    assert "t+1" in page.locator(f"{ROOT} [data-role=eq-caption]").inner_text()
    screenshot(page, f"stepper-{lang}-backward")
    page.locator(".st-key-direction [role=combobox]").click()
    page.get_by_role("option", name=re.compile("forward" if lang == "en" else "正向")).click()
    page.wait_for_function(f"() => document.querySelector('{ROOT}')?.dataset.direction === '0'")
    svg = page.locator(DIAGRAM).text_content()
    assert svg.count("t−1") == 2 and "t+1" not in svg
    assert_no_exception(page)


def test_keys_work_right_after_load_unless_typing(page, goto, assert_no_exception):
    goto("stepper", seq_len=6, lang="en")
    wait_step(page, 0)
    page.keyboard.press("ArrowRight")  # nothing clicked or focused first
    wait_step(page, 1)
    page.keyboard.press("End")
    wait_step(page, 5)
    page.keyboard.press("Home")
    wait_step(page, 0)
    keys = page.locator(f"{ROOT} [data-role=keys]").inner_text()
    assert "←" in keys and "Home" in keys and "End" in keys  # listed next to the controls
    seed = page.locator(".st-key-seed input")
    seed.focus()
    page.keyboard.press("ArrowRight")  # a text field has the focus: the key is the field's
    page.keyboard.press("End")
    assert page.locator(ROOT).get_attribute("data-k") == "0"
    page.locator("[data-testid=stMain] h1").click()  # focus leaves the field: the keys step again
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    assert_no_exception(page)


STEP_ANIMATIONS = f"() => document.querySelector('{ROOT}').getAnimations({{subtree: true}}).length"


def test_a_step_moves_values_along_the_wires_unless_reduced_motion(page, goto, assert_no_exception):
    goto("stepper", seq_len=6, lang="en")
    wait_step(page, 0)
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    assert page.evaluate(STEP_ANIMATIONS) > 0  # dots on the wires, the gates filling
    page.emulate_media(reduced_motion="reduce")
    goto("stepper", seq_len=6, lang="en")
    wait_step(page, 0)
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    assert page.evaluate(STEP_ANIMATIONS) == 0
    assert_no_exception(page)


def test_the_component_runs_in_any_host_and_cleans_up(page):
    """The contract the notebook widget relies on: ui/figures/stepper.component_files() + stepper_data(), loaded
    as one ES module into a plain page (no Streamlit); its default export draws, reports steps through
    setStateValue, and its cleanup removes the document's key listener."""
    import json

    from ui.figures.stepper import component_files, stepper_data

    tr = expected(1, 4, 2, hidden_size=3)
    files = component_files()
    data = stepper_data(tr, 0, 0, 0, lang="zh", pid="host")
    page.set_content(f"<!doctype html><meta charset=utf-8><style>{files['css']}</style>"
                     f"<div id=host>{files['html']}</div>")
    page.evaluate("""async ([js, data]) => {
        const url = URL.createObjectURL(new Blob([js], { type: 'text/javascript' }));
        const mod = await import(url);
        window.__reports = [];
        window.__cleanup = mod.default({ data, parentElement: document.getElementById('host'),
                                         setStateValue: (k, v) => window.__reports.push([k, v]) });
    }""", [files["js"], json.loads(json.dumps(data))])
    wait_step(page, 0)
    assert shown(page, "[data-eq=f] .val") == fmt(tr[0, 0].f[0, 0, 0])
    assert "遗忘门" in page.locator(ROOT).inner_text()
    page.keyboard.press("ArrowRight")
    wait_step(page, 1)
    page.wait_for_function("() => window.__reports.length > 0")
    assert page.evaluate("window.__reports.at(-1)") == ["view", {"timestep": 1, "unit": 0}]
    page.evaluate("window.__cleanup()")
    page.keyboard.press("ArrowRight")  # unmounted: the key is nobody's
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.locator(ROOT).get_attribute("data-k") == "1"
