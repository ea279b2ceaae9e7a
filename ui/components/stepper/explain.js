// The step in words: what the forget gate kept, what the input gate wrote, what the output gate showed.

import { fmt, signed, tr } from "./util.js";

// how open a gate is, in words (the catalog has one sentence per band)
export const band = (x) => (x >= 0.8 ? "high" : x <= 0.2 ? "low" : "mid");

// S: the catalog; v: this step's numbers; at: {unit, t, first, prev ("t−1" | "t+1"), sep (between sentences)}
export function explainStep(S, v, at) {
  const { f, i, g, o, c, c_prev: cp, h_full: h } = v;
  if (![f, i, g, o, c].every(Number.isFinite)) return null;
  const parts = [];
  if (at.first) parts.push(tr(S, "stepper.ex.first", { t: at.t }));
  parts.push(tr(S, "stepper.ex.f_" + (cp === 0 ? "empty" : band(f)), { f: fmt(f), unit: at.unit, pct: Math.round(100 * f),
    c_prev: fmt(cp), kept: fmt(f * cp), c_name: `c_{${at.prev}}` }));
  parts.push(tr(S, "stepper.ex.i_" + band(i), { i: fmt(i), g: fmt(g), ig: signed(i * g),
    direction: S[g >= 0 ? "stepper.ex.up" : "stepper.ex.down"] }));
  parts.push(tr(S, "stepper.ex.c_change", { c_prev: fmt(cp), c: fmt(c), delta: signed(c - cp) }));
  parts.push(tr(S, "stepper.ex.o_" + band(o), { o: fmt(o), h: fmt(h), tanh_c: fmt(Math.tanh(c)) }));
  if (Math.abs(c) > 2) parts.push(tr(S, "stepper.ex.c_big", { c: fmt(c) }));
  return parts.join(at.sep);
}
