"""EWMA against its closed form m_t = (1 - b) * sum_i b^(t-i) x_i, and bias correction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from lessons_lib.ewma import bias_correction, effective_window, ewma, ewma_weights

betas = st.floats(0.0, 0.999)
series = arrays(
    np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3, allow_subnormal=False)
)


def closed_form(x, beta, t):
    """(1 - b) * sum_{i=1..t} b^(t-i) x_i, summed term by term."""
    return sum((1 - beta) * beta ** (t - i) * x[i - 1] for i in range(1, t + 1))


@given(series, betas)
def test_ewma_equals_closed_form_weighted_sum(x, beta):
    v = ewma(x, beta)
    assert v.shape == x.shape
    for t in range(1, len(x) + 1):
        assert v[t - 1] == pytest.approx(closed_form(x, beta, t), rel=1e-9, abs=1e-9)


@given(series, betas)
def test_bias_corrected_ewma_divides_by_one_minus_beta_to_the_t(x, beta):
    t = np.arange(1, len(x) + 1)
    expected = [closed_form(x, beta, k) / (1 - beta**k) for k in t]
    assert_allclose(ewma(x, beta, bias_correction=True), expected, rtol=1e-9, atol=1e-9)


@given(betas, st.integers(1, 300))
def test_weights_sum_to_one_minus_beta_to_the_t_and_corrected_ones_to_one(beta, t):
    w = ewma_weights(beta, t)
    assert len(w) == t and np.all(np.diff(w) >= 0)  # the newest value weighs most
    assert w.sum() == pytest.approx(1 - beta**t, rel=1e-12)
    assert (w / bias_correction(beta, t)).sum() == pytest.approx(1.0, rel=1e-12)


@given(betas, st.integers(1, 50))
def test_weights_are_the_ewma_of_unit_impulses(beta, t):
    """v_t is linear in x: feeding the unit vector e_i gives the weight of x_i."""
    impulses = np.eye(t)  # column i is the series e_i
    assert_allclose(ewma(impulses, beta)[-1], ewma_weights(beta, t), rtol=1e-12)


def test_bias_corrected_average_of_a_constant_is_that_constant():
    x = np.full(20, 7.0)
    assert_allclose(ewma(x, 0.9, bias_correction=True), 7.0, rtol=1e-13)
    assert ewma(x, 0.9)[0] == pytest.approx(0.7)  # uncorrected starts near 0


def test_vectorized_over_betas():
    rng = np.random.default_rng(0)
    x, bs = rng.standard_normal(30), np.array([0.0, 0.5, 0.9, 0.99])
    out = ewma(x, bs, bias_correction=True)
    assert out.shape == (30, 4)
    for j, b in enumerate(bs):
        assert_allclose(out[:, j], ewma(x, b, bias_correction=True), rtol=1e-14)
    assert_allclose(out[:, 0], x)  # beta = 0 keeps only the newest value


def test_vectorized_over_series_and_betas():
    rng = np.random.default_rng(1)
    x, bs = rng.standard_normal((25, 3, 1)), np.array([0.5, 0.9])
    out = ewma(x, bs)
    assert out.shape == (25, 3, 2)
    assert_allclose(out[:, 2, 1], ewma(x[:, 2, 0], 0.9), rtol=1e-14)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (4, 2, 3)])
def test_bias_correction_of_a_series_of_vectors_divides_each_step(shape):
    """A scalar beta over x of shape (T, ...): step t is divided by 1 - beta**t, whatever the
    shape of one step (the divisor once broadcast along the wrong axis: an error for
    (5, 3), silently wrong numbers for (3, 3))."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    out = ewma(x, 0.8, bias_correction=True)
    plain = ewma(x, 0.8)
    for t in range(1, shape[0] + 1):
        assert_allclose(out[t - 1], plain[t - 1] / (1 - 0.8**t), rtol=1e-13)
    assert_allclose(ewma(np.full(shape, 3.0), 0.8, bias_correction=True), 3.0, rtol=1e-13)


@given(betas)
def test_effective_window(beta):
    assert effective_window(beta) == pytest.approx(1 / (1 - beta))
    # all values older than the window together weigh sum_(k>=n) (1-b) b^k = b^n <= 1/e
    n = int(np.ceil(effective_window(beta)))
    assert beta**n <= np.exp(-1) + 1e-12


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, np.nan, "0.9", None, True, [0.5, 1.0]])
def test_bad_beta_is_a_value_error_naming_beta(bad):
    for call in (
        lambda: ewma([1.0, 2.0], bad),
        lambda: ewma_weights(bad, 3),
        lambda: bias_correction(bad, 3),
        lambda: effective_window(bad),
    ):
        with pytest.raises(ValueError, match=r"beta must be .*\[0, 1\)"):
            call()


def test_other_bad_input():
    with pytest.raises(ValueError, match="series"):
        ewma(3.0, 0.9)
    with pytest.raises(ValueError, match="broadcast"):
        ewma(np.ones((5, 3)), [0.5, 0.9])
    for bad_t in (0, -2, 2.5, True, "3"):
        with pytest.raises(ValueError, match="t must be"):
            ewma_weights(0.9, bad_t)
