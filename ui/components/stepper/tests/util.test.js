import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fmt, fmtFit, tr, esc, vecText, par, signed, matrix } from "../util.js";

const num = (x) => (x === "nan" ? NaN : x === "inf" ? Infinity : x);

test("fmt writes what ui/figures/stepper.fmt writes (shared cases)", () => {
  const cases = JSON.parse(readFileSync(new URL("./fmt_cases.json", import.meta.url)));
  for (const [v, nd, want] of cases) assert.equal(fmt(num(v), nd), want, `${v} ${nd}`);
});

test("fmtFit keeps labels inside their slot", () => {
  assert.equal(fmtFit(0.5625), "0.562");
  assert.equal(fmtFit(-0.5625), "-0.562");
  assert.equal(fmtFit(12.34567), "12.346");
  assert.equal(fmtFit(-12.34567), "-12.35");
  assert.equal(fmtFit(123.456), "123.46");
  assert.equal(fmtFit(-1234.5), "-1234");  // a tie: to even, as Python
  assert.equal(fmtFit(NaN), "—");
  for (const v of [0.1, -0.9, 9.99, -99.5, 999.9, -999.4]) assert.ok(fmtFit(v).length <= 6, v);
});

test("tr fills placeholders and keeps doubled braces literal", () => {
  const S = { a: "x_{{T−1}} at {t}, {missing}", b: "{name} ({lo}…{hi})" };
  assert.equal(tr(S, "a", { t: 3 }), "x_{T−1} at 3, {missing}");
  assert.equal(tr(S, "b", { name: "f", lo: 0, hi: 1 }), "f (0…1)");
  assert.equal(tr(S, "nokey"), "nokey");
  assert.equal(tr({ c: "{x}" }, "c", { x: "c_{t+1}" }), "c_{t+1}");  // an argument's braces are not re-read
});

test("small formats", () => {
  assert.equal(esc('<a href="x">&</a>'), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  assert.equal(vecText([0.123, -1], 2), "[0.12, -1.00]");
  assert.equal(vecText([0.123, -1, 2, 3, 4], 8), "[0.12, -1.00, 2.00, 3.00, …]");
  assert.equal(par(-0.5), "(-0.500)");
  assert.equal(par(0.5), "0.500");
  assert.equal(signed(-0.25), "−0.250");
  const m = matrix(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
  assert.equal(m.at(1, 2), 6);
  assert.deepEqual(Array.from(m.row(1)), [4, 5, 6]);
});
