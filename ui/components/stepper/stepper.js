// The LSTM stepper, in the browser: one selection's trace arrives once (float32, base64); every step after that
// is drawn here with no server round trip. This module wires the parts together: the cell diagram (diagram.js),
// the equations (equations.js), the engine's code (code.js), the heatmaps (heatmap.js), the keys (controls.js).
// The step and the unit are reported back (debounced) only so the server can keep them in the URL.
// Plain JS, no library, nothing loaded from outside. ui/figures/stepper.component_files joins the modules.

import { fmt, fmtFit, tr, esc, decode, matrix, vecText, clamp } from "./util.js";
import { renderMarkup, plainMarkup } from "./markup.js";
import { range, keyGradient } from "./colour.js";
import { makeHeatmap, heatImage } from "./heatmap.js";
import { makeDiagram } from "./diagram.js";
import { equationsHtml, GATES } from "./equations.js";
import { codeHtml, lineValues } from "./code.js";
import { stepForKey, keyBelongsElsewhere } from "./controls.js";
import { explainStep } from "./explain.js";
import { lineChart, projBars } from "./charts.js";

const QUANTS = ["f", "i", "g", "o", "c", "h"];
const LINE_ORDER = ["f", "i", "o", "g", "c", "h"];
const REPORT_MS = 400;
// which heatmap a highlighted quantity lights up
const HEAT_OF = { f: "f", i: "i", g: "g", o: "o", c: "c", c_prev: "c", fc: "f", ig: "i", tanhc: "c", h: "h", h_full: "h" };

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  if (!data || !data.view) return;
  const root = parentElement.querySelector(".lstep");
  if (!root) return;
  const V = data.view, S = data.strings, pal = data.palette;
  // same payload as the one already on screen (a rerun of the fragment): keep the step the learner is at
  if (root.__lstep && root.__lstep.id === data.id) return root.__lstep.cleanup;
  if (root.__lstep) root.__lstep.cleanup();

  const $ = (role) => root.querySelector(`[data-role="${role}"]`);
  const A = Object.fromEntries(Object.entries(V.arrays).map(([k, e]) => [k, decode(e)]));
  const T = V.T, H = V.H, P = V.P, order = V.order;
  const back = V.direction === 1;
  const prevIdx = back ? "t+1" : "t−1";
  const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const last = root.__lstepLast && root.__lstepLast.id === data.id ? root.__lstepLast : data.start;
  const state = { k: clamp(last.k | 0, 0, T - 1), unit: clamp(last.unit | 0, 0, H - 1), playing: false, timer: null,
                  report: null, raf: null, hl: null, drawnK: null };
  root.dataset.steps = String(T); root.dataset.id = data.id; root.dataset.direction = String(V.direction);
  const sep = data.lang === "zh" ? "" : " ";  // between sentences: a space in English, none in Chinese
  const labelOf = (t) => (V.labels && V.labels[t] ? V.labels[t] : "");
  const qName = (q) => plainMarkup(tr(S, "stepper.q." + q, { c_prev: `c_{${prevIdx}}`, h_prev: `h_{${prevIdx}}` }));

  // ---------------------------------------------------------------- controls (labels in the page's language)
  const prev = $("prev"), next = $("next"), slider = $("slider"), play = $("play"), speed = $("speed"), unitSel = $("unit");
  const present = $("present");
  prev.setAttribute("aria-label", S["stepper.prev"]); prev.title = S["stepper.prev"] + " (←)";
  next.setAttribute("aria-label", S["stepper.next"]); next.title = S["stepper.next"] + " (→)";
  slider.setAttribute("aria-label", S["stepper.timestep"]); slider.title = S["stepper.timestep_help"];
  slider.max = String(T - 1); slider.disabled = T === 1;
  play.textContent = "▷ " + S["stepper.play"];
  play.setAttribute("aria-label", S["stepper.play"]); play.title = S["stepper.play_help"];
  $("speed-label").textContent = S["stepper.speed"]; speed.setAttribute("aria-label", S["stepper.speed"]);
  $("unit-label").textContent = S["stepper.unit"]; unitSel.setAttribute("aria-label", S["stepper.unit"]);
  $("controls").setAttribute("aria-label", S["stepper.controls"]);
  present.textContent = S["stepper.present"]; present.title = plainMarkup(S["stepper.present_help"]);
  unitSel.innerHTML = Array.from({ length: H }, (_, j) => `<option value="${j}">${j}</option>`).join("");
  $("keys").innerHTML = renderMarkup(S["stepper.keys_list"]);
  root.setAttribute("aria-label", S["stepper.keys_help"]);
  root.tabIndex = -1;

  // ---------------------------------------------------------------- static parts (built once per payload)
  const svgCaption = $("svg-caption");
  const diag = makeDiagram($("diagram"), data.svg, { prev: prevIdx, pal, proj: V.proj,
    aria: plainMarkup(tr(S, "stepper.svg_aria", { prev: prevIdx })) });
  $("eq-title").textContent = S["stepper.eq_title"];
  $("eq-caption").innerHTML = renderMarkup(tr(S, "stepper.eq_parts", { h_prev: `h_{${prevIdx}}` }));
  const code = data.code;
  $("codebox").hidden = !code;
  if (code) {
    $("code-title").innerHTML = renderMarkup(tr(S, "stepper.code_title", { file: code.file, name: code.name }));
    $("code").innerHTML = codeHtml(code);
    $("code-caption").textContent = S["stepper.code_caption"];
  }
  const codeVals = code ? [...$("code").querySelectorAll(".cv")] : [];

  $("heat-title").textContent = S["stepper.heatmaps"];
  const heats = $("heats");
  const hq = (q) => A[q];
  const timeLabel = (t) => labelOf(t) || String(t);
  const axis = { time: S["stepper.axis_time"], unit: S["stepper.axis_unit"] };
  const ranges = Object.fromEntries(QUANTS.map((q) => [q, range(q, hq(q).v, pal)]));
  heats.innerHTML = QUANTS.map((q) => {
    const [lo, hi] = ranges[q];
    const name = tr(S, "stepper.range." + q + (q === "h" && V.proj ? "_proj" : ""), { name: S["stepper.q." + q] });
    return `<figure data-q="${q}" data-heatfig="${q}"><figcaption><span>${esc(name)}</span>` +
      `<span class="lstep-key" title="${esc(S["stepper.key_help"])}"><span>${esc(fmtFit(lo, 6))}</span>` +
      `<i style="background:${keyGradient(q, lo, hi, pal)}"></i><span>${esc(fmtFit(hi, 6))}</span></span></figcaption>` +
      `<canvas data-heat="${q}" tabindex="0" role="img" aria-label="${esc(name + " — " + S["stepper.heat_help"])}"></canvas></figure>`;
  }).join("");
  const heatmaps = Object.fromEntries(QUANTS.map((q) => {
    const [lo, hi] = ranges[q];
    return [q, makeHeatmap(heats.querySelector(`[data-heat="${q}"]`), heatImage(q, hq(q), lo, hi, pal), T, hq(q).cols, timeLabel, axis)];
  }));
  const legend = $("legend");
  const lineNames = { ...Object.fromEntries(QUANTS.map((q) => [q, S["stepper.q." + q]])), ...(V.proj ? { h: S["stepper.q.h_full"] } : {}) };
  legend.innerHTML = LINE_ORDER.map((q) => `<span style="--c:${pal.colors[q]}" data-q="${q === "h" ? "h_full" : q}">${esc(lineNames[q])}</span>`).join("");

  const concat = $("concat");
  let concatMap = null;
  if (V.D === 2) {
    concat.hidden = false;
    $("concat-title").textContent = S["stepper.concat_title"];
    const what = V.last_layer ? S["stepper.concat_output"] : tr(S, "stepper.concat_next", { next: V.layer + 1 });
    $("concat-text").innerHTML = renderMarkup(tr(S, "stepper.concat_text", { p: P, what }));
    const both = new Float32Array(T * 2 * P);
    for (let t = 0; t < T; t++) { both.set(A.h_dir0.row(t), t * 2 * P); both.set(A.h_dir1.row(t), t * 2 * P + P); }
    const m = matrix(both, T, 2 * P), [lo, hi] = range("h", both, pal);
    concatMap = makeHeatmap($("concat-canvas"), heatImage("h", m, lo, hi, pal), T, 2 * P, timeLabel, axis);
  } else concat.hidden = true;
  const proj = $("proj");
  proj.hidden = !V.proj;
  if (V.proj) {
    $("proj-title").textContent = tr(S, "stepper.proj_title", { p: V.proj, h: H });
    $("proj-text").innerHTML = renderMarkup(tr(S, "stepper.proj_text", { p: V.proj, h: H }));
  }

  // ---------------------------------------------------------------- one step's numbers
  function values(t, j) {
    const v = { proj: V.proj };
    for (const q of GATES) v[q] = A[q].at(t, j);
    GATES.forEach((q, n) => { v["pre_" + q] = A.pre.at(t, n * H + j); v["xin_" + q] = A.x_proj.at(t, n * H + j);
                              v["rec_" + q] = v["pre_" + q] - v["xin_" + q]; });
    v.c = A.c.at(t, j); v.c_prev = A.c_prev.at(t, j); v.h_full = A.h_full.at(t, j);
    v.h_unit = V.proj ? v.h_full : A.h.at(t, j);
    v.fc = v.f * v.c_prev; v.ig = v.i * v.g; v.tanhc = Math.tanh(v.c);
    return v;
  }
  const vectors = (t) => ({ x: { row: A.x.row(t), width: V.input_width }, h_prev: { row: A.h_prev.row(t), width: P },
                            h: { row: A.h.row(t), width: P } });
  // a quantity's value as text (the tooltip's and the screen reader's)
  function valueText(q, v, t) {
    if (q === "x") return vecText(A.x.row(t), V.input_width);
    if (q === "h_prev") return vecText(A.h_prev.row(t), P);
    if (q === "h") return V.proj ? vecText(A.h.row(t), P) : fmt(v.h_unit);
    if (q === "pre") return `[${GATES.map((g) => fmt(v["pre_" + g])).join(", ")}]`;
    return fmt(v[q]);
  }
  const SYMBOL = { fc: `f ⊙ c_${prevIdx}`, ig: "i ⊙ g", tanhc: "tanh(c)", pre: "pre (i, f, g, o)", proj: "W_hr h" };
  const nameOf = (q) => SYMBOL[q] || qName(q);

  const lineSeries = LINE_ORDER.map((q) => [q, (q === "h" && V.proj) ? A.h_full : A[q]]);
  const drawLines = (t, j) => lineChart($("lines"), lineSeries, T, t, j, pal, labelOf, state.hl ? HEAT_OF[state.hl] : null);
  const drawProj = (t) => projBars($("proj-canvas"), A.h_full.row(t), A.h.row(t), pal,
                                  [S["stepper.proj_before"], S["stepper.proj_after"]]);

  function drawHeats(t, j, tf, tb) {
    for (const q of QUANTS) {
      const rows = hq(q).cols;
      heatmaps[q].draw([[t, 0, 1, false]], j < rows ? j : null, state.hl !== null && HEAT_OF[state.hl] === q);
    }
    if (concatMap) concatMap.draw([[tf, 0, 0.5, false], [tb, 0.5, 1, true]], null, false);
  }

  let current = null;  // this step's numbers (tooltips read them)
  function draw() {
    const began = performance.now();
    state.raf = null;
    for (const canvas of root.querySelectorAll("canvas")) canvas.__cssWidth = canvas.clientWidth;  // reads first
    const k = state.k, j = state.unit, t = order[k];
    const valid = V.valid[t];
    const token = labelOf(t) ? ` «${labelOf(t)}»` : "";
    $("where").innerHTML = renderMarkup(tr(S, "stepper.where", { k, t, token, layer: V.layer, direction: S["stepper.dir" + V.direction], b: V.b, unit: j }));
    const tf = k, tb = T - 1 - k;
    $("cursors").textContent = V.D === 2 ? tr(S, "stepper.cursors", { tf, tb }) : "";
    slider.value = String(k); slider.setAttribute("aria-valuetext", `${k} (t = ${t})`);
    unitSel.value = String(j);
    root.dataset.k = String(k); root.dataset.t = String(t); root.dataset.unit = String(j);
    const v = values(t, j);
    current = { v, t, j };
    svgCaption.innerHTML = renderMarkup(tr(S, "stepper.svg_caption", { t, unit: j, layer: V.layer, direction: S["stepper.dir" + V.direction], prev: prevIdx }) +
      (V.proj ? sep + tr(S, "stepper.svg_proj", { p: V.proj }) : "") + (back ? sep + S["stepper.svg_back"] : ""));
    diag.update(v, vectors(t), (q) => `${nameOf(q)} = ${valueText(q, v, t)}`);
    root.classList.toggle("lstep--padding", !valid);
    const ex = $("explain");
    if (!valid) {
      $("equations").innerHTML = "";
      ex.innerHTML = renderMarkup(tr(S, "stepper.ex.padding", { t })); ex.classList.add("padding");
      for (const el of codeVals) el.textContent = "";
    } else {
      $("equations").innerHTML = equationsHtml(v, prevIdx, V.proj ? { row: Array.from(A.h.row(t)), size: V.proj } : null);
      const first = k === 0 || (back && t === V.length - 1);
      ex.innerHTML = renderMarkup(explainStep(S, v, { unit: j, t, first, prev: prevIdx, sep })); ex.classList.remove("padding");
      if (code) {
        const lv = lineValues(code, v, A.h.row(t));
        for (const el of codeVals) { const s = lv[el.dataset.line] || ""; if (el.textContent !== s) el.textContent = s.replace(/-(?=\d)/g, "−"); }
      }
    }
    if (state.hl) light(state.hl);
    drawHeats(t, j, tf, tb);
    $("lines-title").textContent = tr(S, "stepper.lines", { unit: j });
    $("lines").setAttribute("aria-label", $("lines-title").textContent);  // the chart's text alternative
    drawLines(t, j);
    if (V.D === 2) {
      const row = (arr) => { const r = Array.from(arr.row(t).slice(0, 3)).map((x) => fmt(x)); return r.join(", ") + (P > 3 ? ", …" : ""); };
      const lhs = V.last_layer ? `output[${t}]` : `x<sup>(${V.layer + 1})</sup><sub>${t}</sub>`;
      $("concat-eq").innerHTML = `${lhs} = [h→<sub>${t}</sub> ; h←<sub>${t}</sub>] = [${row(A.h_dir0)} | ${row(A.h_dir1)}]`;
      $("concat-pending").textContent = (t <= tf && t >= tb) ? "" : tr(S, "stepper.concat_pending", { t });
    }
    if (V.proj) drawProj(t);
    if (state.drawnK !== null && state.drawnK !== k && valid && !reduced) animateStep();
    state.drawnK = k;
    root.dataset.drawn = String((Number(root.dataset.drawn) || 0) + 1);
    root.dataset.drawMs = (performance.now() - began).toFixed(2);  // read by benchmarks.browser
  }

  // ---------------------------------------------------------------- motion: what changes on a step
  let codeAnims = [];
  function animateStep() {
    diag.animate();
    for (const a of codeAnims) a.cancel();
    codeAnims = [];
    if (!code) return;
    const lines = Object.values(code.values).sort((a, b) => a - b);
    lines.forEach((n, idx) => {
      const el = codeVals[n];
      if (!el || !el.animate) return;
      codeAnims.push(el.animate([{ backgroundColor: "rgba(255, 214, 0, 0.75)" }, { backgroundColor: "rgba(255, 214, 0, 0)" }],
        { duration: 500, delay: idx * 90, fill: "none" }));
    });
  }

  // ---------------------------------------------------------------- linked views: one quantity lit everywhere
  const tip = $("tip");
  function light(q) {
    for (const el of root.querySelectorAll(".hl")) el.classList.remove("hl");
    if (!q) return;
    for (const el of root.querySelectorAll(`[data-q~="${q}"], [data-q2~="${q}"]`)) el.classList.add("hl");
    const heat = HEAT_OF[q];
    if (heat) root.querySelector(`[data-heatfig="${heat}"]`)?.classList.add("hl");
  }
  function highlight(q) {
    if (q === state.hl) return;
    state.hl = q; root.dataset.hl = q || "";
    light(q);
    if (current) { drawHeats(current.t, current.j, state.k, T - 1 - state.k); drawLines(current.t, current.j); }
  }
  function showTip(text, x, y) {  // above the point, so that it never hides the value it names
    tip.textContent = text; tip.hidden = false;
    const box = root.getBoundingClientRect();
    tip.style.left = `${clamp(x - box.left - 20, 0, Math.max(0, box.width - tip.offsetWidth))}px`;
    tip.style.top = `${Math.max(0, y - box.top - tip.offsetHeight - 14)}px`;
  }
  function hideTip() { tip.hidden = true; }
  function tipFor(q) {
    if (!current) return "";
    return `${nameOf(q)} = ${valueText(q, current.v, current.t).replace(/-(?=\d)/g, "−")} · ${tr(S, "stepper.tip_where", { t: current.t, unit: current.j })}`;
  }
  const quantityAt = (el) => { const host = el && el.closest ? el.closest("[data-q]") : null;
    return host && root.contains(host) && !host.matches("canvas") ? host.dataset.q.split(" ")[0] : null; };

  // ---------------------------------------------------------------- stepping
  function remember() { root.__lstepLast = { id: data.id, k: state.k, unit: state.unit }; }
  function schedule() { if (state.raf === null) state.raf = requestAnimationFrame(draw); }
  function report() {
    clearTimeout(state.report);
    state.report = setTimeout(() => setStateValue("view", { timestep: state.k, unit: state.unit }), REPORT_MS);
  }
  function go(k) {  // every press counts: the state moves now, the drawing follows in the next frame
    const kk = clamp(k, 0, T - 1);
    if (kk === state.k) return;
    state.k = kk; remember(); schedule(); report();
  }
  function setUnit(j) { const jj = clamp(j, 0, H - 1); if (jj === state.unit) return; state.unit = jj; remember(); schedule(); report(); }
  function setPlaying(on) {
    state.playing = on; clearInterval(state.timer);
    play.textContent = on ? "❚❚ " + S["stepper.pause"] : "▷ " + S["stepper.play"]; play.setAttribute("aria-pressed", String(on));
    play.setAttribute("aria-label", S[on ? "stepper.pause" : "stepper.play"]);
    if (on) state.timer = setInterval(() => go(state.k + 1 >= T ? 0 : state.k + 1), Number(speed.value));
  }
  const eqbox = root.querySelector(".lstep-eqbox"), work = root.querySelector(".lstep-work"), side = root.querySelector(".lstep-side");
  function setPresent(on) {
    root.classList.toggle("lstep--present", on);
    // on a projector the equations sit beside the cell, under the explanation
    if (on) side.appendChild(eqbox); else work.insertBefore(eqbox, work.firstChild);
    present.setAttribute("aria-pressed", String(on));
    present.textContent = on ? "✕ " + S["stepper.present_exit"] : S["stepper.present"];
    const doc = root.ownerDocument;
    if (on && root.requestFullscreen && !doc.fullscreenElement) root.requestFullscreen().catch(() => {});
    if (!on && doc.fullscreenElement === root) doc.exitFullscreen().catch(() => {});
    schedule();
  }

  const ac = new AbortController(), sig = { signal: ac.signal };
  prev.addEventListener("click", () => go(state.k - 1), sig);
  next.addEventListener("click", () => go(state.k + 1), sig);
  slider.addEventListener("input", () => go(Number(slider.value)), sig);
  play.addEventListener("click", () => setPlaying(!state.playing), sig);
  speed.addEventListener("change", () => { if (state.playing) setPlaying(true); }, sig);
  unitSel.addEventListener("change", () => setUnit(Number(unitSel.value)), sig);
  present.addEventListener("click", () => setPresent(!root.classList.contains("lstep--present")), sig);
  const doc = root.ownerDocument, win = doc.defaultView;
  // the keys work anywhere on the page as soon as the stepper is drawn, unless something else wants them
  doc.addEventListener("keydown", (e) => {
    if (!root.isConnected) return;
    if (e.key === "Escape" && root.classList.contains("lstep--present")) { setPresent(false); return; }
    // data.keys: true (the page's keys step it), "focus" (only keys pressed inside it: a notebook with several
    // widgets), false (none)
    if (data.keys === false || keyBelongsElsewhere(e, root) || (data.keys === "focus" && !root.contains(e.target))) return;
    const to = stepForKey(e.key, state.k, T);
    if (to === undefined) return;
    e.preventDefault(); go(to);
  }, sig);
  doc.addEventListener("fullscreenchange", () => {
    if (doc.fullscreenElement !== root && root.classList.contains("lstep--present") && root.__wasFull) setPresent(false);
    root.__wasFull = doc.fullscreenElement === root;
  }, sig);
  root.addEventListener("pointerover", (e) => {  // the tip sits above the element it names (or the pointer)
    const q = quantityAt(e.target);
    if (!q) return;
    highlight(q);
    const host = e.target.closest("[data-q]"), r = host.getBoundingClientRect();
    showTip(tipFor(q), r.height < 120 ? r.left + 10 : e.clientX, r.height < 120 ? r.top : e.clientY);
  }, sig);
  root.addEventListener("pointerout", (e) => { if (quantityAt(e.target) && !quantityAt(e.relatedTarget)) { highlight(null); hideTip(); } }, sig);
  root.addEventListener("focusin", (e) => { const q = quantityAt(e.target); if (q) { highlight(q); const r = e.target.getBoundingClientRect(); showTip(tipFor(q), r.left, r.top); } }, sig);
  root.addEventListener("focusout", (e) => { if (!quantityAt(e.relatedTarget)) { highlight(null); hideTip(); } }, sig);
  // heatmaps: hover names the cell, a click (or Enter on the focused map) goes to that step and unit
  function heatEvent(e) {
    const canvas = e.target.closest && e.target.closest("canvas[data-heat]");
    if (!canvas) return null;
    const q = canvas.dataset.heat, r = canvas.getBoundingClientRect(), cell = heatmaps[q].hit(e.clientX - r.left, e.clientY - r.top);
    return cell ? { q, ...cell } : null;
  }
  heats.addEventListener("pointermove", (e) => {
    const c = heatEvent(e);
    if (!c) { hideTip(); return; }
    highlight(c.q);
    const token = labelOf(c.t) ? ` «${labelOf(c.t)}»` : "";
    showTip(tr(S, "stepper.tip_cell", { name: S["stepper.q." + c.q], t: c.t, token, unit: c.j, value: fmt(hq(c.q).at(c.t, c.j)) }), e.clientX, e.clientY);
  }, sig);
  heats.addEventListener("pointerleave", () => { highlight(null); hideTip(); }, sig);
  heats.addEventListener("click", (e) => {
    const c = heatEvent(e);
    if (!c) return;
    const k = order.indexOf(c.t);
    if (c.j < H) setUnit(c.j);
    go(k);
  }, sig);
  heats.addEventListener("keydown", (e) => {  // a focused heatmap: ↑/↓ choose the unit (←/→ step, as everywhere)
    if (!e.target.matches("canvas[data-heat]")) return;
    const d = { ArrowUp: -1, ArrowDown: 1 }[e.key];
    if (d) { e.preventDefault(); setUnit(state.unit + d); }
  }, sig);
  for (const canvas of heats.querySelectorAll("canvas")) canvas.addEventListener("focus", () => highlight(canvas.dataset.heat), sig);
  let resizeTimer = null;
  win.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(schedule, 150); }, sig);

  const cleanup = () => {
    ac.abort(); clearInterval(state.timer); clearTimeout(state.report); clearTimeout(resizeTimer);
    if (state.raf !== null) cancelAnimationFrame(state.raf);
    diag.stop(); for (const a of codeAnims) a.cancel();
    root.classList.remove("lstep--present");
    if (eqbox.parentElement !== work) work.insertBefore(eqbox, work.firstChild);
    root.__lstep = null;
  };
  root.__lstep = { id: data.id, cleanup, go: (k) => go(k), state };
  draw();
  return cleanup;
}
