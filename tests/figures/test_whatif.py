"""Pure figure builders of the what-if page: runs of clamped steps, clamp frames on the Δ heatmaps."""

import numpy as np

from ui.figures.whatif import delta_heatmap, step_runs

LABELS = {"t": "t", "unit": "unit", "feature": "feature"}


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


def test_gate_display_order_is_the_engines_gates():
    from lstm_core import GATES
    from ui.palette import GATE_DISPLAY_ORDER

    assert sorted(GATE_DISPLAY_ORDER) == sorted(GATES) and GATE_DISPLAY_ORDER == ("f", "i", "o", "g")


def test_time_axes_tick_whole_steps_only():
    """What-if's time axes never show fractional steps (2.5): ticks start at 0 and step by a whole number."""
    import numpy as np

    from ui.figures.whatif import delta_heatmap, time_axis, unit_whatif_figure

    for T, want in ((5, 1), (20, 1), (21, 2), (200, 10)):
        assert time_axis(T) == {"tick0": 0, "dtick": want, "tickformat": "d"}
    labels = {"t": "t", "unit": "unit", "unclamped": "u", "clamped": "c", "unit_title": "Unit {j}",
              **{f"q_{q}": q for q in "ifgoch"}}
    heat = delta_heatmap(np.zeros((7, 3)), labels, "title", "unit", (2, 3), (0,))
    assert heat.layout.xaxis.dtick == 1 and heat.layout.xaxis.tickformat == "d"
    series = {q: np.zeros(7) for q in "fch"}
    unit = unit_whatif_figure(series, series, labels, ["f"], (2, 3), 0)
    assert all(ax.dtick == 1 and ax.tickformat == "d" for ax in (unit.layout.xaxis, unit.layout.xaxis2))
