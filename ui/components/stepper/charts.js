// The unit's lines over time and the projection's bars: small canvases redrawn at each step.

function setupCanvas(canvas, cssHeight) {
  // the backing store is reallocated only when the size changes; the width is the one `draw` read before it
  // wrote to the DOM (no forced reflow)
  const w = Math.max(200, canvas.__cssWidth || canvas.clientWidth || 600);
  const dpr = window.devicePixelRatio || 1;
  const W = Math.round(w * dpr), H = Math.round(cssHeight * dpr);
  if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; canvas.style.height = cssHeight + "px"; }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, W, H); ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h: cssHeight };
}

// the value range of the unit's lines (at least -1..1), NaN (padding) skipped
export function linesRange(series, T, j) {
  let lo = -1, hi = 1;
  for (const [, arr] of series) for (let s = 0; s < T; s++) {
    const x = arr.at(s, j);
    if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  }
  return [lo, hi];
}

// series: [[q, matrix]]; the cursor at time t, unit j; `lit`: the quantity drawn thicker
export function lineChart(canvas, series, T, t, j, pal, labelOf, lit) {
  const { ctx, w, h } = setupCanvas(canvas, 220);
  const [lo, hi] = linesRange(series, T, j);
  const pad = 30, X = (s) => pad + (w - 2 * pad) * (T === 1 ? 0.5 : s / (T - 1)), Y = (x) => 8 + (h - 28) * (1 - (x - lo) / (hi - lo));
  ctx.strokeStyle = "#ddd"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(pad, Y(0)); ctx.lineTo(w - pad, Y(0)); ctx.stroke();
  ctx.fillStyle = "#555"; ctx.font = "12px sans-serif";
  ctx.fillText(hi.toFixed(1), 0, 14); ctx.fillText(lo.toFixed(1), 0, h - 22); ctx.fillText("0", 8, Y(0) + 4);
  for (const [q, arr] of series) {
    ctx.strokeStyle = pal.colors[q]; ctx.lineWidth = lit === q ? 4 : 2; ctx.beginPath();
    let on = false;
    for (let s = 0; s < T; s++) {
      const x = arr.at(s, j);
      if (!Number.isFinite(x)) { on = false; continue; }
      if (on) ctx.lineTo(X(s), Y(x)); else ctx.moveTo(X(s), Y(x));
      on = true;
    }
    ctx.stroke();
  }
  ctx.strokeStyle = "#111"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(X(t), 4); ctx.lineTo(X(t), h - 20); ctx.stroke();
  for (const [q, arr] of series) {
    const x = arr.at(t, j);
    if (!Number.isFinite(x)) continue;
    ctx.fillStyle = pal.colors[q]; ctx.beginPath(); ctx.arc(X(t), Y(x), 4, 0, 2 * Math.PI); ctx.fill();
  }
  ctx.fillStyle = "#555"; ctx.textAlign = "center";
  const every = Math.max(1, Math.ceil(T / 12));
  for (let s = 0; s < T; s += every) ctx.fillText(labelOf(s) ? `${s}:${labelOf(s)}` : String(s), X(s), h - 5);
  ctx.textAlign = "start";
}

// o⊙tanh(c) (H numbers) beside h = W_hr·(o⊙tanh c) (P numbers), as bars
export function projBars(canvas, before, after, pal, titles) {
  const { ctx, w, h } = setupCanvas(canvas, 160);
  const parts = [[before, pal.colors.o, titles[0], 0, 0.6], [after, pal.colors.h, titles[1], 0.62, 0.38]];
  for (const [row, col, title, x0, frac] of parts) {
    let m = 1e-6;
    for (const x of row) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
    const left = x0 * w, width = frac * w, bw = width / row.length, mid = 18 + (h - 22) / 2;
    ctx.fillStyle = "#333"; ctx.font = "12px sans-serif"; ctx.fillText(title, left, 12);
    ctx.fillStyle = col;
    row.forEach((x, n) => {
      if (!Number.isFinite(x)) return;
      const bh = (x / m) * (h - 26) / 2;
      ctx.fillRect(left + n * bw + 1, bh >= 0 ? mid - bh : mid, Math.max(1, bw - 2), Math.abs(bh));
    });
    ctx.strokeStyle = "#999"; ctx.beginPath(); ctx.moveTo(left, mid); ctx.lineTo(left + width, mid); ctx.stroke();
  }
}
