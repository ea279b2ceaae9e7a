// The LSTM stepper, in the browser: one selection's trace arrives once (float32, base64); every step after that
// is drawn here — cursor on the heatmaps and the unit's lines, the cell diagram, the six equations, the
// explanation, output[t] for two directions, the projection — with no server round trip.
// The step and the unit are reported back (debounced) only so the server can keep them in the URL.
// Plain JS, no library, nothing loaded from outside.

const QUANTS = ["f", "i", "g", "o", "c", "h"];
const LINE_ORDER = ["f", "i", "o", "g", "c", "h"];
const GATES = ["i", "f", "g", "o"];
const REPORT_MS = 400;

function decode(entry) {
  const bin = atob(entry.b64);
  const bytes = new Uint8Array(bin.length);
  for (let n = 0; n < bin.length; n++) bytes[n] = bin.charCodeAt(n);
  const [rows, cols] = entry.shape.length === 2 ? entry.shape : [entry.shape[0], 1];
  return { v: new Float32Array(bytes.buffer), rows, cols, at(t, j) { return this.v[t * this.cols + j]; },
           row(t) { return this.v.subarray(t * this.cols, (t + 1) * this.cols); } };
}

export function fmt(v, nd = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const s = Number(v).toFixed(nd);
  return s === "-" + (0).toFixed(nd) ? (0).toFixed(nd) : s;  // the same text as ui/figures/stepper.fmt
}
const par = (v) => { const s = fmt(v); return s.startsWith("-") ? `(${s})` : s; };
const signed = (v) => (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(3);

function tr(strings, key, args = {}) {
  const s = strings[key] ?? key;
  return s.replace(/\{\{/g, "\u0001").replace(/\}\}/g, "\u0002")
    .replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m))
    .replace(/\u0001/g, "{").replace(/\u0002/g, "}");
}
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const md = (s) => esc(s).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/`(.+?)`/g, "<code>$1</code>");

function hexRgb(h) { return [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)); }
function mix(a, b, w) { return a.map((x, n) => Math.round(x + (b[n] - x) * w)); }

// colour of value v on the quantity's scale (ui/palette.py: white->colour for gates, grey-white-colour signed)
function colour(q, v, lo, hi, pal) {
  if (!Number.isFinite(v)) return null;
  const top = hexRgb(pal.colors[q]);
  if (pal.sigmoid.includes(q)) return mix([255, 255, 255], top, Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
  const w = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
  return w < 0.5 ? mix(hexRgb(pal.negative), [255, 255, 255], w / 0.5) : mix([255, 255, 255], top, (w - 0.5) / 0.5);
}

function range(q, arr, pal) {
  if (pal.sigmoid.includes(q)) return [0, 1];
  let m = 0;
  for (const x of arr.v) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  if (q === "g" || (q === "h" && m <= 1)) return [-1, 1];
  m = Math.max(m || 1, 1e-6);
  return [-m, m];
}

// an offscreen canvas with the whole (time x units) map, one pixel per cell; NaN (padding) stays blank
function heatImage(q, arr, pal) {
  const [lo, hi] = range(q, arr, pal);
  const cv = document.createElement("canvas");
  cv.width = arr.rows; cv.height = arr.cols;
  const ctx = cv.getContext("2d");
  const img = ctx.createImageData(arr.rows, arr.cols);
  for (let t = 0; t < arr.rows; t++) for (let j = 0; j < arr.cols; j++) {
    const c = colour(q, arr.at(t, j), lo, hi, pal);
    const p = 4 * (j * arr.rows + t);
    if (c) { img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255; }
  }
  ctx.putImageData(img, 0, 0);
  return { cv, lo, hi };
}

function setupCanvas(canvas, cssHeight) {
  // The backing store is reallocated only when the size changes (a resize per step cost several ms per
  // canvas at the largest view); the width is the one `draw` read before it wrote to the DOM (no reflow).
  const w = Math.max(200, canvas.__cssWidth || canvas.clientWidth || 600);
  const dpr = window.devicePixelRatio || 1;
  const W = Math.round(w * dpr), H = Math.round(cssHeight * dpr);
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W; canvas.height = H;
    canvas.style.height = cssHeight + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h: cssHeight };
}

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
  const hq = (q) => A[q === "h" ? "h" : q];
  // where to start: the last step shown for this payload (the component was re-created), else the URL's
  const last = root.__lstepLast && root.__lstepLast.id === data.id ? root.__lstepLast : data.start;
  const state = { k: Math.min(Math.max(last.k | 0, 0), T - 1), unit: Math.min(Math.max(last.unit | 0, 0), H - 1),
                  playing: false, timer: null, report: null, raf: null };
  root.dataset.steps = String(T); root.dataset.id = data.id;

  // ---------------------------------------------------------------- controls (labels in the page's language)
  const prev = $("prev"), next = $("next"), slider = $("slider"), play = $("play"), speed = $("speed"), unitSel = $("unit");
  prev.setAttribute("aria-label", S["stepper.prev"]); prev.title = S["stepper.prev"];
  next.setAttribute("aria-label", S["stepper.next"]); next.title = S["stepper.next"];
  slider.setAttribute("aria-label", S["stepper.timestep"]); slider.title = S["stepper.timestep_help"];
  slider.max = String(T - 1); slider.disabled = T === 1;
  play.textContent = "▷ " + S["stepper.play"];
  play.setAttribute("aria-label", S["stepper.play"]); play.title = S["stepper.play_help"];
  $("speed-label").textContent = S["stepper.speed"]; speed.setAttribute("aria-label", S["stepper.speed"]);
  $("unit-label").textContent = S["stepper.unit"]; unitSel.setAttribute("aria-label", S["stepper.unit"]);
  $("controls").setAttribute("aria-label", S["stepper.controls"]);
  unitSel.innerHTML = Array.from({ length: H }, (_, j) => `<option value="${j}">${j}</option>`).join("");
  root.setAttribute("aria-label", S["stepper.keys_help"]);
  root.tabIndex = 0;

  // ---------------------------------------------------------------- static pictures (built once per payload)
  $("heat-title").textContent = S["stepper.heatmaps"];
  const heats = $("heats");
  heats.innerHTML = QUANTS.map((q) => `<figure><figcaption>${esc(tr(S, "stepper.range." + q + (q === "h" && V.proj ? "_proj" : ""), { name: S["stepper.q." + q] }))}</figcaption>` +
    `<canvas data-heat="${q}" role="img" aria-label="${esc(S["stepper.q." + q])}"></canvas></figure>`).join("");
  const images = Object.fromEntries(QUANTS.map((q) => [q, heatImage(q, hq(q), pal)]));
  const legend = $("legend");
  const lineNames = { ...Object.fromEntries(QUANTS.map((q) => [q, S["stepper.q." + q]])), ...(V.proj ? { h: S["stepper.q.h_full"] } : {}) };
  legend.innerHTML = LINE_ORDER.map((q) => `<span style="--c:${pal.colors[q]}">${esc(lineNames[q])}</span>`).join("");

  const concat = $("concat");
  let concatImg = null;
  if (V.D === 2) {
    concat.hidden = false;
    $("concat-title").textContent = S["stepper.concat_title"];
    const what = V.last_layer ? S["stepper.concat_output"] : tr(S, "stepper.concat_next", { next: V.layer + 1 });
    $("concat-text").innerHTML = md(tr(S, "stepper.concat_text", { p: P, what }));
    const both = new Float32Array(T * 2 * P);
    for (let t = 0; t < T; t++) { both.set(A.h_dir0.row(t), t * 2 * P); both.set(A.h_dir1.row(t), t * 2 * P + P); }
    concatImg = heatImage("h", { v: both, rows: T, cols: 2 * P, at(t, j) { return both[t * 2 * P + j]; } }, pal);
  } else concat.hidden = true;
  const proj = $("proj");
  proj.hidden = !V.proj;
  if (V.proj) {
    $("proj-title").textContent = tr(S, "stepper.proj_title", { p: V.proj, h: H });
    $("proj-text").innerHTML = md(tr(S, "stepper.proj_text", { p: V.proj, h: H }));
  }
  $("eq-caption").textContent = S["stepper.eq_parts"];

  // ---------------------------------------------------------------- one step
  const labelOf = (t) => (V.labels && V.labels[t] ? V.labels[t] : "");
  function values(t, j) {
    const v = {};
    for (const q of GATES) v[q] = A[q].at(t, j);
    GATES.forEach((q, n) => { v["pre_" + q] = A.pre.at(t, n * H + j); v["xin_" + q] = A.x_proj.at(t, n * H + j);
                              v["rec_" + q] = v["pre_" + q] - v["xin_" + q]; });
    v.c = A.c.at(t, j); v.c_prev = A.c_prev.at(t, j); v.h_full = A.h_full.at(t, j);
    v.h_unit = V.proj ? v.h_full : A.h.at(t, j);
    return v;
  }
  const vec = (arr, t, width) => {
    const r = Array.from(arr.row(t)).map((x) => fmt(x, 2));
    return `[${r.join(", ")}${width > r.length ? ", …" : ""}]`;
  };

  function diagram(v, t, j) {
    const op = (x) => (Number.isFinite(x) ? Math.min(1, Math.abs(x)) : 0);
    const sub = { caption: tr(S, "stepper.svg_caption", { t, unit: j, layer: V.layer, direction: S["stepper.dir" + V.direction] }),
                  proj_note: V.proj ? tr(S, "stepper.svg_proj", { p: V.proj }) : "" };
    for (const q of GATES) {
      sub["v_" + q] = fmt(v[q]); sub["op_" + q] = (0.08 + 0.85 * op(v[q])).toFixed(3);
      sub["w_" + q] = (56 * op(v[q])).toFixed(1); sub["sw_" + q] = (1 + 5 * op(v[q])).toFixed(2);
    }
    Object.assign(sub, { v_c_prev: fmt(v.c_prev), v_c: fmt(v.c), v_fc: fmt(v.f * v.c_prev), v_ig: fmt(v.i * v.g),
      sw_fc: (1 + 5 * op(v.f)).toFixed(2), sw_ig: (1 + 5 * op(v.i * v.g)).toFixed(2), v_tanhc: fmt(Math.tanh(v.c)),
      v_h: fmt(v.h_unit), v_h_prev: vec(A.h_prev, t, P), v_x: vec(A.x, t, V.input_width) });
    return data.svg.replace(/\$(\w+)/g, (m, k) => (k in sub ? esc(sub[k]) : m));
  }

  function equations(v, t) {
    const fn = { i: "σ", f: "σ", g: "tanh", o: "σ" };
    const rows = GATES.map((q) =>
      `<p class="lstep-eq" data-eq="${q}"><i>${q}</i><sub>t</sub> = ${fn[q]}(W<sub>i${q}</sub>x<sub>t</sub> + b<sub>i${q}</sub> + ` +
      `W<sub>h${q}</sub>h<sub>t−1</sub> + b<sub>h${q}</sub>) = ${fn[q]}(<span class="share" data-part="x">` +
      `<span class="num">${fmt(v["xin_" + q])}</span><small>x<sub>t</sub></small></span> + <span class="share" data-part="h">` +
      `<span class="num">${par(v["rec_" + q])}</span><small>h<sub>t−1</sub></small></span>) = ${fn[q]}(${fmt(v["pre_" + q])}) = ` +
      `<span class="val">${fmt(v[q])}</span></p>`);
    rows.push(`<p class="lstep-eq" data-eq="c"><i>c</i><sub>t</sub> = f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub> = ` +
      `${par(v.f)} × ${par(v.c_prev)} + ${par(v.i)} × ${par(v.g)} = <span class="val">${fmt(v.c)}</span></p>`);
    rows.push(`<p class="lstep-eq" data-eq="h"><i>h</i><sub>t</sub> = o<sub>t</sub> ⊙ tanh(c<sub>t</sub>) = ${par(v.o)} × tanh(${fmt(v.c)}) = ` +
      `<span class="val">${fmt(v.h_full)}</span></p>`);
    if (V.proj) {
      const r = Array.from(A.h.row(t).slice(0, 6)).map((x) => fmt(x));
      rows.push(`<p class="lstep-eq" data-eq="proj"><i>h</i><sub>t</sub> ← W<sub>hr</sub> h<sub>t</sub> = [${r.join(", ")}${P > 6 ? ", …" : ""}]` +
        ` (proj_size = ${V.proj})</p>`);
    }
    return rows.join("");
  }

  function explain(v, j, t, first) {
    const { f, i, g, o, c, c_prev: cp, h_full: h } = v;
    if (![f, i, g, o, c].every(Number.isFinite)) return null;
    const parts = [];
    if (first) parts.push(tr(S, "stepper.ex.first", { t }));
    let band = cp === 0 ? "empty" : f >= 0.8 ? "high" : f <= 0.2 ? "low" : "mid";
    parts.push(tr(S, "stepper.ex.f_" + band, { f: fmt(f), unit: j, pct: Math.round(100 * f), c_prev: fmt(cp), kept: fmt(f * cp) }));
    band = i >= 0.8 ? "high" : i <= 0.2 ? "low" : "mid";
    parts.push(tr(S, "stepper.ex.i_" + band, { i: fmt(i), g: fmt(g), ig: signed(i * g), direction: S[g >= 0 ? "stepper.ex.up" : "stepper.ex.down"] }));
    parts.push(tr(S, "stepper.ex.c_change", { c_prev: fmt(cp), c: fmt(c), delta: signed(c - cp) }));
    band = o >= 0.8 ? "high" : o <= 0.2 ? "low" : "mid";
    parts.push(tr(S, "stepper.ex.o_" + band, { o: fmt(o), h: fmt(h), tanh_c: fmt(Math.tanh(c)) }));
    if (Math.abs(c) > 2) parts.push(tr(S, "stepper.ex.c_big", { c: fmt(c) }));
    return parts.join(" ");
  }

  function drawHeat(canvas, img, cursors, unit, rows) {
    const { ctx, w, h } = setupCanvas(canvas, Math.min(180, Math.max(60, rows * 6)));
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#fafafa"; ctx.fillRect(0, 0, w, h);
    ctx.drawImage(img.cv, 0, 0, w, h);
    const cw = w / T;
    ctx.lineWidth = 2;
    for (const [t, y0, y1, dash] of cursors) {
      ctx.strokeStyle = "#111"; ctx.setLineDash(dash ? [4, 3] : []);
      ctx.beginPath(); ctx.moveTo((t + 0.5) * cw, y0 * h); ctx.lineTo((t + 0.5) * cw, y1 * h); ctx.stroke();
      if (unit !== null) { ctx.setLineDash([]); ctx.strokeRect(t * cw, unit * h / rows, cw, h / rows); }
    }
    ctx.setLineDash([]);
  }

  function drawLines(t, j) {
    const canvas = $("lines");
    const { ctx, w, h } = setupCanvas(canvas, 220);
    const series = LINE_ORDER.map((q) => [q, (q === "h" && V.proj) ? A.h_full : A[q]]);
    let lo = -1, hi = 1;
    for (const [, arr] of series) for (let s = 0; s < T; s++) { const x = arr.at(s, j); if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } }
    const pad = 24, X = (s) => pad + (w - 2 * pad) * (T === 1 ? 0.5 : s / (T - 1)), Y = (x) => 8 + (h - 24) * (1 - (x - lo) / (hi - lo));
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(pad, Y(0)); ctx.lineTo(w - pad, Y(0)); ctx.stroke();
    ctx.fillStyle = "#666"; ctx.font = "11px sans-serif";
    ctx.fillText(hi.toFixed(1), 0, 14); ctx.fillText(lo.toFixed(1), 0, h - 18); ctx.fillText("0", 8, Y(0) + 4);
    for (const [q, arr] of series) {
      ctx.strokeStyle = pal.colors[q]; ctx.lineWidth = 2; ctx.beginPath();
      let on = false;
      for (let s = 0; s < T; s++) { const x = arr.at(s, j); if (!Number.isFinite(x)) { on = false; continue; }
        if (on) ctx.lineTo(X(s), Y(x)); else ctx.moveTo(X(s), Y(x)); on = true; }
      ctx.stroke();
    }
    ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(X(t), 4); ctx.lineTo(X(t), h - 16); ctx.stroke();
    for (const [q, arr] of series) { const x = arr.at(t, j); if (!Number.isFinite(x)) continue;
      ctx.fillStyle = pal.colors[q]; ctx.beginPath(); ctx.arc(X(t), Y(x), 4, 0, 2 * Math.PI); ctx.fill(); }
    ctx.fillStyle = "#666";
    const every = Math.max(1, Math.ceil(T / 12));
    for (let s = 0; s < T; s += every) ctx.fillText(labelOf(s) ? `${s}:${labelOf(s)}` : String(s), X(s) - 4, h - 3);
  }

  function drawProj(t) {
    const { ctx, w, h } = setupCanvas($("proj-canvas"), 160);
    ctx.clearRect(0, 0, w, h);
    const parts = [[A.h_full.row(t), pal.colors.o, S["stepper.proj_before"], 0, 0.6], [A.h.row(t), pal.colors.h, S["stepper.proj_after"], 0.62, 0.38]];
    for (const [row, col, title, x0, frac] of parts) {
      let m = 1e-6; for (const x of row) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
      const left = x0 * w, width = frac * w, bw = width / row.length, mid = 18 + (h - 22) / 2;
      ctx.fillStyle = "#333"; ctx.font = "12px sans-serif"; ctx.fillText(title, left, 12);
      ctx.fillStyle = col;
      row.forEach((x, n) => { if (!Number.isFinite(x)) return; const bh = (x / m) * (h - 26) / 2;
        ctx.fillRect(left + n * bw + 1, bh >= 0 ? mid - bh : mid, Math.max(1, bw - 2), Math.abs(bh)); });
      ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(left, mid); ctx.lineTo(left + width, mid); ctx.stroke();
    }
  }

  function draw() {
    const began = performance.now();
    state.raf = null;
    for (const canvas of root.querySelectorAll("canvas")) canvas.__cssWidth = canvas.clientWidth;  // reads first
    const k = state.k, j = state.unit, t = order[k];
    const valid = V.valid[t];
    const token = labelOf(t) ? ` «${labelOf(t)}»` : "";
    $("where").innerHTML = md(tr(S, "stepper.where", { k, t, token, layer: V.layer, direction: S["stepper.dir" + V.direction], b: V.b, unit: j }));
    const tf = k, tb = T - 1 - k;
    $("cursors").textContent = V.D === 2 ? tr(S, "stepper.cursors", { tf, tb }) : "";
    slider.value = String(k); slider.setAttribute("aria-valuetext", `${k} (t = ${t})`);
    unitSel.value = String(j);
    root.dataset.k = String(k); root.dataset.t = String(t); root.dataset.unit = String(j);
    const v = values(t, j);
    $("diagram").innerHTML = diagram(v, t, j);
    const ex = $("explain");
    if (!valid) {
      $("equations").innerHTML = "";
      ex.textContent = tr(S, "stepper.ex.padding", { t }); ex.classList.add("padding");
    } else {
      $("equations").innerHTML = equations(v, t);
      const first = k === 0 || (V.direction === 1 && t === V.length - 1);
      ex.textContent = explain(v, j, t, first); ex.classList.remove("padding");
    }
    for (const q of QUANTS) {
      const rows = hq(q).cols;
      drawHeat(heats.querySelector(`[data-heat="${q}"]`), images[q], [[t, 0, 1, false]], q === "h" && V.proj ? (j < rows ? j : null) : j, rows);
    }
    $("lines-title").textContent = tr(S, "stepper.lines", { unit: j });
    drawLines(t, j);
    if (V.D === 2) {
      drawHeat($("concat-canvas"), concatImg, [[tf, 0, 0.5, false], [tb, 0.5, 1, true]], null, 2 * P);
      const row = (arr) => { const r = Array.from(arr.row(t).slice(0, 3)).map((x) => fmt(x)); return r.join(", ") + (P > 3 ? ", …" : ""); };
      const lhs = V.last_layer ? `output[${t}]` : `x<sup>(${V.layer + 1})</sup><sub>${t}</sub>`;
      $("concat-eq").innerHTML = `${lhs} = [h→<sub>${t}</sub> ; h←<sub>${t}</sub>] = [${row(A.h_dir0)} | ${row(A.h_dir1)}]`;
      $("concat-pending").textContent = (t <= tf && t >= tb) ? "" : tr(S, "stepper.concat_pending", { t });
    }
    if (V.proj) drawProj(t);
    root.dataset.drawn = String((Number(root.dataset.drawn) || 0) + 1);
    root.dataset.drawMs = (performance.now() - began).toFixed(2);  // read by benchmarks.browser
  }

  function remember() { root.__lstepLast = { id: data.id, k: state.k, unit: state.unit }; }
  function schedule() { if (state.raf === null) state.raf = requestAnimationFrame(draw); }
  function report() {
    clearTimeout(state.report);
    state.report = setTimeout(() => setStateValue("view", { timestep: state.k, unit: state.unit }), REPORT_MS);
  }
  function go(k) {  // every press counts: the state moves now, the drawing follows in the next frame
    const kk = Math.min(Math.max(k, 0), T - 1);
    if (kk === state.k) return;
    state.k = kk; remember(); schedule(); report();
  }
  function setPlaying(on) {
    state.playing = on; clearInterval(state.timer);
    play.textContent = on ? "❚❚ " + S["stepper.pause"] : "▷ " + S["stepper.play"]; play.setAttribute("aria-pressed", String(on));
    play.setAttribute("aria-label", S[on ? "stepper.pause" : "stepper.play"]);
    if (on) state.timer = setInterval(() => go(state.k + 1 >= T ? 0 : state.k + 1), Number(speed.value));
  }

  const ac = new AbortController(), sig = { signal: ac.signal };
  prev.addEventListener("click", () => go(state.k - 1), sig);
  next.addEventListener("click", () => go(state.k + 1), sig);
  slider.addEventListener("input", () => go(Number(slider.value)), sig);
  play.addEventListener("click", () => setPlaying(!state.playing), sig);
  speed.addEventListener("change", () => { if (state.playing) setPlaying(true); }, sig);
  unitSel.addEventListener("change", () => { state.unit = Number(unitSel.value); remember(); schedule(); report(); }, sig);
  root.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT") return;
    const to = { ArrowRight: state.k + 1, ArrowLeft: state.k - 1, Home: 0, End: T - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault(); go(to);
  }, sig);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(schedule, 150); }, sig);

  const cleanup = () => {
    ac.abort(); clearInterval(state.timer); clearTimeout(state.report);
    if (state.raf !== null) cancelAnimationFrame(state.raf);
    root.__lstep = null;
  };
  root.__lstep = { id: data.id, cleanup, go: (k) => go(k), state };
  draw();
  return cleanup;
}
