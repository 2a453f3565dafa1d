"""Objectives: analytic gradients against finite differences, minima, grids, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from lessons_lib.functions import (
    OBJECTIVES,
    beale,
    get_objective,
    himmelblau,
    noisy,
    quadratic,
    regression_problem,
    rosenbrock,
    saddle,
)

ALL = {
    **{name: make() for name, make in OBJECTIVES.items()},
    "quadratic-kappa-50": quadratic(kappa=50.0, L=3.0),
}
# textbook values at the minima
MIN_VALUE = {"quadratic": 0.0, "rosenbrock": 0.0, "beale": 0.0, "himmelblau": 0.0}
MIN_VALUE["saddle"] = -0.25  # x^2 + y^4/4 - y^2/2 at (0, +-1)


def central_difference(obj, points, h=1e-6):
    """(f(p + h e_k) - f(p - h e_k)) / 2h for k = x, y, at every point."""
    columns = []
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        columns.append((obj(points + e) - obj(points - e)) / (2 * h))
    return np.stack(columns, axis=-1)


def random_points(obj, n, seed):
    (x0, x1), (y0, y1) = obj.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_central_differences_over_the_plot(name):
    obj = ALL[name]
    points = random_points(obj, 500, seed=len(name))
    numeric, analytic = central_difference(obj, points), obj.grad(points)
    # central differences are accurate to ~h^2 f''' + eps f / h; scale by the gradient size
    scale = 1 + np.abs(analytic)
    assert np.max(np.abs(numeric - analytic) / scale) < 1e-5


@given(
    st.sampled_from(sorted(ALL)),
    st.floats(-1, 1),
    st.floats(-1, 1),
)
def test_gradient_matches_central_differences_hypothesis(name, u, v):
    obj = ALL[name]
    (x0, x1), (y0, y1) = obj.bounds
    p = np.array([(x0 + x1) / 2 + u * (x1 - x0) / 2, (y0 + y1) / 2 + v * (y1 - y0) / 2])
    analytic = obj.grad(p)
    assert_allclose(central_difference(obj, p), analytic, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ALL)
def test_minima_have_zero_gradient_and_the_textbook_value(name):
    obj = ALL[name]
    minima = np.array(obj.minima)
    assert_allclose(obj.grad(minima), 0.0, atol=1e-9)
    assert_allclose(obj(minima), MIN_VALUE[obj.name], atol=1e-18)
    # they are the lowest points of the plotted region (nothing on a fine grid is lower)
    _, _, Z = obj.grid(301)
    assert Z.min() >= MIN_VALUE[obj.name] - 1e-12
    # and true minima: the Hessian (by differences of the gradient) is positive definite
    for m in minima:
        hessian = np.stack(
            [(obj.grad(m + e) - obj.grad(m - e)) / 2e-6 for e in np.eye(2) * 1e-6], axis=0
        )
        assert np.all(np.linalg.eigvalsh((hessian + hessian.T) / 2) > 0)


@pytest.mark.parametrize("name", ALL)
def test_start_and_minima_lie_inside_the_bounds(name):
    obj = ALL[name]
    (x0, x1), (y0, y1) = obj.bounds
    for x, y in [obj.start, *obj.minima]:
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert obj.formula.startswith("$") and obj.formula.endswith("$")


def test_saddle_point_is_a_saddle():
    obj = saddle()
    p = np.array(obj.notes["saddle_point"])
    assert_allclose(obj.grad(p), 0.0)
    assert obj(p + [0.1, 0]) > obj(p) > obj(p + [0, 0.1])


@pytest.mark.parametrize("kappa, L", [(1.0, 1.0), (10.0, 1.0), (100.0, 4.0)])
def test_quadratic_has_the_chosen_condition_number(kappa, L):
    obj = quadratic(kappa=kappa, L=L)
    hessian = np.stack([obj.grad(np.array(e)) for e in np.eye(2)])  # gradient is linear
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues.max() == pytest.approx(L)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(kappa)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(2,), (7, 2), (3, 4, 2)])
def test_values_and_gradients_keep_batch_shapes(name, shape):
    obj = ALL[name]
    p = np.random.default_rng(0).uniform(-1, 1, shape)
    assert np.shape(obj(p)) == shape[:-1]
    assert obj.grad(p).shape == shape
    flat = p.reshape(-1, 2)
    assert_allclose(obj(p).reshape(-1), [obj(q) for q in flat], rtol=1e-15)


@pytest.mark.parametrize("n", [2, 5, 40])
def test_grid_shapes_and_extent(n):
    obj = rosenbrock()
    X, Y, Z = obj.grid(n)
    assert X.shape == Y.shape == Z.shape == (n, n)
    (x0, x1), (y0, y1) = obj.bounds
    assert (X.min(), X.max(), Y.min(), Y.max()) == (x0, x1, y0, y1)
    assert_allclose(Z, obj(np.stack([X, Y], axis=-1)))
    assert np.all(np.diff(X, axis=1) > 0) and np.all(np.diff(Y, axis=0) > 0)


def test_noisy_adds_seeded_noise_of_the_given_size():
    base = quadratic()
    points = np.zeros((20000, 2))
    noise = noisy(base, sigma=0.5, seed=3).grad(points) - base.grad(points)
    assert noise.std() == pytest.approx(0.5, rel=0.03)
    assert abs(noise.mean()) < 0.02
    assert_allclose(noisy(base, 0.5, seed=3).grad(points), noisy(base, 0.5, seed=3).grad(points))
    assert not np.allclose(noisy(base, 0.5, seed=4).grad(points), base.grad(points) + noise)
    assert noisy(base, 0.5, 3)(np.ones(2)) == base(np.ones(2))  # values stay exact


def test_get_objective():
    for name in OBJECTIVES:
        assert get_objective(name).name == name
    assert {f().name for f in (beale, himmelblau, rosenbrock, saddle, quadratic)} == set(OBJECTIVES)


def test_himmelblau_has_four_distinct_minima():
    minima = np.array(himmelblau().minima)
    assert len({tuple(np.round(m, 3)) for m in minima}) == 4


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: quadratic()(np.ones(3)), "shape"),
        (lambda: quadratic().grad(np.ones((4, 3))), "shape"),
        (lambda: rosenbrock()(5.0), "shape"),
        (lambda: quadratic(kappa=0.5), "kappa"),
        (lambda: quadratic(kappa=np.inf), "kappa"),
        (lambda: quadratic(kappa="10"), "kappa"),
        (lambda: quadratic(L=0.0), "L"),
        (lambda: quadratic(L=-1.0), "L"),
        (lambda: quadratic(L=None), "L"),
        (lambda: noisy(quadratic(), sigma=-1.0), "sigma"),
        (lambda: noisy(quadratic(), sigma="big"), "sigma"),
        (lambda: get_objective("banana"), "unknown objective"),
        (lambda: beale().grid(1), "n"),
        (lambda: beale().grid(2.5), "n"),
    ],
)
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", OBJECTIVES)
def test_gap_is_the_distance_above_the_lowest_minimum(name):
    obj = get_objective(name)
    values = [float(obj(np.array(m, dtype=float))) for m in obj.minima]
    assert obj.f_star == min(values)
    start_loss = float(obj(np.array(obj.start)))
    losses = np.array([start_loss, obj.f_star, np.nan])
    gap = obj.gap(losses)
    assert gap[0] == pytest.approx(start_loss - min(values)) and gap[0] > 0
    assert gap[1] == 1e-16 and np.isnan(gap[2])  # floored for log plots; NaN stays NaN


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: quadratic(kappa=np.array([10.0, 20.0])), r"kappa \(condition number\) .* one"),
        (lambda: quadratic(L=0.0), r"L \(largest curvature\) must be in \(0, inf\)"),
        (lambda: noisy(quadratic(), sigma=True), r"sigma \(gradient noise std\)"),
        (lambda: regression_problem(scale=0.0), r"scale \(loss multiplier\) must be in"),
    ],
)
def test_numbers_are_checked_by_the_one_validator_with_what_they_are(call, message):
    with pytest.raises(ValueError, match=message):
        call()
