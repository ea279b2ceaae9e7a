"""Benchmark: our engine's forward WITH full tracing vs torch.nn.LSTM's forward, same weights, one run.

    python -m benchmarks.engine [--quick] [--threads N] [--baseline REV]

The engine is the time loop in plain PyTorch (`lstm_core.engine_name()`); torch.nn.LSTM runs its fused C++
kernel. Prints, per configuration, the median time of each, their ratio (ours / torch) and the trace's memory;
then the median ratio and the worst; then the largest trace the app allows (`lstm_core.limits`) with the
most steps, the Stepper's worst case. Target (not asserted): median ratio ≤ 3 at one thread.

The calls are interleaved (each repeat runs every contender once, in a shuffled order), so a machine whose
load changes during the run slows all of them alike. Each call is timed twice: wall clock, and the CPU time
of the calling thread, which on a busy shared machine leaves out the time spent waiting for a core (the
ratios of both are printed; the load average is printed before and after). ``--baseline REV`` also times
``lstm_core`` as it is at git revision REV, in the same run: a before/after of an engine change.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import io
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import torch

from benchmarks.timing import median_time
from lstm_core import LSTMConfig, engine_name, limits, trace

GRID = [(10, 3, 10, 20), (50, 16, 32, 64), (100, 32, 128, 256), (200, 8, 64, 512)]  # T, B, I, H


def baseline_trace(rev: str):
    """`trace` of ``lstm_core`` at git revision ``rev``, imported from a copy as the package ``lstm_core_at_rev``."""
    folder = tempfile.mkdtemp(prefix="engine-baseline-")
    archive = subprocess.run(["git", "archive", rev, "lstm_core"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    os.rename(os.path.join(folder, "lstm_core"), os.path.join(folder, "lstm_core_at_rev"))
    sys.path.insert(0, folder)
    return importlib.import_module("lstm_core_at_rev").trace


def interleaved(calls: dict, repeats: int) -> dict:
    """{name: (median wall seconds, median CPU seconds of this thread)}: one untimed call of each, then
    ``repeats`` rounds that call each once in a shuffled order."""
    for fn in calls.values():
        fn()
    wall, cpu = {name: [] for name in calls}, {name: [] for name in calls}
    for _ in range(repeats):
        for name in random.sample(list(calls), len(calls)):
            start_wall, start_cpu = time.perf_counter(), time.thread_time()
            calls[name]()
            cpu[name].append(time.thread_time() - start_cpu)
            wall[name].append(time.perf_counter() - start_wall)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in calls}


def load() -> str:
    return "load average " + ", ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} cores"


def summary(name: str, ratios: list) -> str:
    return (f"{name}: median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}, best {min(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two smaller sizes, layers 1 and 2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--baseline", metavar="REV", help="also time lstm_core at this git revision")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grid = GRID[:2] if args.quick else GRID
    layer_counts = (1, 2) if args.quick else (1, 2, 3, 4)
    contenders = {"ours": trace} | ({f"at {args.baseline}": baseline_trace(args.baseline)} if args.baseline else {})
    print(f"engine {engine_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads, float32, eval, "
          f"no grad; {load()}")
    print(f"{'T×B×I×H':>18} {'L':>2} {'D':>2} {'ours+trace ms':>14} {'torch ms':>10} {'ratio':>7} {'CPU ratio':>10}"
          + "".join(f" {name + ' ratio':>{len(name) + 6}} {'CPU':>5}" for name in list(contenders)[1:])
          + f" {'trace MB':>9}")
    ratios = {name: ([], []) for name in contenders}  # wall, CPU
    for steps, batch, inp, hidden in grid:
        for layers in layer_counts:
            for bidirectional in (False, True):
                cfg = LSTMConfig(inp, hidden, layers, bidirectional=bidirectional)
                ours = cfg.build(0).eval()
                ref = ours.to_torch().eval()
                x = torch.randn(steps, batch, inp)
                work = steps * layers * (2 if bidirectional else 1) * batch * hidden * (inp + hidden)
                repeats = max(3, min(30, int(3e8 / max(work, 1))))
                calls = {name: functools.partial(tr, ours, x, max_values=None) for name, tr in contenders.items()}
                with torch.no_grad():
                    times = interleaved(calls | {"torch": functools.partial(ref, x)}, repeats)
                columns = []
                for name in contenders:
                    for k in (0, 1):
                        ratios[name][k].append(times[name][k] / times["torch"][k])
                        columns.append(ratios[name][k][-1])
                mb = limits.trace_value_count(cfg, batch, steps) * 4 / 2**20
                size = f"{steps}×{batch}×{inp}×{hidden}"
                others = "".join(f" {columns[2 * j]:>{len(name) + 6}.2f} {columns[2 * j + 1]:>5.2f}"
                                 for j, name in enumerate(contenders) if j)
                print(f"{size:>18} {layers:>2} {cfg.num_directions:>2} {times['ours'][0] * 1e3:>14.2f} "
                      f"{times['torch'][0] * 1e3:>10.2f} {columns[0]:>7.2f} {columns[1]:>10.2f}{others} {mb:>9.1f}",
                      flush=True)
    count = len(ratios["ours"][0])
    for name, (wall, cpu) in ratios.items():
        print(f"{name} / torch over {count} configurations (target: median ≤ 3): {summary('wall clock', wall)}; "
              f"{summary('CPU time', cpu)}")
    print(load())
    largest_interactive_trace()


def largest_interactive_trace() -> None:
    """The app's largest trace with the most steps: every size at its limit, 200 steps, as many sequences as
    `limits.MAX_TRACE_VALUES` allows (the Stepper traces this on a configuration change)."""
    cfg = LSTMConfig(limits.MAX_INPUT_SIZE, limits.MAX_HIDDEN_SIZE, limits.MAX_NUM_LAYERS, bidirectional=True)
    steps = limits.MAX_SEQ_LEN
    batch = max(b for b in range(1, limits.MAX_BATCH_SIZE + 1)
                if limits.trace_value_count(cfg, b, steps) <= limits.MAX_TRACE_VALUES)
    model, x = cfg.build(0).eval(), torch.randn(steps, batch, cfg.input_size)
    for dtype in (torch.float32, torch.float64):  # the app's models are float32; the gradient lessons trace float64
        model, x = model.to(dtype), x.to(dtype)
        with torch.no_grad():
            seconds = median_time(lambda: trace(model, x), 5)  # noqa: B023
        print(f"largest interactive trace ({steps}×{batch}×{cfg.input_size}×{cfg.hidden_size}, "
              f"{cfg.num_layers} layers, bidirectional, {str(dtype).removeprefix('torch.')}): "
              f"{seconds * 1e3:.0f} ms median")


if __name__ == "__main__":
    main()
