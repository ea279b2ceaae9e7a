"""The anywidget front end (an ES module, kept as a string so no package-data rule is needed to install it).

It hosts the web app's own Stepper component (``ui/components/stepper/``, sent by Python in the ``_component``
trait and imported from a Blob URL): a selection bar (layer, direction, sequence, synced with Python, which
rebuilds ``data``), the check against the model, and the component drawing every step in the browser.
"""

ADAPTER_JS = r"""
const PICKS = ["layer", "direction", "sequence"];
const NO_KERNEL_MS = 4000;
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const fill = (s, args) => String(s ?? "").replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m));

async function render({ model, el }) {
  const files = model.get("_component");
  const url = URL.createObjectURL(new Blob([files.js], { type: "text/javascript" }));
  let stepper;
  try { stepper = (await import(url)).default; } finally { URL.revokeObjectURL(url); }

  el.classList.add("lstm-explorer");
  el.innerHTML = `<div class="lx-bar" role="group">
      <label><span data-lx="layer-label"></span><select data-lx="layer"></select></label>
      <label><span data-lx="direction-label"></span><select data-lx="direction"></select></label>
      <label><span data-lx="sequence-label"></span><select data-lx="sequence"></select></label>
    </div>
    <p class="lx-note" data-lx="checked"></p><p class="lx-note" data-lx="precision"></p>
    <p class="lx-note lx-offline" data-lx="offline" hidden></p>
    <div class="lx-stepper">${files.html}</div>`;
  const host = el.querySelector(".lx-stepper");
  const q = (k) => el.querySelector(`[data-lx="${k}"]`);

  function bar() {
    const info = model.get("info"), S = (model.get("data") || {}).strings || {};
    const options = {
      layer: Array.from({ length: info.L }, (_, n) => [n, String(n)]),
      direction: Array.from({ length: info.D }, (_, d) => [d, S["stepper.dir" + d] ?? String(d)]),
      sequence: info.lengths.map((n, b) => [b, fill(S["stepper.batch_item"], { b, n })]),
    };
    const labels = { layer: "stepper.layer", direction: "stepper.direction", sequence: "stepper.batch_index" };
    for (const k of PICKS) {
      q(k + "-label").textContent = S[labels[k]] ?? k;
      const sel = q(k);
      sel.innerHTML = options[k].map(([v, text]) => `<option value="${v}">${esc(text)}</option>`).join("");
      sel.value = String(model.get(k));
      sel.disabled = options[k].length < 2;
    }
    q("checked").textContent = info.checked_text || "";
    q("precision").textContent = info.precision_text || "";
    q("precision").hidden = !info.precision_text;
    q("offline").textContent = info.offline_text || "";
  }

  let cleanup = null;
  const setStateValue = (key, value) => {  // the component reports its step and unit: kept in `state`
    model.set("state", { ...model.get("state"), [key]: value });
    model.save_changes();
  };
  function draw() {
    if (cleanup) cleanup();
    cleanup = stepper({ data: model.get("data"), parentElement: host, setStateValue }) || null;
  }
  // A new selection is computed by Python. Without a kernel (an exported page, a closed notebook) no new data
  // comes: after NO_KERNEL_MS the select goes back to what is shown, with a note saying why.
  const ac = new AbortController();
  let waiting = null;
  for (const k of PICKS) {
    q(k).addEventListener("change", (e) => {
      const before = model.get(k);
      model.set(k, Number(e.target.value));
      model.save_changes();
      clearTimeout(waiting);
      waiting = setTimeout(() => {
        model.set(k, before);
        bar();
        q("offline").hidden = false;
      }, NO_KERNEL_MS);
    }, { signal: ac.signal });
  }
  const onData = () => { clearTimeout(waiting); q("offline").hidden = true; bar(); draw(); };
  model.on("change:data", onData);
  model.on("change:info", bar);
  bar();
  draw();
  return () => {
    ac.abort();
    clearTimeout(waiting);
    model.off("change:data", onData);
    model.off("change:info", bar);
    if (cleanup) cleanup();
  };
}

export default { render };
"""

ADAPTER_CSS = """
.lstm-explorer .lx-bar { display: flex; gap: 1rem; flex-wrap: wrap; align-items: end; margin: 0 0 0.4rem; }
.lstm-explorer .lx-bar label { display: flex; flex-direction: column; gap: 0.2rem; font-size: 0.85rem; }
.lstm-explorer .lx-bar select { height: 2rem; min-width: 8rem; border-radius: 0.4rem; border: 1px solid #c8ccd4;
  background: #fff; }
.lstm-explorer .lx-note { margin: 0.2rem 0; font-size: 0.85rem; color: #555; }
.lstm-explorer .lx-offline { color: #8a5300; }
"""
