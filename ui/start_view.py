"""Start page presentation: the stop selector (bound to ``?stop=``), one live view per stop, links onward.

Numbers come from `lessons.start` (cached here); stops 1-5 draw the views of ``ui/figures/chain.py`` (through
`ui.chain_view`) from the engine's trace of a sentence; text from ``assets/locales/<lang>/start.json`` under
``start.<stop>.{title,body,try,link}``. Links to deeper pages are plain same-tab anchors carrying the whole
configuration in the query string, so the page opens exactly as described whatever this session held.
"""
from __future__ import annotations

import html
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from lessons import start as lesson
from ui import chain_view, errata_view
from ui.figures import chain as fc
from ui.figures import start as figures
from ui.i18n import current_lang, t
from ui.presets import label as preset_label

# Every other page, in app.py's menu order (tests/pages/test_start.py checks this against app.PAGES).
OTHER_PAGES = ("shapes", "stepper", "weights", "proof", "code", "gradients", "whatif", "pitfalls", "learn",
               "quiz", "heads", "gru", "sentiment")
_CHART = {"displaylogo": False, "displayModeBar": False}


def href(page: str, query: dict) -> str:
    """Relative address of `page` with `query` and the current language (opens in the same tab)."""
    params = {k: str(v) for k, v in query.items() if k != "page"}
    params["lang"] = current_lang()
    return f"{page}?{urlencode(params)}"


def link(page: str, query: dict, label: str) -> None:
    """A same-tab link (keyboard focusable) that opens `page` with `query` already set."""
    st.markdown(f'<a href="{html.escape(href(page, query))}" target="_self">{html.escape(label)} →</a>',
                unsafe_allow_html=True)


def _shift(step: int) -> None:
    current = st.session_state.get("stop") or 1
    st.session_state["stop"] = min(max(int(current) + step, 1), len(lesson.STOPS))


def stop_selector() -> str:
    """The segmented control of the eight stops, numbered 1-8. Its value lives in the URL as ``?stop=<n>``
    (a bound widget writes its *displayed* option, so the numbers keep links the same in every language)."""
    numbers = list(range(1, len(lesson.STOPS) + 1))
    chosen = st.segmented_control(t("start.stops_label"), numbers, default=1, key="stop", bind="query-params",
                                  required=True, format_func=str)
    st.caption(" · ".join(f"{n}. {t(f'start.{s}.title')}" for n, s in enumerate(lesson.STOPS, start=1)))
    return lesson.STOPS[chosen - 1] if chosen in numbers else lesson.STOPS[0]


def prev_next(stop: str) -> None:
    n = lesson.STOPS.index(stop) + 1
    total = len(lesson.STOPS)
    left, mid, right = st.columns([2, 3, 2])
    before = t(f"start.{lesson.STOPS[n - 2]}.title") if n > 1 else ""
    after = t(f"start.{lesson.STOPS[n]}.title") if n < total else ""
    left.button("← " + (t("start.prev_to", title=before) if before else t("start.prev")), key="start_prev",
                on_click=_shift,
                args=(-1,), disabled=n == 1, width="stretch")
    mid.progress(n / total, text=t("start.progress", n=n, total=total))
    right.button((t("start.next_to", title=after) if after else t("start.next")) + " →", key="start_next",
                 on_click=_shift,
                 args=(1,), disabled=n == total, width="stretch")


def page_shortcuts() -> None:
    """Returning visitors: every page one click away."""
    with st.expander(t("start.shortcuts")):
        cols = st.columns(5)
        for n, name in enumerate(OTHER_PAGES):
            cols[n % 5].page_link(f"pages/{name}.py", label=t(f"{name}.page_title"))


def your_model() -> None:
    """Beyond one cell on the learner's own configuration (the sidebar's model and input): the three views of
    `ui.chain_view` for a chosen layer, direction and step — the same call the Stepper page makes."""
    from ui.stepper_view import current_trace  # the Stepper's cached trace of the current model and input

    with st.expander(t("start.own.title"), icon="🔭"):
        st.caption(t("start.own.intro"))
        try:
            trn, batch, _ = current_trace()
        except (ValueError, RuntimeError) as err:  # a LimitError or torch's complaint about the input
            st.error(t("start.failed", error=str(err)), icon="⛔")
            return
        cfg = trn.config
        c1, c2, c3 = st.columns(3)
        layer = c1.selectbox(t("start.own.layer"), list(range(cfg.num_layers)), key="start_own_layer")
        names = [t(f"chain.dir{d}") for d in range(cfg.num_directions)]
        direction = c2.selectbox(t("start.own.direction"), list(range(cfg.num_directions)), key="start_own_dir",
                                 format_func=names.__getitem__)
        unit = c3.selectbox(t("start.own.unit"), list(range(cfg.hidden_size)), key="start_own_unit")
        step = st.slider(t("start.step"), 0, max(trn.T - 1, 1), min(2, trn.T - 1), key="start_own_t",
                         disabled=trn.T == 1)
        chain_view.render(trn, int(layer or 0), int(direction or 0), 0, min(step, trn.T - 1), batch.labels,
                          unit=int(unit or 0), key="start_own_view")


def presets() -> None:
    st.header(t("start.presets.header"))
    st.markdown(t("start.presets.intro"))
    for name, query in lesson.PRESETS.items():
        link(str(query["page"]), query, preset_label(name))  # the sidebar menu's label: tutorial by title


# ---- cached lesson calls ----------------------------------------------------------------------------------

@st.cache_data(max_entries=4, show_spinner=False)
def _vanishing():
    return lesson.vanishing()


@st.cache_resource(max_entries=64, show_spinner=False)
def _cell(x: float, h: float, c: float):
    return lesson.one_cell(x, h, c)


@st.cache_resource(max_entries=8, show_spinner=False)
def _demo(text: str, num_layers: int = 1, bidirectional: bool = False):
    """The engine's trace of one of the tour's sentences (shared read-only by every session)."""
    return lesson.demo(text, num_layers=num_layers, bidirectional=bidirectional)


@st.cache_data(max_entries=2, show_spinner=False)
def _static():
    return {"time": lesson.through_time(), "layers": lesson.stacked(), "directions": lesson.two_directions(),
            "shapes": lesson.shape_stop(), "outputs": lesson.readings()}


@st.cache_data(max_entries=2, show_spinner=False)
def _training():
    return lesson.tiny_training()


def _fmt(v: float) -> str:
    return "0" if v == 0 else f"{v:.1e}"


# ---- the stops' live views --------------------------------------------------------------------------------
# Stops 1-5 show before they tell: the picture first, then the stop's few sentences and its numbers.
PICTURE_FIRST = ("glance", "cell", "time", "layers", "directions")


def _chain(stop: str, view: str, demo, default: int) -> int:
    """The stop's picture with, under it, a slider over the sentence's timesteps (each named by its token)
    choosing which cell the picture lights; returns the step. The picture comes first on the page."""
    picture = st.container()
    tokens = demo.tokens
    step = st.select_slider(t("start.step"), options=list(range(len(tokens))), value=default,
                            key=f"start_t_{stop}", format_func=lambda s: f"t = {s} · {tokens[s]}")
    with picture:
        chain_view.draw(view, demo.trace, 0, 0, 0, step, tokens)
    return step


def _body(stop: str) -> None:
    st.markdown(t(f"start.{stop}.body"))


def view_glance() -> None:
    d = _demo(lesson.SHORT_TEXT)
    step = _chain("glance", "time", d, 3)
    _body("glance")
    lt = d.trace[0, 0]
    st.markdown(t("start.glance.numbers", t=step, token=d.tokens[step], f=f"{lt.f[step, 0, 0]:.2f}",
                  i=f"{lt.i[step, 0, 0]:.2f}", c=f"{lt.c[step, 0, 0]:.2f}", h=f"{lt.h[step, 0, 0]:.2f}"))


def view_cell() -> None:
    picture = st.container()  # the cell first, its three inputs' sliders under it
    c1, c2, c3 = st.columns(3)
    x = c1.slider(t("start.cell.slider_x"), -2.0, 2.0, 1.0, 0.1, key="start_x")
    h = c2.slider(t("start.cell.slider_h"), -1.0, 1.0, 0.0, 0.1, key="start_h")
    c = c3.slider(t("start.cell.slider_c"), -2.0, 2.0, 0.5, 0.1, key="start_c")
    cell = _cell(round(x, 4), round(h, 4), round(c, 4))
    with picture:
        chain_view.show(fc.cell_svg(cell.trace, 0, 0, 0, chain_view.chain_text()))
    _body("cell")
    g = cell.gates
    st.markdown(t("start.cell.numbers", f=f"{g['f']:.3f}", c_prev=f"{cell.c_prev:.3f}", i=f"{g['i']:.3f}",
                  g=f"{g['g']:.3f}", c=f"{cell.c:.3f}", o=f"{g['o']:.3f}", h=f"{cell.h:.3f}"))


def view_time() -> None:
    d = _demo(lesson.LONG_TEXT)
    _chain("time", "time", d, 6)
    _body("time")
    tt = _static()["time"]
    st.markdown(t("start.time.numbers", I=tt.input_size, H=tt.hidden_size, formula=tt.formula,
                  lens=", ".join(str(n) for n in tt.counts), delta=_fmt(tt.same_weights)))
    # the "why" of the c highway: how much of a last-step loss reaches each earlier step
    st.markdown(t("start.time.why_body"))
    v = _vanishing()
    labels = {k: t(f"start.time.{k}") for k in ("rnn", "lstm", "lstm_bias", "x", "y")}
    st.plotly_chart(figures.vanishing_figure(v, labels), key="start_fig_why", config=_CHART)
    r = v.ratios
    st.markdown(t("start.time.why_numbers", T=v.seq_len, rnn=_fmt(r["rnn"]), lstm=_fmt(r["lstm"]),
                  lstm_bias=_fmt(r["lstm_bias"]), shift=f"{v.bias_shift:g}"))


def view_layers() -> None:
    d = _demo(lesson.SHORT_TEXT, num_layers=2)
    _chain("layers", "layers", d, 2)
    _body("layers")
    s = _static()["layers"]
    st.markdown(t("start.layers.numbers", up=_fmt(s.input_is_h_below), differs=f"{s.c_differs:.3f}"))


def view_directions() -> None:
    d = _demo(lesson.SHORT_TEXT, bidirectional=True)
    _chain("directions", "directions", d, 2)
    _body("directions")
    r = _static()["directions"]
    st.markdown(t("start.directions.numbers", H=r.hidden_size, shape=str(r.output_shape),
                  fwd=_fmt(r.forward_last), bwd=_fmt(r.backward_first), wrong=f"{r.backward_last:.3f}"))


def view_shapes() -> None:
    s = _static()["shapes"]
    call = ", ".join(f"{k}={v!r}" for k, v in s.call.items() if k in ("input_size", "hidden_size", "num_layers",
                                                                         "bidirectional"))
    st.code(f"lstm = nn.LSTM({call})\nx = torch.randn{s.predicted['input']}  # (seq_len, batch, input_size)",
            language="python")
    rows = [{t("start.shapes.col_tensor"): n, t("start.shapes.col_predicted"): str(s.predicted[n]),
             t("start.shapes.col_measured"): str(s.measured[n])} for n in s.predicted]
    st.table(pd.DataFrame(rows))
    errata_view.render_cards(("seed000_shapes", "seed003_h0"))


def view_outputs() -> None:
    rows = [{t("start.outputs.col_task"): t(f"start.outputs.task.{r.task}"), t("start.outputs.col_read"): r.code,
             t("start.outputs.col_shape"): str(r.shape)} for r in _static()["outputs"]]
    st.table(pd.DataFrame(rows))
    errata_view.render_cards(("seed004_unsqueeze",))


def view_training() -> None:
    tr = _training()
    labels = {k: t(f"start.training.{k}") for k in ("loss", "baseline", "x", "y")}
    st.plotly_chart(figures.loss_figure(tr, labels), key="start_fig_training", config=_CHART)
    st.markdown(t("start.training.numbers", steps=tr.steps, first=f"{tr.losses[0]:.3f}",
                  last=f"{tr.losses[-1]:.4f}", baseline=f"{tr.baseline:.3f}"))
    errata_view.render_cards(("seed004_pack_long",))


VIEWS = {"glance": view_glance, "cell": view_cell, "time": view_time, "layers": view_layers,
         "directions": view_directions, "shapes": view_shapes, "outputs": view_outputs, "training": view_training}


def render_stop(stop: str) -> None:
    n = lesson.STOPS.index(stop) + 1
    with st.container(border=True):
        st.header(f"{n}. {t(f'start.{stop}.title')}")
        if stop not in PICTURE_FIRST:
            _body(stop)
        try:
            VIEWS[stop]()
        except Exception as err:  # never a traceback on the page
            st.error(t("start.failed", error=str(err)), icon="⛔")
        st.info(t(f"start.{stop}.try"), icon="👉")
        page, query = lesson.DEEPER[stop]
        link(page, query, t(f"start.{stop}.link"))
