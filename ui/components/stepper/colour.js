// Colour scales of the heatmaps and the diagram (ui/palette.py: white -> colour for the sigmoid gates on 0..1,
// grey -> white -> colour for the signed quantities on a symmetric range).

export function hexRgb(h) { return [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)); }
export function mix(a, b, w) { return a.map((x, n) => Math.round(x + (b[n] - x) * w)); }
const WHITE = [255, 255, 255];

export function colour(q, v, lo, hi, pal) {
  if (!Number.isFinite(v)) return null;
  const top = hexRgb(pal.colors[q]);
  const w = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
  if (pal.sigmoid.includes(q)) return mix(WHITE, top, w);
  return w < 0.5 ? mix(hexRgb(pal.negative), WHITE, w / 0.5) : mix(WHITE, top, (w - 0.5) / 0.5);
}

// the value range a heatmap's colours span: 0..1 for sigmoid gates, −1..1 for tanh-bounded, else ±max|v|
export function range(q, values, pal) {
  if (pal.sigmoid.includes(q)) return [0, 1];
  let m = 0;
  for (const x of values) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  if (q === "g" || (q === "h" && m <= 1)) return [-1, 1];
  m = Math.max(m || 1, 1e-6);
  return [-m, m];
}

// CSS gradient of the colour key, from lo (left) to hi (right)
export function keyGradient(q, lo, hi, pal, stops = 9) {
  const cols = Array.from({ length: stops }, (_, n) => {
    const c = colour(q, lo + (hi - lo) * n / (stops - 1), lo, hi, pal);
    return `rgb(${c.join(",")}) ${(100 * n / (stops - 1)).toFixed(1)}%`;
  });
  return `linear-gradient(to right, ${cols.join(", ")})`;
}

export const css = (c) => (c ? `rgb(${c[0]},${c[1]},${c[2]})` : "transparent");
