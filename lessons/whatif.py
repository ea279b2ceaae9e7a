"""What-if: run the same model on the same input twice — as is, and with gates clamped — and compare.

The clamped run is the engine's own `trace(model, input, clamps=...)` (the same time loop, with a
gate forced after its activation); nothing here recomputes an equation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lstm_core.trace import Clamp, Trace, trace

__all__ = ["WhatIf", "what_if", "make_clamps", "Spread", "spread"]


@dataclass(frozen=True)
class WhatIf:
    base: Trace  # numpy trace of the unclamped run
    clamped: Trace  # numpy trace of the clamped run
    clamps: tuple[Clamp, ...]

    def delta(self, name: str, layer: int = 0, direction: int = 0) -> np.ndarray:
        """clamped − base of one recorded quantity (``"c"``, ``"h"``, ``"f"``, ...), time-major (T, B, ·)."""
        return getattr(self.clamped[layer, direction], name) - getattr(self.base[layer, direction], name)

    @property
    def output_delta(self) -> np.ndarray:
        """clamped − base of the model output, time-major (T, B, D·H_out)."""
        return self.clamped.output_padded - self.base.output_padded

    def first_changed_step(self, b: int | None = None) -> int | None:
        """First step at which the output (of sequence ``b``, or of any) differs; None: nothing changed."""
        delta = self.output_delta if b is None else self.output_delta[:, b : b + 1]
        changed = np.flatnonzero(np.nan_to_num(np.abs(delta)).reshape(self.base.T, -1).max(1) > 0)
        return int(changed[0]) if changed.size else None


def what_if(model, input, clamps: Sequence[Clamp], hx=None) -> WhatIf:
    """Trace ``model`` on ``input`` without and with ``clamps`` (input forms as for the forward pass)."""
    clamps = tuple(clamps)
    cfg = model.config
    for cl in clamps:
        if not (0 <= cl.layer < cfg.num_layers and 0 <= cl.direction < cfg.num_directions):
            raise ValueError(f"clamp on layer {cl.layer}, direction {cl.direction} does not exist in this model")
        if cl.units is not None and any(not 0 <= u < cfg.hidden_size for u in cl.units):
            raise ValueError(f"clamp units must be in 0..{cfg.hidden_size - 1}")
    base = trace(model, input, hx).numpy()
    clamped = trace(model, input, hx, clamps=clamps).numpy()
    return WhatIf(base, clamped, clamps)


def make_clamps(values: Mapping[str, float], layer: int = 0, direction: int = 0,
                units: Sequence[int] | None = None, steps: Sequence[int] | None = None) -> list[Clamp]:
    """One `Clamp` per gate in ``values`` (e.g. ``{"f": 1.0, "i": 0.0}`` freezes the cell), same units/steps."""
    units = None if units is None else tuple(int(u) for u in units)
    steps = None if steps is None else tuple(int(t) for t in steps)
    return [Clamp(gate, float(v), layer, direction, units, steps) for gate, v in values.items()]


@dataclass(frozen=True)
class Spread:
    """Where a clamp's change reached, in the clamped layer and direction of one sequence: the steps whose h
    is exactly unchanged and those it changed (real time order)."""

    still: tuple[int, ...]
    moved: tuple[int, ...]
    direction: int


def spread(w: WhatIf, layer: int = 0, direction: int = 0, b: int = 0) -> Spread:
    """The steps at which Δh (layer, direction, sequence b) is exactly 0 and those where it is not. The
    forward direction reaches a clamp from the left, so the steps before the first clamped step stay still;
    the backward direction reaches it from the right, so the steps after the last clamped step stay still."""
    delta = np.nan_to_num(np.abs(w.delta("h", layer, direction)[:, b]))  # (T, H_out)
    moved = delta.max(axis=1) > 0
    return Spread(tuple(int(t) for t in np.flatnonzero(~moved)), tuple(int(t) for t in np.flatnonzero(moved)),
                  direction)
