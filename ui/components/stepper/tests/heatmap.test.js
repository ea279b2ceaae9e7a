import { test } from "node:test";
import assert from "node:assert/strict";
import { ticks, heatLayout, cellAt } from "../heatmap.js";

test("ticks: all when they fit, else evenly spaced with both ends", () => {
  assert.deepEqual(ticks(5, 10), [0, 1, 2, 3, 4]);
  assert.deepEqual(ticks(0, 10), []);
  assert.deepEqual(ticks(1, 3), [0]);
  const t = ticks(200, 12);
  assert.equal(t[0], 0); assert.equal(t[t.length - 1], 199);
  assert.ok(t.length <= 12, t);
  const gaps = t.slice(1).map((x, n) => x - t[n]);
  assert.ok(Math.min(...gaps) >= Math.max(...gaps.slice(0, -1)) / 2, gaps);  // no crowded last tick
});

test("a cell's centre maps back to that cell; outside the plot is null", () => {
  const L = heatLayout(400, 150, 9, 6);
  for (const [t, j] of [[0, 0], [8, 5], [4, 2]]) {
    assert.deepEqual(cellAt(L.x0 + (t + 0.5) * L.cw, L.y0 + (j + 0.5) * L.ch, L), { t, j });
  }
  assert.equal(cellAt(L.x0 - 1, L.y0 + 1, L), null);
  assert.equal(cellAt(L.x0 + 1, L.y0 + L.ph + 1, L), null);
});
