// Small pure helpers shared by the stepper's modules: number formats, string templates, decoding.

// the same text as ui/figures/stepper.fmt (Python's format): toFixed, except that an exact tie rounds to even
// as Python does (0.5625 -> "0.562"; toFixed gives "0.563"), and no "-0.000"
export function fmt(v, nd = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(Number(v));
  let s = a.toFixed(nd);
  const exact = a.toFixed(Math.min(100, nd + 25));  // the binary value's decimal digits, far enough to see a tie
  const rest = exact.slice(exact.length - 25);
  if (rest === "5" + "0".repeat(24)) {  // exactly halfway: keep the even neighbour
    const down = exact.slice(0, exact.length - 25).replace(/\.$/, "");
    if (Number(down[down.length - 1]) % 2 === 0) s = down;
  }
  const zero = (0).toFixed(nd);
  return v < 0 && s !== zero ? "-" + s : s;
}

// a number in at most `width` characters (for labels with a fixed slot in the diagram): 3 decimals while they
// fit, fewer for large magnitudes, never more than `width` characters unless the integer part alone is wider
export function fmtFit(v, width = 6) {
  if (!Number.isFinite(v)) return "—";
  for (let nd = 3; nd >= 0; nd--) {
    const s = fmt(v, nd);
    if (s.length <= width) return s;
  }
  return fmt(v, 0);
}

export const par = (v) => { const s = fmt(v); return s.startsWith("-") ? `(${s})` : s; };
export const signed = (v) => (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(3);
export const minus = (s) => String(s).replace(/^-/, "−");  // a typographic minus for display
export const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);

// "{name}" placeholders from args; "{{" and "}}" are literal braces (the catalogs' convention)
export function tr(strings, key, args = {}) {
  const s = strings[key] ?? key;
  return s.replace(/\{\{/g, "\u0001").replace(/\}\}/g, "\u0002")
    .replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m))
    .replace(/\u0001/g, "{").replace(/\u0002/g, "}");
}

export const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// base64 float32 (little-endian, C order) -> a (rows x cols) view; NaN marks padding
export function decode(entry) {
  const bin = atob(entry.b64);
  const bytes = new Uint8Array(bin.length);
  for (let n = 0; n < bin.length; n++) bytes[n] = bin.charCodeAt(n);
  const [rows, cols] = entry.shape.length === 2 ? entry.shape : [entry.shape[0], 1];
  return matrix(new Float32Array(bytes.buffer), rows, cols);
}

export function matrix(v, rows, cols) {
  return { v, rows, cols, at(t, j) { return v[t * cols + j]; }, row(t) { return v.subarray(t * cols, (t + 1) * cols); } };
}

// a short vector text: "[0.12, -1.00, …]" (2 decimals, the first `n` numbers)
export function vecText(row, width, n = 4) {
  const r = Array.from(row).slice(0, n).map((x) => fmt(x, 2));
  return `[${r.join(", ")}${width > r.length ? ", …" : ""}]`;
}
