import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessons_lib.report import ROUNDING, gap


def test_rounding_level_differences_print_the_threshold_not_the_digits():
    assert gap(1.1e-16) == gap(4.4e-16) == gap(0.0) == "< 1e-12 (rounding only)"
    assert gap(np.float64(-3e-15)) == "< 1e-12 (rounding only)"


def test_real_differences_print_their_value():
    assert gap(2.1e-3) == "2.1e-03"
    assert gap(ROUNDING) == "1.0e-12"
    assert gap(0.51) == "5.1e-01"


def test_broken_computations_are_not_hidden_as_rounding():
    assert gap(math.nan) == "nan"
    assert gap(math.inf) == "inf"


def test_threshold_can_be_chosen_and_must_be_positive():
    assert gap(1e-7, rounding=1e-6) == "< 1e-06 (rounding only)"
    assert gap(1e-7) == "1.0e-07"
    with pytest.raises(ValueError, match="positive threshold"):
        gap(1e-20, rounding=0)


@given(st.floats(min_value=-1e-13, max_value=1e-13))
def test_every_value_below_the_threshold_prints_the_same(x):
    assert gap(x) == gap(0.0)
