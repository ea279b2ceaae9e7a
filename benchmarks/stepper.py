"""Benchmark: what the server does for the stepper (stepping itself happens in the browser).

    python -m benchmarks.stepper [--repeats N] [--threads N]

For the default configuration and the largest ones the limits allow, prints the median time of the trace,
of building the component's payload for one selection (``lessons.stepper.view_payload``) and its size, and,
through AppTest, a page's first run and a selection change (a rerun of the stepper's fragment that builds
and sends a new payload). Browser latency (a step, a configuration change, first paint) is measured by
``python -m benchmarks.browser``. Prints, never asserts.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from benchmarks.timing import median_time
from lessons import sources as src
from lessons import stepper as lesson
from lstm_core import LSTMConfig, limits, trace

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "default (I=4, H=6, L=1, B=2, T=5)": dict(input_size=4, hidden_size=6, num_layers=1, batch_size=2, seq_len=5),
    "largest T,H,B the trace limit allows (I=64, H=64, bidirectional, B=13, T=200)": dict(
        input_size=64, hidden_size=64, num_layers=1, bidirectional=True, batch_size=13, seq_len=200),
    "deepest (I=64, H=64, L=4, bidirectional, B=2, T=200)": dict(
        input_size=64, hidden_size=64, num_layers=4, bidirectional=True, batch_size=2, seq_len=200),
}


def pure(query: dict, repeats: int) -> tuple[float, float, int]:
    """(trace seconds, payload seconds, payload bytes) without Streamlit."""
    kw = {k: v for k, v in query.items() if k not in ("batch_size", "seq_len")}
    cfg = LSTMConfig(**kw)
    batch = src.random_batch(query["batch_size"], query["seq_len"], query["input_size"], 0)
    model = cfg.build(seed=0).eval()
    t_trace = median_time(lambda: trace(model, batch.model_input(cfg)).numpy(), max(1, repeats // 3), warmup=False)
    trn = trace(model, batch.model_input(cfg)).numpy()
    d = cfg.num_directions - 1
    t_pay = median_time(lambda: lesson.view_payload(trn, cfg.num_layers - 1, d, 0), repeats)
    return t_trace, t_pay, lesson.payload_bytes(lesson.view_payload(trn, cfg.num_layers - 1, d, 0))


def apptest_times(query: dict, repeats: int) -> dict:
    from streamlit.testing.v1 import AppTest

    params = {"page": "stepper", "lang": "en", **{k: str(int(v)) for k, v in query.items()}}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params = params
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    B = query["batch_size"]
    pos, ms = {"b": 0}, []

    def change():
        pos["b"] = (pos["b"] + 1) % max(B, 2) if B > 1 else 0
        at.selectbox(key="batch_index").set_value(pos["b"] % B).run()
        ms.append(at.session_state["_stepper_fragment_ms"])

    wall = median_time(change, repeats, warmup=False)
    assert not at.exception, [e.value for e in at.exception]
    return dict(first=1000 * first, change_wall=1000 * wall, change_script=statistics.median(ms))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from streamlit import logger

    logger.set_log_level("error")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; MAX_TRACE_VALUES={limits.MAX_TRACE_VALUES:,}")
    for name, query in CONFIGS.items():
        t_trace, t_pay, size = pure(query, args.repeats)
        m = apptest_times(query, args.repeats)
        print(f"\n{name}")
        print(f"  trace (engine, numpy)                    {1000 * t_trace:9.1f} ms")
        print(f"  component payload, one selection         {1000 * t_pay:9.1f} ms   {size / 1e3:,.1f} kB (max 2,000)")
        print(f"  selection change: fragment script time   {m['change_script']:9.1f} ms")
        print(f"  selection change: AppTest wall time      {m['change_wall']:9.1f} ms")
        print(f"  first run of the page: AppTest wall      {m['first']:9.1f} ms")


if __name__ == "__main__":
    main()
