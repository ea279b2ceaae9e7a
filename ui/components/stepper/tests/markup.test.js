import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { renderMarkup, plainMarkup } from "../markup.js";
import { tr } from "../util.js";

test("bold, italics, code", () => {
  assert.equal(renderMarkup("**Step 3** and *not* `a*b_{c}`"), "<b>Step 3</b> and <em>not</em> <code>a*b_{c}</code>");
  assert.equal(renderMarkup("the last *sequence*, not"), "the last <em>sequence</em>, not");
  assert.equal(renderMarkup("最后一个*序列*，不是"), "最后一个<em>序列</em>，不是");
  assert.equal(renderMarkup("2 * 3 * 4"), "2 * 3 * 4");  // lone stars are multiplication
});

test("subscripts and superscripts", () => {
  assert.equal(renderMarkup("x_{T−1}"), "x<sub>T−1</sub>");
  assert.equal(renderMarkup("h_{t−1} and c_{t-1}"), "h<sub>t−1</sub> and c<sub>t-1</sub>");
  assert.equal(renderMarkup("x_0…x_t"), "x<sub>0</sub>…x<sub>t</sub>");
  assert.equal(renderMarkup("[h→_t ; h←_t]"), "[h→<sub>t</sub> ; h←<sub>t</sub>]");
  assert.equal(renderMarkup("x^{(1)}_t"), "x<sup>(1)</sup><sub>t</sub>");
  // names with underscores stay names
  assert.equal(renderMarkup("proj_size = 2, h_n, l0_d1_f"), "proj_size = 2, h<sub>n</sub>, l0_d1_f");
});

test("escapes HTML first", () => {
  assert.equal(renderMarkup("<script>**x**</script>"), "&lt;script&gt;<b>x</b>&lt;/script&gt;");
  assert.equal(plainMarkup("**a** `b` c_{t+1}"), "a b c_t+1");
});

// every stepper.* string of both catalogs, filled as the component fills it, renders with no markup left over
test("the catalogs' markup renders completely", () => {
  const args = { t: 3, k: 2, unit: 1, layer: 0, direction: "→", b: 0, token: " «我»", p: 2, h: 4, what: "`output`",
    next: 1, name: "f", prev: "t+1", c_name: "c_{t+1}", h_prev: "h_{t+1}", c_prev: "0.1", file: "lstm_core/cell.py",
    f: "0.5", i: "0.5", g: "0.5", o: "0.5", ig: "+0.25", kept: "0.05", pct: 50, c: "0.3", delta: "+0.2", tanh_c: "0.3",
    tf: 1, tb: 2, value: "0.5", lo: 0, hi: 1, n: 5 };
  const bad = [];
  for (const lang of ["en", "zh"]) {
    const S = JSON.parse(readFileSync(new URL(`../../../../assets/locales/${lang}/stepper.json`, import.meta.url)));
    for (const key of Object.keys(S)) {
      const html = renderMarkup(tr(S, key, args)).replace(/<code>.*?<\/code>/g, "");
      const text = html.replace(/<[^>]+>/g, "");
      if (/\*\*|_\{|\^\{|`|(^|[^\w\s*])\*\S/.test(text) || /\{\w+\}/.test(text)) bad.push(`${lang} ${key}: ${text}`);
    }
  }
  assert.deepEqual(bad, []);
});
