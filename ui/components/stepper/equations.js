// The six equations of this step on a grid: the symbolic form, then the same with this step's numbers. Each
// side is one unbreakable piece (no wrap inside an expression); narrow panels put the numbers under the symbols.

import { fmt, par } from "./util.js";

export const GATES = ["i", "f", "g", "o"];
const FN = { i: "σ", f: "σ", g: "tanh", o: "σ" };

// a quantity with its time index: sym("c", "t−1") -> c<sub>t−1</sub>
export const sym = (q, t) => `<i>${q}</i><sub>${t}</sub>`;

// the numeric side in unbreakable pieces: a narrow panel may start a new line only before an "="
const chunks = (...parts) => parts.map((p) => `<span class="chunk">${p}</span>`).join(" ");

function row(q, lhs, rhs, extra = "") {
  return `<div class="eq" data-eq="${q}" data-q="${q}" tabindex="0"${extra}><span class="eq-sym">${lhs}</span>` +
    `<span class="eq-num">${rhs}</span></div>`;
}

// v: this step's numbers (see stepper.js values()); prev: "t−1" forward, "t+1" backward; names: x/h captions
export function equationsHtml(v, prev, proj) {
  const rows = GATES.map((q) => row(q,
    `${sym(q, "t")} = ${FN[q]}(W<sub>i${q}</sub>${sym("x", "t")} + b<sub>i${q}</sub> + W<sub>h${q}</sub>${sym("h", prev)} + b<sub>h${q}</sub>)`,
    chunks(`= ${FN[q]}(<span class="share" data-part="x" data-q="x"><span class="num">${fmt(v["xin_" + q])}</span><small>x<sub>t</sub></small></span>` +
      ` + <span class="share" data-part="h" data-q="h_prev"><span class="num">${par(v["rec_" + q])}</span><small>h<sub>${prev}</sub></small></span>)`,
      `= ${FN[q]}(${fmt(v["pre_" + q])})`, `= <span class="val">${fmt(v[q])}</span>`)));
  rows.push(row("c", `${sym("c", "t")} = ${sym("f", "t")} ⊙ ${sym("c", prev)} + ${sym("i", "t")} ⊙ ${sym("g", "t")}`,
    chunks(`= ${par(v.f)} × ${par(v.c_prev)} + ${par(v.i)} × ${par(v.g)}`, `= <span class="val">${fmt(v.c)}</span>`)));
  rows.push(row("h", `${sym("h", "t")} = ${sym("o", "t")} ⊙ tanh(${sym("c", "t")})`,
    chunks(`= ${par(v.o)} × tanh(${fmt(v.c)})`, `= <span class="val">${fmt(v.h_full)}</span>`), ' data-q2="h_full"'));
  if (proj) {
    const r = proj.row.slice(0, 6).map((x) => fmt(x));
    rows.push(row("proj", `${sym("h", "t")} ← W<sub>hr</sub> ${sym("h", "t")}`,
      `= [${r.join(", ")}${proj.row.length > 6 ? ", …" : ""}] <small>(proj_size = ${proj.size})</small>`));
  }
  return rows.join("");
}
