"""The Gradient flow page's opening rule and callout choice (ui/gradients_callout.py), on their own; the page
itself is driven in tests/pages/test_gradients.py."""

import numpy as np
import pytest

from ui import gradients_callout as gc


@pytest.mark.parametrize(("random_model", "bias", "expected"), [(True, True, gc.OPEN_SHIFT), (True, False, 0.0),
                                                               (False, True, 0.0), (False, False, 0.0)])
def test_only_a_random_model_with_biases_opens_with_the_forget_bias_raised(random_model, bias, expected):
    assert gc.default_shift(random_model, bias) == expected


@pytest.mark.parametrize(("f_open", "shift", "random_model", "key"), [
    (True, 3.0, True, "gradients.untrained_forgets"),
    (False, 3.0, True, "gradients.callout_shifted"),
    (False, 0.5, False, "gradients.callout_shifted"),
    (False, 0.0, True, "gradients.callout_random"),
    (False, 0.0, False, "gradients.untrained_forgets"),
])
def test_callout_choice(f_open, shift, random_model, key):
    assert gc.callout_key(f_open, shift, random_model) == key


def test_ratio_text():
    assert gc.ratio_text(np.array([2e-4, 1.0, 0.5])) == f"{2e-4 / 0.5:.2e}"
    assert gc.ratio_text(np.array([1.0, 0.0])) == "—"
    assert gc.ratio_text(np.array([0.0, 2.0])) not in ("—", "0.00e+00")  # the catalog's word for exactly zero
