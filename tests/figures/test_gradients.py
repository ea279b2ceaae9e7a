"""Pure figure builders of the gradient and what-if pages: gaps for zeros on log axes, clamp frames."""

import numpy as np

from ui.figures.gradients import delta_heatmap, log_values, step_runs

LABELS = {"t": "t", "unit": "unit", "feature": "feature"}


def test_log_values_turn_zero_and_non_finite_into_gaps():
    assert log_values([1e-300, 0.0, np.nan, np.inf, 2.5, -1.0]) == [1e-300, None, None, None, 2.5, None]


def test_step_runs():
    assert step_runs([7, 1, 2, 3, 3]) == [(1, 3), (7, 7)]
    assert step_runs([]) == []


def test_delta_heatmap_frames_exactly_the_clamped_cells():
    delta = np.arange(12, dtype=float).reshape(4, 3) - 5  # (T=4, N=3)
    fig = delta_heatmap(delta, LABELS, "Δc", "delta_c", clamped_steps=[1, 2], clamped_units=[0, 2])
    heat = fig.data[0]
    assert np.array_equal(np.array(heat.z), delta.T) and heat.zmin == -6 and heat.zmax == 6
    rects = sorted((s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes)
    assert rects == [(0.5, 2.5, -0.5, 0.5), (0.5, 2.5, 1.5, 2.5)]
    out = delta_heatmap(delta, LABELS, "Δout", "delta_out", clamped_steps=[2, 3], row_label="feature")
    assert [(s.x0, s.x1) for s in out.layout.shapes] == [(1.5, 1.5)]
