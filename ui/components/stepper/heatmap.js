// Heatmaps with axes: time steps along x (with the tokens of a text input), units down y, a cursor on the
// current step and unit. The picture (image, axes) is drawn once per size; a step only redraws the cursor.

import { colour } from "./colour.js";

export const HEAT_FONT = 12;  // px, axis labels

// at most `most` evenly spaced tick positions of 0..n-1, always including 0 and n-1
export function ticks(n, most) {
  if (n <= 0) return [];
  if (n <= most) return Array.from({ length: n }, (_, k) => k);
  const every = Math.ceil((n - 1) / (most - 1));
  const out = [];
  for (let k = 0; k < n - 1; k += every) out.push(k);
  if (out.length > 1 && n - 1 - out[out.length - 1] < every) out.pop();
  out.push(n - 1);
  return out;
}

// where the plot sits in a canvas of (w x h) css pixels: margins for the unit axis (left) and time axis (bottom)
export function heatLayout(w, h, cols, rows, left = 34, bottom = 30) {
  const pw = Math.max(10, w - left - 6), ph = Math.max(10, h - bottom - 4);
  return { x0: left, y0: 4, pw, ph, cw: pw / cols, ch: ph / rows, cols, rows };
}

// the (column, row) under css point (x, y), or null outside the plot
export function cellAt(x, y, L) {
  const c = Math.floor((x - L.x0) / L.cw), r = Math.floor((y - L.y0) / L.ch);
  return c >= 0 && c < L.cols && r >= 0 && r < L.rows ? { t: c, j: r } : null;
}

// an offscreen canvas holding the (time x units) map, one pixel per cell; NaN (padding) stays transparent
export function heatImage(q, arr, lo, hi, pal) {
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
  return cv;
}

export function heatHeight(rows) { return Math.min(220, Math.max(90, rows * 8)) + 34; }

// A heatmap on `canvas`: `image` (cols = time, rows = units). `timeLabel(t)` names a step (token or number).
export function makeHeatmap(canvas, image, cols, rows, timeLabel, axisNames) {
  let base = null, key = "", L = null;
  function paintBase(w, h, dpr) {
    base = document.createElement("canvas");
    base.width = Math.round(w * dpr); base.height = Math.round(h * dpr);
    const ctx = base.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    L = heatLayout(w, h, cols, rows);
    canvas.dataset.plot = [L.x0, L.y0, L.pw, L.ph].map((x) => x.toFixed(2)).join(",");  // where the cells are (tests)
    ctx.fillStyle = "#f4f4f4"; ctx.fillRect(L.x0, L.y0, L.pw, L.ph);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(image, L.x0, L.y0, L.pw, L.ph);
    ctx.fillStyle = "#333"; ctx.font = `${HEAT_FONT}px sans-serif`;
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const j of ticks(rows, Math.max(2, Math.floor(L.ph / 14)))) ctx.fillText(String(j), L.x0 - 4, L.y0 + (j + 0.5) * L.ch);
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    const most = Math.max(2, Math.floor(L.pw / 46));
    for (const t of ticks(cols, most)) {
      let s = timeLabel(t);
      if (s.length > 6) s = s.slice(0, 5) + "…";
      ctx.fillText(s, L.x0 + (t + 0.5) * L.cw, L.y0 + L.ph + 3);
    }
    ctx.fillStyle = "#555"; ctx.textAlign = "left";
    ctx.fillText(axisNames.time, L.x0, L.y0 + L.ph + 17);
    ctx.save(); ctx.translate(10, L.y0 + L.ph / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
    ctx.fillText(axisNames.unit, 0, -6); ctx.restore();
  }
  return {
    get layout() { return L; },
    // cursors: [[t, rowFrom, rowTo, dashed]]; unit: the current unit's row (or null); lit: highlight that row
    draw(cursors, unit, lit) {
      const w = Math.max(200, canvas.__cssWidth || canvas.clientWidth || 600), h = heatHeight(rows);
      const dpr = window.devicePixelRatio || 1;
      const W = Math.round(w * dpr), H = Math.round(h * dpr);
      if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; canvas.style.height = h + "px"; }
      if (key !== `${W}x${H}`) { paintBase(w, h, dpr); key = `${W}x${H}`; }
      const ctx = canvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, W, H); ctx.drawImage(base, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      if (unit !== null && lit) {
        ctx.fillStyle = "rgba(255, 214, 0, 0.35)"; ctx.fillRect(L.x0, L.y0 + unit * L.ch, L.pw, L.ch);
        ctx.strokeStyle = "#b58900"; ctx.lineWidth = 2; ctx.strokeRect(L.x0, L.y0 + unit * L.ch, L.pw, L.ch);
      }
      ctx.lineWidth = 2;
      for (const [t, r0, r1, dash] of cursors) {
        ctx.strokeStyle = "#111"; ctx.setLineDash(dash ? [4, 3] : []);
        const x = L.x0 + (t + 0.5) * L.cw;
        ctx.beginPath(); ctx.moveTo(x, L.y0 + r0 * L.ph); ctx.lineTo(x, L.y0 + r1 * L.ph); ctx.stroke();
        if (unit !== null) { ctx.setLineDash([]); ctx.strokeRect(L.x0 + t * L.cw, L.y0 + unit * L.ch, L.cw, L.ch); }
      }
      ctx.setLineDash([]);
    },
    hit(x, y) { return L ? cellAt(x, y, L) : null; },
  };
}
