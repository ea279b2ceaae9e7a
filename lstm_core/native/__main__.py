"""Build the engine's compiled time loop ahead of first use: ``python -m lstm_core.native``."""

import time

from . import build

if __name__ == "__main__":
    start = time.perf_counter()
    path = build()
    print(f"LSTM engine library: {path} ({time.perf_counter() - start:.1f} s)")
