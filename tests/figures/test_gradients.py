"""Pure figure builders of the gradient page: gaps for zeros on log axes."""

import numpy as np

from ui.figures.gradients import log_values


def test_log_values_turn_zero_and_non_finite_into_gaps():
    assert log_values([1e-300, 0.0, np.nan, np.inf, 2.5, -1.0]) == [1e-300, None, None, None, 2.5, None]
