"""Tutorial errata cards (`lessons.errata`): the tutorial's own words (verbatim, `lessons.tutorials`), what it
claims, the code we run, torch's real answer, the verdict and the fix.

Used by the Start page's stops and the Pitfalls page: ``errata_view.render_cards(keys)``; the tutorials'
reference table is ``render_tutorials()``.
Text: ``assets/locales/<lang>/errata.json`` under ``errata.<key>.{title,claim,verdict}``; titles of the
tutorials from ``ui.tutorials.tutorial_title``.
"""
from __future__ import annotations

import streamlit as st

from lessons import errata
from lessons.tutorials import ALSO, NUMBERS, QUOTES
from ui.i18n import t
from ui.tutorials import tutorial_title

# A card's title is a real section heading (h2 on Pitfalls, h3 under a tour stop: levels step by one for screen
# readers) drawn at the size of the small card titles it always had (Streamlit's h4), so ten cards do not shout.
CARD_TITLE_STYLE = """<style>
:is([class*="st-key-card_"], [class*="st-key-erratum_"]) :is(h2, h3) {
  font-size: 1.5rem; line-height: 1.2; padding-top: 0.5rem; letter-spacing: normal;
}
</style>"""


def card_title_style() -> None:
    st.html(CARD_TITLE_STYLE)  # style only: Streamlit puts it out of the page's flow


@st.cache_data(max_entries=len(errata.KEYS), show_spinner=False)
def _one(key: str) -> errata.Erratum:
    return errata.compute(key)


def result_text(e: errata.Erratum) -> str:
    """What torch printed or raised, as the page shows it (numbers to 4 significant digits)."""
    if e.error is not None:
        return e.error
    return "\n".join(f"{k}: {_fmt({k: v})[k]}" for k, v in e.actual.items() if not isinstance(v, dict))


def cite(number: str) -> str:
    """A tutorial's title as a reference in running text: *LSTM in Detail* / 《LSTM模型详解》."""
    return t("tutorials.cite", title=tutorial_title(number))


def source_line(key: str) -> str:
    """"📖 The tutorial's words (LSTM in Detail):" for the quote of ``key``, with where else it is said."""
    return t("errata.source", title=cite(QUOTES[key].tutorial))


def also_line(key: str) -> str | None:
    """Where else the tutorials say the same, quoted, or None."""
    also = ALSO.get(key, ())
    return t("errata.also", where=t("errata.also_sep").join(
        t("errata.also_item", title=cite(n), text=text) for n, text in also)) if also else None


def render_quote(key: str) -> None:
    q = QUOTES[key]
    st.markdown(source_line(key))
    if q.code:
        st.code(q.text, language="python", wrap_lines=True)
    else:
        st.markdown("\n".join("> " + line.replace("*", "\\*") for line in q.text.splitlines()))
    also = also_line(key)
    if also:
        st.caption(also)


def render_card(key: str, level: int = 3) -> None:
    """One erratum as a bordered card; its title is a heading of `level` (one below the section it sits in)."""
    try:
        e = _one(key)
    except Exception as err:  # never a traceback on the page
        st.error(t("errata.failed", error=str(err)), icon="⛔")
        return
    card_title_style()
    with st.container(border=True, key=f"erratum_{key}"):
        st.markdown(f"{'#' * level} {cite(e.seed)} · {t(f'errata.{key}.title')}")
        render_quote(key)
        st.markdown(t(f"errata.{key}.claim", **_fmt({**e.actual, **e.claimed})))
        st.caption(t("errata.we_run"))
        st.code(e.snippet, language="python", wrap_lines=True)
        st.caption(t("errata.torch_says"))
        st.code(result_text(e), language="text", wrap_lines=True)
        st.markdown(t(f"errata.{key}.verdict", **_fmt({**e.claimed, **e.actual})))
        if e.fix:
            st.caption(t("errata.fix"))
            st.code(e.fix, language="python", wrap_lines=True)


def render_cards(keys=errata.KEYS, level: int = 3) -> None:
    for key in keys:
        render_card(key, level)


def render_tutorials() -> None:
    """The five tutorials: short title, original heading, what each covers, and the errors refuted here."""
    errors: dict[str, list[str]] = {n: [] for n in NUMBERS}
    for key, q in QUOTES.items():
        title = t(f"pitfalls.{key}.title") if key.startswith("claim_") else t(f"errata.{key}.title")
        errors[q.tutorial].append(title)
    cols = ("title", "original", "covers", "errors")
    lines = ["| " + " | ".join(t(f"tutorials.col.{c}") for c in cols) + " |", "|---|---|---|---|"]
    for n in NUMBERS:
        cells = (f"**{tutorial_title(n)}**", t(f"tutorials.original.{n}"), t(f"tutorials.{n}.covers"),
                 "; ".join(errors[n]))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    st.markdown(t("tutorials.intro"))
    st.markdown("\n".join(lines))


def _fmt(values: dict) -> dict:
    out = {}
    for k, v in values.items():
        if isinstance(v, float):
            out[k] = f"{v:.3g}" if (abs(v) >= 1e-3 or v == 0) else f"{v:.1e}"
        elif isinstance(v, int) and abs(v) >= 1000:
            out[k] = f"{v:,}"
        else:
            out[k] = str(v)
    return out
