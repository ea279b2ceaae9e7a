"""Benchmark: our engine's forward WITH full tracing vs torch.nn.LSTM's forward, same weights, one run.

    python -m benchmarks.engine [--quick] [--threads N]

The engine is the time loop in plain PyTorch (`lstm_core.engine_name()`); torch.nn.LSTM runs its fused C++
kernel. Prints, per configuration, the median time of each, their ratio (ours / torch) and the trace's memory;
then the median ratio and the worst; then the largest trace the app allows (`lstm_core.limits`) with the
most steps, the Stepper's worst case. Target (not asserted): median ratio ≤ 3 at one thread.
"""

from __future__ import annotations

import argparse
import statistics

import torch

from benchmarks.timing import median_time
from lstm_core import LSTMConfig, engine_name, limits, trace

GRID = [(10, 3, 10, 20), (50, 16, 32, 64), (100, 32, 128, 256), (200, 8, 64, 512)]  # T, B, I, H


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the two smaller sizes, layers 1 and 2")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grid = GRID[:2] if args.quick else GRID
    layer_counts = (1, 2) if args.quick else (1, 2, 3, 4)
    print(f"engine {engine_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads, float32, eval, "
          "no grad")
    print(f"{'T×B×I×H':>18} {'L':>2} {'D':>2} {'ours+trace ms':>14} {'torch ms':>10} {'ratio':>7} {'trace MB':>9}")
    ratios = []
    for steps, batch, inp, hidden in grid:
        for layers in layer_counts:
            for bidirectional in (False, True):
                cfg = LSTMConfig(inp, hidden, layers, bidirectional=bidirectional)
                ours = cfg.build(0).eval()
                ref = ours.to_torch().eval()
                x = torch.randn(steps, batch, inp)
                work = steps * layers * (2 if bidirectional else 1) * batch * hidden * (inp + hidden)
                repeats = max(3, min(30, int(3e8 / max(work, 1))))
                with torch.no_grad():
                    t_ours = median_time(lambda: trace(ours, x, max_values=None), repeats)  # noqa: B023
                    t_ref = median_time(lambda: ref(x), repeats)  # noqa: B023
                mb = limits.trace_value_count(cfg, batch, steps) * 4 / 2**20
                ratio = t_ours / t_ref
                ratios.append(ratio)
                size = f"{steps}×{batch}×{inp}×{hidden}"
                print(f"{size:>18} {layers:>2} {cfg.num_directions:>2} {t_ours * 1e3:>14.2f} {t_ref * 1e3:>10.2f} "
                      f"{ratio:>7.2f} {mb:>9.1f}", flush=True)
    print(f"median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f}, best {min(ratios):.2f} "
          f"over {len(ratios)} configurations (target: median ≤ 3)")
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
