"""Benchmark: how long the stepper page takes for one step and for a configuration change.

    python -m benchmarks.stepper [--repeats N] [--threads N]

For the default configuration and the largest ones the limits allow, prints the median time of
* a step: moving ``timestep`` (AppTest reruns only the stepper's ``st.fragment``; the trace is cached);
* a configuration change: a new ``seed`` (AppTest: a new session opened with that seed — a new model and a
  new trace — so it includes a session's first-run overhead: an upper bound);
* the pieces of a step alone: building the figures, SVG and equations, and serialising the figures
  (what the ``st.fragment`` redraws in the browser when stepping);
* the trace itself.
Targets (not asserted): ≤ 30 ms per step and ≤ 150 ms per configuration change at the default
configuration. AppTest adds its own overhead (protobuf of every element, widget state), so its numbers are
an upper bound of the script time on a live server.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import plotly.io as pio
import torch

from benchmarks.timing import median_time
from lessons import sources as src
from lstm_core import LSTMConfig, limits, trace

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "default (I=4, H=6, L=1, B=2, T=5)": dict(input_size=4, hidden_size=6, num_layers=1, batch_size=2, seq_len=5),
    "largest T,H,B (I=64, H=64, bidirectional, B=16, T=200)": dict(
        input_size=64, hidden_size=64, num_layers=1, bidirectional=True, batch_size=16, seq_len=200),
    "deepest (I=64, H=64, L=4, bidirectional, B=2, T=200)": dict(
        input_size=64, hidden_size=64, num_layers=4, bidirectional=True, batch_size=2, seq_len=200),
}


def pure_step(query: dict, repeats: int) -> tuple[float, float]:
    """(trace seconds, seconds to build + serialise everything one step draws) without Streamlit."""
    from ui.figures import stepper as fs

    kw = {k: v for k, v in query.items() if k not in ("batch_size", "seq_len")}
    cfg = LSTMConfig(**kw)
    batch = src.random_batch(query["batch_size"], query["seq_len"], query["input_size"], 0)
    model = cfg.build(seed=0).eval()
    t_trace = median_time(lambda: trace(model, batch.model_input(cfg)).numpy(), max(1, repeats // 3), warmup=False)
    trn = trace(model, batch.model_input(cfg)).numpy()
    lt = trn[cfg.num_layers - 1, 0]
    order = list(lt.visit_order)
    k = {"k": 0}

    heat = fs.heatmaps_figure({q: getattr(lt, q)[:, 0, :] for q in fs.QUANTITIES}, order, 0, unit=0)
    unit = {q: getattr(lt, q)[:, 0, 0] for q in fs.LINE_ORDER}
    lines = fs.unit_lines_figure(unit, order, 0)

    def step():  # what the fragment does per step: diagram, equations, move the cached figures' cursors
        k["k"] = (k["k"] + 1) % len(order)
        t = order[k["k"]]
        vals = fs.unit_values(lt, t, 0, 0)
        fs.cell_svg(vals, "caption")
        fs.equations(vals)
        fs.move_cursor(heat, order, k["k"], unit=0)
        fs.move_cursor(lines, order, k["k"], dots=unit)
        figs = [heat, lines]
        if cfg.bidirectional:
            figs.append(fs.concat_figure(trn[0, 0].h[:, 0], trn[0, 1].h[:, 0], k["k"]))
        for fig in figs:
            pio.to_json(fig.to_dict(), validate=False)

    step()
    return t_trace, median_time(step, repeats, warmup=False)


def apptest_times(query: dict, repeats: int) -> dict:
    """Medians in ms through app.py: AppTest wall time of a step / a config change / the first run, and the
    script time the page measures itself (fragment for a step, whole page for a config change)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def fresh(seed: int = 0):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params = {"page": "stepper", "lang": "en", "seed": str(seed),
                           **{k: str(int(v)) for k, v in query.items()}}
        return at

    st.cache_data.clear()
    st.cache_resource.clear()
    at = fresh()
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    assert not at.exception, [e.value for e in at.exception]
    T = query["seq_len"]
    pos = {"t": 0}

    def step():
        pos["t"] = (pos["t"] + 1) % T
        at.slider(key="timestep").set_value(pos["t"]).run()

    seed = {"s": 0}

    def change():  # a new session opened on a new seed (AppTest does not keep the sidebar across reruns
        seed["s"] += 1  # of app.py's switch_page home, so this includes the session's first-run overhead)
        run = fresh(seed["s"]).run()
        assert not run.exception, [e.value for e in run.exception]
        last["at"] = run

    last = {}

    step_ms, change_ms = [], []

    def step_measured():
        step()
        step_ms.append(at.session_state["_stepper_fragment_ms"])

    def change_measured():
        change()
        change_ms.append(last["at"].session_state["_stepper_page_ms"])

    step_wall = median_time(step_measured, repeats, warmup=False)
    change_wall = median_time(change_measured, max(1, repeats // 2), warmup=False)
    assert not at.exception, [e.value for e in at.exception]
    return dict(first=1000 * first, step_wall=1000 * step_wall, change_wall=1000 * change_wall,
                step_script=statistics.median(step_ms), change_script=statistics.median(change_ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch intra-op threads (1 avoids thread contention on a busy machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from streamlit import logger

    logger.set_log_level("error")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; limits: MAX_TRACE_VALUES="
          f"{limits.MAX_TRACE_VALUES:,}")
    for name, query in CONFIGS.items():
        cfg = LSTMConfig(**{k: v for k, v in query.items() if k not in ("batch_size", "seq_len")})
        values = limits.trace_value_count(cfg, query["batch_size"], query["seq_len"])
        t_trace, t_pure = pure_step(query, args.repeats)
        m = apptest_times(query, args.repeats)
        print(f"\n{name}: {values:,} traced values")
        print(f"  trace (engine, numpy)                   {1000 * t_trace:9.1f} ms")
        print(f"  one step: figures+SVG+JSON, no Streamlit {1000 * t_pure:9.1f} ms")
        print(f"  one step: fragment script time          {m['step_script']:9.1f} ms   (target at default <= 30)")
        print(f"  one step: AppTest wall time             {m['step_wall']:9.1f} ms")
        print(f"  config change: page script time         {m['change_script']:9.1f} ms   (target at default <= 150)")
        print(f"  config change: AppTest wall, new session{m['change_wall']:9.1f} ms")
        print(f"  first run of the page: AppTest wall     {m['first']:9.1f} ms")


if __name__ == "__main__":
    main()
