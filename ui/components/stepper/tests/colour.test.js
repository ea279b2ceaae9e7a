import { test } from "node:test";
import assert from "node:assert/strict";
import { colour, range, keyGradient, hexRgb } from "../colour.js";

const pal = { colors: { f: "#d62728", c: "#ff7f0e", g: "#9467bd", h: "#17becf" }, negative: "#404040", sigmoid: ["i", "f", "o"] };

test("sigmoid gates: white at 0, the gate's colour at 1", () => {
  assert.deepEqual(colour("f", 0, 0, 1, pal), [255, 255, 255]);
  assert.deepEqual(colour("f", 1, 0, 1, pal), hexRgb("#d62728"));
  assert.deepEqual(colour("f", 7, 0, 1, pal), hexRgb("#d62728"));  // clipped
  assert.equal(colour("f", NaN, 0, 1, pal), null);  // padding stays blank
});

test("signed quantities: grey below 0, white at 0, colour above", () => {
  assert.deepEqual(colour("c", -2, -2, 2, pal), hexRgb("#404040"));
  assert.deepEqual(colour("c", 0, -2, 2, pal), [255, 255, 255]);
  assert.deepEqual(colour("c", 2, -2, 2, pal), hexRgb("#ff7f0e"));
});

test("ranges", () => {
  assert.deepEqual(range("f", [0.2, 0.3], pal), [0, 1]);
  assert.deepEqual(range("g", [0.2, -0.3], pal), [-1, 1]);
  assert.deepEqual(range("h", [0.2, -0.9], pal), [-1, 1]);
  assert.deepEqual(range("c", [0.5, -3, NaN], pal), [-3, 3]);
  assert.deepEqual(range("c", [0, 0], pal), [-1, 1]);
});

test("the colour key runs from the low colour to the high colour", () => {
  const g = keyGradient("c", -3, 3, pal, 3);
  assert.equal(g, "linear-gradient(to right, rgb(64,64,64) 0.0%, rgb(255,255,255) 50.0%, rgb(255,127,14) 100.0%)");
});
