import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathKeyframes, strokeFor, fillTemplate } from "../diagram.js";
import { equationsHtml } from "../equations.js";
import { highlightLine, lineValues, codeHtml } from "../code.js";
import { stepForKey, keyBelongsElsewhere } from "../controls.js";

test("a dot's keyframes follow its wire at constant speed", () => {
  const k = pathKeyframes("0,0 30,0 30,10");
  assert.deepEqual(k.map((f) => f.offset), [0, 0.75, 1]);
  assert.equal(k[1].transform, "translate(30px, 0px)");
});

test("a valve's width follows the gate", () => {
  assert.equal(strokeFor(0), "1.00");
  assert.equal(strokeFor(1), "6.00");
  assert.equal(strokeFor(-0.5), "3.50");
  assert.equal(strokeFor(NaN), "1.00");
});

test("the diagram template: backward labels say t+1", () => {
  const svg = readFileSync(new URL("../../../../assets/cell.svg", import.meta.url), "utf8");
  const out = fillTemplate(svg, { prev: "t+1", aria: "cell" });
  assert.ok(!out.includes("$prev") && !out.includes("$aria"));
  assert.equal((out.match(/>t\+1</g) || []).length, 2);  // c_{t+1} and h_{t+1}
});

const v = { i: 0.5, f: 0.25, g: -0.5, o: 1, c: 0.3, c_prev: -0.2, h_full: 0.29, h_unit: 0.29, proj: 0 };
for (const q of ["i", "f", "g", "o"]) { v["pre_" + q] = 1; v["xin_" + q] = 0.75; v["rec_" + q] = 0.25; }

test("equations: one row per quantity, the previous state named by direction", () => {
  const fwd = equationsHtml(v, "t−1", null), bwd = equationsHtml(v, "t+1", null);
  assert.equal((fwd.match(/class="eq"/g) || []).length, 6);
  assert.ok(fwd.includes("<sub>t−1</sub>") && !fwd.includes("t+1"));
  assert.ok(bwd.includes("<i>c</i><sub>t+1</sub>") && bwd.includes("<i>h</i><sub>t+1</sub>") && !bwd.includes("t−1"));
  assert.ok(fwd.includes('<span class="val">0.500</span>') && fwd.includes("(-0.200)"));
  const proj = equationsHtml(v, "t−1", { row: [0.1, 0.2], size: 2 });
  assert.ok(proj.includes('data-eq="proj"') && proj.includes("[0.100, 0.200]"));
});

test("code: token colours, escaped text, values on the lines that compute them", () => {
  assert.equal(highlightLine("def f(a<b):  # x", [[0, 3, "kw"], [4, 5, "def"], [13, 16, "com"]]),
    '<span class="tk-kw">def</span> <span class="tk-def">f</span>(a&lt;b):  <span class="tk-com"># x</span>');
  const code = { start: 10, lines: ["def cell(x):", "    i, f = x", "    c = f * i", "    return c"], spans: [],
                 lines_of: { i: [1], f: [1], c: [2] }, values: { i: 1, f: 1, c: 2 } };
  assert.deepEqual(lineValues(code, v, [0.29]), { 1: "i = 0.500 · f = 0.250", 2: "c = 0.300" });
  const cell = { ...code, values: { pre: 0, h: 3 } };
  assert.deepEqual(lineValues(cell, v, [0.29, 0.5]), { 0: "pre = [1.000, 1.000, 1.000, 1.000]", 3: "h = 0.290" });
  assert.deepEqual(lineValues(cell, { ...v, proj: 2 }, [0.25, -0.5]), { 0: "pre = [1.000, 1.000, 1.000, 1.000]", 3: "h = [0.25, -0.50]" });
  const html = codeHtml(code);
  assert.equal((html.match(/class="cv"/g) || []).length, 2);
  assert.ok(html.includes('data-q="i f"') && html.includes('<span class="ln">13</span>'));
});

test("keys: where each goes, and when they belong to someone else", () => {
  assert.equal(stepForKey("ArrowRight", 3, 5), 4);
  assert.equal(stepForKey("ArrowRight", 4, 5), 4);
  assert.equal(stepForKey("ArrowLeft", 0, 5), 0);
  assert.equal(stepForKey("Home", 3, 5), 0);
  assert.equal(stepForKey("End", 0, 5), 4);
  assert.equal(stepForKey("a", 0, 5), undefined);
  const el = (tag, attrs = {}, type) => ({ nodeType: 1, tagName: tag, type, isContentEditable: false,
    getAttribute: (a) => attrs[a] ?? null });
  const ours = el("INPUT", {}, "range"), root = { contains: (x) => x === ours };
  const key = (target, mods = {}) => ({ target, defaultPrevented: false, altKey: false, ctrlKey: false, metaKey: false, ...mods });
  assert.equal(keyBelongsElsewhere(key(el("BODY")), root), false);
  assert.equal(keyBelongsElsewhere(key(el("BUTTON")), root), false);
  assert.equal(keyBelongsElsewhere(key(ours), root), false);
  assert.equal(keyBelongsElsewhere(key(el("INPUT", {}, "text")), root), true);
  assert.equal(keyBelongsElsewhere(key(el("INPUT", {}, "range")), root), true);  // a slider of the page
  assert.equal(keyBelongsElsewhere(key(el("TEXTAREA")), root), true);
  assert.equal(keyBelongsElsewhere(key(el("SELECT")), root), true);
  assert.equal(keyBelongsElsewhere(key(el("DIV", { role: "slider" })), root), true);
  assert.equal(keyBelongsElsewhere(key(el("BODY"), { ctrlKey: true }), root), true);
});

test("the step in words: one sentence per gate, bands by openness, the previous state named by direction", async () => {
  const { explainStep, band } = await import("../explain.js");
  const { linesRange } = await import("../charts.js");
  const { matrix } = await import("../util.js");
  assert.deepEqual([band(0.9), band(0.5), band(0.1)], ["high", "mid", "low"]);
  const S = { "stepper.ex.first": "first {t}.", "stepper.ex.f_empty": "nothing in {c_name} = {c_prev}.",
    "stepper.ex.f_high": "keeps {pct}%.", "stepper.ex.i_mid": "writes {ig} {direction}.", "stepper.ex.up": "up",
    "stepper.ex.down": "down", "stepper.ex.c_change": "{c_prev} to {c}.", "stepper.ex.o_high": "shows {h}.",
    "stepper.ex.c_big": "big {c}." };
  const w = { f: 0.9, i: 0.5, g: -0.5, o: 1, c: 2.5, c_prev: 0, h_full: 0.98 };
  assert.equal(explainStep(S, w, { unit: 0, t: 4, first: true, prev: "t+1", sep: " " }),
    "first 4. nothing in c_{t+1} = 0.000. writes −0.250 down. 0.000 to 2.500. shows 0.980. big 2.500.");
  assert.equal(explainStep(S, { ...w, c_prev: 1, c: 1 }, { unit: 0, t: 4, first: false, prev: "t−1", sep: "" }),
    "keeps 90%.writes −0.250 down.1.000 to 1.000.shows 0.980.");
  assert.equal(explainStep(S, { ...w, f: NaN }, { unit: 0, t: 4, first: false, prev: "t−1", sep: " " }), null);
  const a = matrix(new Float32Array([0.5, NaN, -3, 0.2]), 4, 1);
  assert.deepEqual(linesRange([["c", a]], 4, 0), [-3, 1]);
});
