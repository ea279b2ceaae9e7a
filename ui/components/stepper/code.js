// The engine's own cell function beside the equations (Python Tutor style): its real source, sent by the server
// (inspect.getsource, tokenised), with this step's numbers next to the lines that compute them.

import { esc, fmt, vecText } from "./util.js";

// one source line with its token ranges [[start, end, kind], ...] -> HTML
export function highlightLine(line, spans) {
  let out = "", at = 0;
  for (const [s, e, kind] of spans) {
    if (s < at || e > line.length) continue;
    out += esc(line.slice(at, s)) + `<span class="tk-${kind}">${esc(line.slice(s, e))}</span>`;
    at = e;
  }
  return out + esc(line.slice(at));
}

// the value text of each annotated line: {lineIndex: "i = 0.562 · f = 0.549"}, from code.values (q -> line)
export function lineValues(code, v, hRow) {
  const text = {
    pre: () => `pre[${["i", "f", "g", "o"].map((q) => fmt(v["pre_" + q])).join(", ")}]`,
    h: () => (v.proj ? vecText(hRow, hRow.length, 3) : fmt(v.h_unit)),  // projected: h is a vector of P
  };
  const out = {};
  for (const [q, line] of Object.entries(code.values)) {
    const s = `${q} = ${(text[q] ? text[q]() : fmt(v[q]))}`.replace(/= pre\[/, "= [");
    out[line] = out[line] ? `${out[line]} · ${s}` : s;
  }
  return out;
}

export function codeHtml(code) {
  const qs = code.lines.map(() => []);
  for (const [q, lines] of Object.entries(code.lines_of)) for (const n of lines) qs[n].push(q);
  const valued = new Set(Object.values(code.values));
  const src = code.lines.map((line, n) =>
    `<span class="cl" data-line="${n}"${qs[n].length ? ` data-q="${qs[n].join(" ")}"` : ""}>` +
    `<span class="ln">${code.start + n}</span>${highlightLine(line, code.spans[n] || []) || " "}</span>` +
    (valued.has(n) ? `<span class="cvrow"${qs[n].length ? ` data-q="${qs[n].join(" ")}"` : ""}><span class="ln"></span>` +
      `${line.match(/^\s*/)[0]}<span class="cv" data-line="${n}"></span></span>` : "")).join("");
  // focusable: a scroll area the keyboard can reach (WCAG scrollable-region-focusable)
  return `<pre class="src" tabindex="0"><span class="inner">${src}</span></pre>`;
}
