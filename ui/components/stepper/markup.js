// The catalogs' markup, rendered to HTML (escaped first): **bold**, *italic*, `code`, x_{T−1} and x_t
// (subscripts), x^{(1)} (superscripts). Code spans are left as they are inside.

import { esc } from "./util.js";

const SUB_BASE = "[A-Za-z\u03b1-\u03c9\u2190-\u2193)\\]}]";  // a letter, a Greek letter, an arrow or a closing bracket

function inline(s) {
  return s
    .replace(/\*\*(.+?)\*\*/g, "<b>$1</b>")
    .replace(/(^|[^*\w])\*(?!\s)([^*]+?)\*(?![*\w])/g, "$1<em>$2</em>")
    .replace(/_\{([^{}]*)\}/g, "<sub>$1</sub>")
    .replace(new RegExp(`(${SUB_BASE})_([A-Za-z0-9])(?![A-Za-z0-9_])`, "g"), "$1<sub>$2</sub>")
    .replace(/\^\{([^{}]*)\}/g, "<sup>$1</sup>");
}

export function renderMarkup(text) {
  const parts = String(text).split(/(`[^`]*`)/);
  return parts.map((p, n) => (n % 2 ? `<code>${esc(p.slice(1, -1))}</code>` : inline(esc(p)))).join("");
}

// the same text without markup (for aria-labels, titles and tooltips)
export function plainMarkup(text) {
  return String(text).replace(/`([^`]*)`/g, "$1").replace(/\*\*(.+?)\*\*/g, "$1").replace(/(^|[^*\w])\*(?!\s)([^*]+?)\*(?![*\w])/g, "$1$2")
    .replace(/_\{([^{}]*)\}/g, "_$1").replace(/\^\{([^{}]*)\}/g, "^$1");
}
