"""Pitfalls page presentation: run the live demos (cached) and render each as a bordered card.

The numbers come from `lessons.pitfalls` (five of them from the facts in `lessons.facts`, which the Shapes and
Proof pages show too); this module only formats them (`display_values`, pure) and lays
them out (`render_card`). Text lives in ``assets/locales/<lang>/pitfalls.json`` under
``pitfalls.<demo key>.{title,claim,evidence,rule}`` (tutorial claims: ``quote``, ``source``, ``verdict``).
"""

from __future__ import annotations

import streamlit as st

from lessons import facts, pitfalls
from ui import errata_view
from ui.i18n import t
from ui.model_source import fingerprint
from ui.shapes_view import shape_str as fmt_shape  # (5, 2, 12), (24,): one tuple notation

# captured error / warning messages shown as code blocks after the evidence: (value name, note key or None);
# a note (a sentence introducing the message) is shown only when that message exists
MESSAGES = {
    "dropout": (("warning", None),),
    "hidden_batch": (("message", None), ("bf_message", "pitfalls.hidden_batch.bf_note")),
    "proj": (("message", None),),
    "unbatched": (("message", None),),
    "batch_first_missing": (("error", None),),
    "claim_batch_first_default": (("error", None),),
}


def fmt_delta(v: float) -> str:
    """max |Δ| for display: 0, 1.4e-17, 0.0575, 0.4304."""
    if v == 0:
        return "0"
    return f"{v:.4f}" if abs(v) >= 1e-4 else f"{v:.1e}"


def fmt_values(v) -> str:
    return "[" + ", ".join(f"{float(a):.4f}" for a in v) + "]"


def fmt_changes(changes: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in changes.items())


def cell(text: str) -> str:
    """Text for a markdown table cell: its own pipes (|Δ|) escaped, or they would split the cell."""
    return text.replace("|", "\\|")


def header(tr, *columns: str) -> str:
    """The header row of a markdown table from ``pitfalls.col.<column>`` texts."""
    return "| " + " | ".join(cell(tr(f"pitfalls.col.{c}")) for c in columns) + " |"


def direction_name(d: int, tr=t) -> str:
    return tr(f"pitfalls.dir.{d}")


def display_values(demo: pitfalls.Demo, tr=t) -> dict[str, str]:
    """Every value of a demo as the string shown on the page (placeholders of the evidence template)."""
    out: dict[str, str] = {}
    for key, v in demo.values.items():
        if key.startswith("delta"):
            out[key] = fmt_delta(v)
        elif key.endswith("_shape") or key in ("h0_given", "c0_given"):
            out[key] = fmt_shape(v)
        elif key.endswith("_values") or key == "h_n_backward":
            out[key] = fmt_values(v)
        elif isinstance(v, (list, tuple, dict)):
            continue
        else:
            out[key] = str(v)
    vals = demo.values
    if demo.key in ("layer_major", "claim_hn_rows"):
        head = header(tr, "row", "layer", "direction", "max_delta")
        lines = [head, "|---|---|---|---|"]
        lines += [f"| `h_n[{r['row']}]` | {r['layer']} | {direction_name(r['direction'], tr)} "
                  f"| {fmt_delta(r['delta'])} |" for r in vals["rows"]]
        out["rows_table"] = "\n".join(lines)
        out["wrong_pairs"] = tr("pitfalls.pair_sep").join(
            tr("pitfalls.pair", layer=lay, direction=direction_name(d, tr)) for lay, d in vals["wrong_pairs"])
    if demo.key == "padding":
        head = header(tr, "sequence", "length", "padded_vs_packed", "packed_vs_alone")
        lines = [head, "|---|---|---|---|"]
        lines += [f"| {s['seq']} | {s['length']} | {fmt_delta(s['delta_padded'])} | "
                  f"{fmt_delta(s['delta_packed_alone'])} |" for s in vals["per_seq"]]
        out["per_seq_table"] = "\n".join(lines)
        out["lengths"] = str(list(vals["lengths"]))
    if demo.key == "two_bias":
        out["names"] = ", ".join(f"`{n}`" for n in vals["names"])
    if "engine_message" in vals:
        out["engine_verdict"] = tr("pitfalls.engine_same") if vals["engine_agrees"] else tr(
            "pitfalls.engine_differs", message=str(vals["engine_message"]))
    return out


def _digest(cfg, model, batch) -> str:
    return fingerprint(cfg.lstm.kwargs(), model.state_dict(), batch.data, batch.lengths)


@st.cache_data(max_entries=32, show_spinner=False)
def _compute(digest: str, _cfg, _model, _x, _lengths, seed: int):
    return pitfalls.compute_all(_cfg, _model.state_dict(), _x, _lengths, engine_model=_model, seed=seed)


def compute(app_cfg, model, batch) -> tuple[list[pitfalls.Demo], dict]:
    """All demos for the current state (cached by a digest of configuration, weights and input)."""
    x, lengths, trimmed = facts.demo_input(batch.data, batch.lengths)
    demos = _compute(_digest(app_cfg, model, batch), app_cfg.lstm, model, x, lengths, app_cfg.seed)
    return demos, trimmed


def render_card(demo: pitfalls.Demo, number: int | None = None) -> None:
    """One bordered card: title, the claim (what people believe / what the tutorial says), the live
    evidence with captured messages, and the rule (or the verdict, for a tutorial claim)."""
    key = f"pitfalls.{demo.key}"
    is_claim = demo.key.startswith("claim_")
    values = display_values(demo)
    errata_view.card_title_style()
    with st.container(border=True, key=f"card_{demo.key}"):
        prefix = f"{number} · " if number is not None else ""
        st.markdown(f"## {prefix}{t(key + '.title')}")  # h2: each card is a section under the page's h1
        if is_claim:  # the tutorial's words verbatim (lessons.tutorials), then what is tested
            errata_view.render_quote(demo.key)
            st.caption(t(key + ".quote"))
        else:
            st.markdown(f"❌ **{t('pitfalls.myth')}** " + t(key + ".claim", **values))
        changes = demo.values.get("changes_deep", demo.changes) if demo.key == "dropout" else demo.changes
        if changes:
            st.caption(t("pitfalls.modified", changes=fmt_changes(changes)))
        st.markdown(f"🔬 **{t('pitfalls.evidence')}** " + t(key + ".evidence", **values))
        for name, note in MESSAGES.get(demo.key, ()):
            message = demo.values.get(name)
            if message:
                if note:
                    st.markdown(t(note, **values))
                st.code(message, language=None, wrap_lines=True)
        if "engine_verdict" in values:
            st.caption(values["engine_verdict"])
        if is_claim:
            st.error(t(key + ".verdict", **values), icon="✖️")
        else:
            st.success(t(key + ".rule", **values), icon="✅")
