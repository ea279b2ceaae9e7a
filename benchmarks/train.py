"""Benchmark: seconds per training epoch of our engine (``lstm_core.LSTM``) vs ``torch.nn.LSTM``, same task,
same weights, same batches, same optimiser (Adam + gradient clipping), one run.

    python -m benchmarks.train [--quick] [--threads N] [--epoch N]

An epoch is ``--epoch`` training sequences (default 1024 = 32 steps of 32) for the generated tasks, and one
pass over the corpus for sentiment (batches of 32). Prints, per task, the seconds per epoch of each engine,
their ratio (ours / torch) and the final loss of each (they start from identical weights, so the losses
agree up to float32 rounding). No assertions: speed is reported, never tested.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from lessons.learn import Trainer
from lessons.tasks import TASK_NAMES, load_corpus, make_task
from lstm_core import LSTM

BATCH = 32


def _torch_factory(config):
    return torch.nn.LSTM(**config.kwargs())


def _ours_like(config):
    return LSTM(**config.kwargs())


def epoch_seconds(name: str, factory, steps: int, epochs: int, seq_len: int | None) -> tuple[float, float]:
    """(median seconds per epoch, last loss) for one engine."""
    trainer = Trainer(make_task(name, seq_len), seed=0, batch_size=BATCH, model_factory=factory)
    trainer.run(2)  # warm-up: allocator, autograd graph caches
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        trainer.run(steps)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], trainer.losses[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one epoch each, memory and adding only")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (training always uses 1)")
    parser.add_argument("--epoch", type=int, default=1024, help="sequences per epoch (generated tasks)")
    parser.add_argument("--seq-len", type=int, default=None, help="override every task's default length")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = ("memory", "adding") if args.quick else TASK_NAMES
    epochs = 1 if args.quick else 3
    print(f"torch {torch.__version__}, float32, Adam + clip 1.0, batch {BATCH}, seed 0 — seconds per epoch")
    print(f"{'task':>10} {'T':>4} {'H':>3} {'steps':>5} {'ours s':>8} {'torch s':>8} {'ratio':>6} "
          f"{'ours loss':>10} {'torch loss':>10}")
    ratios = []
    for name in names:
        task = make_task(name, args.seq_len if name != "sentiment" else None)
        steps = math.ceil((len(load_corpus()) if name == "sentiment" else args.epoch) / BATCH)
        ours, loss_ours = epoch_seconds(name, _ours_like, steps, epochs, task.seq_len)
        ref, loss_ref = epoch_seconds(name, _torch_factory, steps, epochs, task.seq_len)
        ratios.append(ours / ref)
        print(f"{name:>10} {task.seq_len:>4} {task.default_hidden:>3} {steps:>5} {ours:>8.3f} {ref:>8.3f} "
              f"{ours / ref:>6.1f} {loss_ours:>10.4g} {loss_ref:>10.4g}")
    ratios.sort()
    print(f"median ratio ours/torch: {ratios[len(ratios) // 2]:.1f}  (worst {ratios[-1]:.1f})")


if __name__ == "__main__":
    main()
