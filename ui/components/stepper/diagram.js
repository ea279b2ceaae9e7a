// The cell diagram: assets/cell.svg filled once per selection, then updated in place at every step (text,
// stroke widths, gate fill levels, vector squares), so that CSS transitions and the flow animation can show
// what changed. Nothing here waits: the numbers are final the moment `update` returns.

import { colour, css } from "./colour.js";
import { esc, fmtFit, vecText } from "./util.js";

export const PHASE_MS = 170;  // one phase of the flow animation (inputs -> gates -> products -> output)

// the stroke width of a wire that carries a gate's value (a valve: thin when shut, thick when open)
export const strokeFor = (v) => (1 + 5 * Math.min(1, Math.abs(Number.isFinite(v) ? v : 0))).toFixed(2);

// a polyline "x,y x,y ..." -> translate keyframes with offsets proportional to the distance travelled
export function pathKeyframes(points) {
  const pts = points.trim().split(/\s+/).map((p) => p.split(",").map(Number));
  const seg = pts.slice(1).map((p, n) => Math.hypot(p[0] - pts[n][0], p[1] - pts[n][1]));
  const total = seg.reduce((a, b) => a + b, 0) || 1;
  let run = 0;
  return pts.map((p, n) => {
    if (n) run += seg[n - 1];
    return { transform: `translate(${p[0]}px, ${p[1]}px)`, offset: run / total };
  });
}

// the diagram's static text for this selection: `$name` placeholders (the index of the previous state)
export function fillTemplate(svg, sub) {
  return svg.replace(/\$(\w+)/g, (m, k) => (k in sub ? esc(sub[k]) : m));
}

export function makeDiagram(host, svgTemplate, opts) {
  const { prev, aria, pal, proj } = opts;
  host.innerHTML = fillTemplate(svgTemplate, { prev, aria });
  const svg = host.querySelector("svg");
  const texts = [...svg.querySelectorAll("[data-text]")].map((el) => [el, el.dataset.text]);
  const widths = [...svg.querySelectorAll("[data-sw]:not(circle)")].map((el) => [el, el.dataset.sw]);
  const levels = [...svg.querySelectorAll("[data-level]")].map((el) => [el, el.dataset.level]);
  const squares = [...svg.querySelectorAll("[data-sq]")].map((el) => [el.dataset.sq, [...el.querySelectorAll("rect")]]);
  const labelled = [...svg.querySelectorAll("[data-label]")].map((el) => [el, el.dataset.label]);
  const dots = [...svg.querySelectorAll(".flow circle")].map((el) => ({
    el, frames: pathKeyframes(el.dataset.path), phase: Number(el.dataset.phase), span: Number(el.dataset.span || 1) }));
  for (const el of svg.querySelectorAll("[data-label]")) el.setAttribute("role", "img");
  // with a projection h_t is a vector (squares); without, one number of this unit
  svg.querySelector('[data-sq="h"]').style.display = proj ? "" : "none";
  svg.querySelector('[data-text="h_out"]').style.display = proj ? "none" : "";
  svg.querySelector('[data-text="h_full_inner"]').style.display = proj ? "" : "none";
  let running = [];

  return {
    svg,
    // v: this step's numbers (values()), vec: {x, h_prev, h} rows, label(q) -> the aria-label text
    update(v, vec, label) {
      const text = { c_prev: fmtFit(v.c_prev), c: fmtFit(v.c), fc: fmtFit(v.f * v.c_prev), ig: fmtFit(v.i * v.g),
        tanhc: fmtFit(Math.tanh(v.c)), f: fmtFit(v.f), i: fmtFit(v.i), g: fmtFit(v.g), o: fmtFit(v.o),
        h_out: fmtFit(v.h_unit), h_full_inner: fmtFit(v.h_full),
        x_vec: "x = " + vecText(vec.x.row, vec.x.width), h_prev_vec: "h = " + vecText(vec.h_prev.row, vec.h_prev.width),
        h_vec: "h = " + vecText(vec.h.row, vec.h.width) };
      for (const [el, k] of texts) { const s = (text[k] ?? "").replace(/^-/, "−"); if (el.textContent !== s) el.textContent = s; }
      const sw = { f: v.f, i: v.i, o: v.o, fc: v.f, ig: v.i * v.g };
      for (const [el, k] of widths) el.setAttribute("stroke-width", strokeFor(sw[k]));
      for (const [el, k] of levels) {
        const lvl = Math.min(1, Math.abs(Number.isFinite(v[k]) ? v[k] : 0));
        el.style.transform = `scaleY(${lvl.toFixed(3)})`;
        el.classList.toggle("neg", v[k] < 0);
      }
      for (const [k, rects] of squares) {
        const row = vec[k].row;
        let m = 1;
        for (const x of row) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
        rects.forEach((r, n) => {
          const on = n < row.length;
          r.style.display = on ? "" : "none";
          if (on) r.setAttribute("fill", css(colour(k === "x" ? "x" : "h", row[n], -m, m, pal)) || "#eee");
        });
      }
      for (const [el, k] of labelled) el.setAttribute("aria-label", label(k));
    },
    // the flow of this step: the previous step's dots stop where they are, the new ones start at once
    animate() {
      for (const a of running) a.cancel();
      running = dots.map(({ el, frames, phase, span }) => {
        const a = el.animate(frames.map((f, n) => ({ ...f, opacity: n === frames.length - 1 ? 0 : 0.95 })),
          { duration: PHASE_MS * span * 1.4, delay: PHASE_MS * phase, easing: "ease-in-out", fill: "none" });
        return a;
      });
    },
    stop() { for (const a of running) a.cancel(); running = []; },
  };
}
