// Keyboard stepping: which key moves where, and when a key press belongs to something else on the page.

// the step a key leads to from step k of T (undefined: not a stepping key)
export function stepForKey(key, k, T) {
  return { ArrowRight: Math.min(k + 1, T - 1), ArrowLeft: Math.max(k - 1, 0), Home: 0, End: T - 1 }[key];
}

// true when the key press is for the element that has focus (a text field, a select, a slider of the page, a
// combobox, anything editable), or comes with a modifier: the stepper leaves it alone
export function keyBelongsElsewhere(e, root) {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return true;
  const el = e.target;
  if (!el || el.nodeType !== 1) return false;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
  if (tag === "INPUT") return !(root && root.contains(el) && el.type === "range");  // our slider: we step
  const role = el.getAttribute("role");
  if (role && ["slider", "combobox", "listbox", "option", "textbox", "spinbutton", "menu", "menuitem", "tab"].includes(role)
      && !(root && root.contains(el))) return true;
  return false;
}
