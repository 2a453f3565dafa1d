"""lessons_lib.theory: closed forms checked against linear algebra, brute force and real runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_lib import theory
from lessons_lib.functions import quadratic
from lessons_lib.optimizers import SGD, ClassicalMomentum, EWMAMomentum
from lessons_lib.runner import run

lrs = st.floats(1e-3, 5.0)
betas = st.floats(0.0, 0.99)
curvatures = st.floats(1e-2, 10.0)


@settings(max_examples=60, deadline=None)
@given(lrs, betas, curvatures)
def test_spectral_radius_is_that_of_the_iteration_matrix(lr, beta, lam):
    R = theory.iteration_matrix(lr, beta, lam)
    want = np.abs(np.linalg.eigvals(R)).max()
    assert theory.spectral_radius(lr, beta, lam) == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_iteration_matrix_moves_a_coordinate_like_heavy_ball():
    lr, beta, lam = 0.37, 0.61, 1.7
    x_prev, x = 2.0, 1.5
    step = x - lr * lam * x + beta * (x - x_prev)
    assert theory.iteration_matrix(lr, beta, lam) @ [x, x_prev] == pytest.approx([step, x])


def test_spectral_radius_broadcasts_over_a_grid():
    lr = np.linspace(0.1, 3, 7)[None, :]
    beta = np.linspace(0, 0.9, 5)[:, None]
    rho = theory.spectral_radius(lr, beta, [0.05, 1.0])
    assert rho.shape == (5, 7)
    one = theory.spectral_radius(lr[0, 3], beta[2, 0], [0.05, 1.0])
    assert rho[2, 3] == pytest.approx(one)


def test_gd_rate_is_the_largest_contraction_factor():
    assert theory.gd_rate(0.5, [0.1, 1.0]) == pytest.approx(max(abs(1 - 0.05), abs(1 - 0.5)))
    assert theory.gd_rate(2.5, [0.1, 1.0]) == pytest.approx(1.5)  # diverges


@pytest.mark.parametrize("mu, L", [(0.1, 1.0), (0.01, 2.0), (1.0, 1.0), (0.3, 4.0)])
def test_gd_optimum_beats_every_other_step(mu, L):
    grid = np.linspace(1e-4, 2.5 / L, 20001)
    rates = theory.gd_rate(grid, [mu, L])
    best = theory.gd_optimal_lr(mu, L)
    assert grid[np.argmin(rates)] == pytest.approx(best, rel=1e-3)
    assert theory.gd_rate(best, [mu, L]) == pytest.approx(theory.gd_optimal_rate(L / mu))
    assert rates.min() >= theory.gd_optimal_rate(L / mu) - 1e-12


@pytest.mark.parametrize("mu, L", [(0.1, 1.0), (0.01, 1.0), (0.2, 3.0)])
def test_polyak_optimum_beats_a_fine_grid(mu, L):
    lr, beta = theory.momentum_optimal(mu, L)
    rate = theory.momentum_optimal_rate(L / mu)
    assert theory.spectral_radius(lr, beta, [mu, L]) == pytest.approx(rate, rel=1e-6)
    assert np.sqrt(beta) == pytest.approx(rate)
    a = np.linspace(0.01, 4.0 / L, 400)[None, :]
    b = np.linspace(0.0, 0.99, 400)[:, None]
    rho = theory.spectral_radius(a, b, np.linspace(mu, L, 9))
    assert rho.min() >= rate - 1e-3  # nothing on the grid is clearly faster
    i, j = np.unravel_index(np.argmin(rho), rho.shape)
    assert b[i, 0] == pytest.approx(beta, abs=0.02)
    assert a[0, j] == pytest.approx(lr, rel=0.05)


def test_momentum_is_faster_than_gd_for_ill_conditioned_problems():
    for kappa in (4.0, 100.0, 1e4):
        assert theory.momentum_optimal_rate(kappa) < theory.gd_optimal_rate(kappa)
    assert theory.momentum_optimal_rate(1.0) == theory.gd_optimal_rate(1.0) == 0.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 0.99), curvatures)
def test_critical_momentum_makes_a_double_root(x, lam):
    lr = x / lam  # lr * lam in (0, 1)
    beta = theory.critical_momentum(lr, lam)
    c = 1 + beta - lr * lam
    assert c * c == pytest.approx(4 * beta, abs=1e-9)
    assert theory.spectral_radius(lr, beta, lam) == pytest.approx(np.sqrt(beta), abs=1e-6)
    # a little more momentum oscillates at rate sqrt(beta); a little less decays faster
    more = min(beta + 0.05, 0.999)
    assert theory.spectral_radius(lr, more, lam) == pytest.approx(np.sqrt(more))


def _coordinate(eta_lambda, beta, steps=40):
    """x_0..x_steps along one direction (curvature 1) from x_0 = x_-1 = 1, by the recursion."""
    xs = [1.0, 1.0]
    for _ in range(steps):
        xs.append((1 + beta - eta_lambda) * xs[-1] - beta * xs[-2])
    return np.array(xs[1:])


def _sign_changes(xs):
    signs = np.sign(xs[np.abs(xs) > 1e-250])
    return int(np.sum(signs[1:] != signs[:-1]))


@settings(max_examples=80, deadline=None)
@given(st.floats(0.01, 3.9), st.floats(0.0, 0.95))
def test_regime_names_what_the_coordinate_does(eta_lambda, beta):
    kind = theory.regime(eta_lambda, beta, 1.0)
    assert kind in theory.REGIMES
    xs = _coordinate(eta_lambda, beta)
    z = theory.roots(eta_lambda, beta, 1.0)
    assert abs(z[0]) == pytest.approx(theory.spectral_radius(eta_lambda, beta, 1.0), abs=1e-12)
    if kind == "diverges":
        assert eta_lambda >= 2 * (1 + beta) - 1e-9
    elif kind == "monotone":  # two real roots >= 0: the sign changes at most once
        assert _sign_changes(xs) <= 1 and np.all(z.real >= -1e-12)
    elif kind == "sign flips":  # two real roots <= 0: a sign change every step but one
        assert _sign_changes(xs) >= len(xs) - 3 and np.all(z.real <= 1e-12)
    elif kind == "ripples":  # complex roots on the circle sqrt(beta)
        assert np.all(np.abs(z.imag) > 0)
        assert np.abs(z) == pytest.approx([np.sqrt(beta)] * 2)
    else:
        assert kind == "one step"


@pytest.mark.parametrize(
    "eta_lambda, beta, kind",
    [
        (0.2, 0.1, "monotone"),
        (0.2, 0.5, "ripples"),
        (1.0, 0.0, "one step"),
        (1.8, 0.04, "sign flips"),
        (1.5, 0.2, "ripples"),  # eta*lambda > 1 but complex roots: not a sign flip each step
        (3.0, 0.4, "diverges"),
        (2.0, 0.0, "diverges"),  # gradient descent on its limit: |1 - 2| = 1
    ],
)
def test_the_five_regimes_at_known_points(eta_lambda, beta, kind):
    assert theory.regime(eta_lambda, beta, 1.0) == kind


@pytest.mark.parametrize("eta_lambda", [0.3, 0.8, 1.3, 2.0, 2.5])
def test_critical_momentum_on_both_sides_of_one(eta_lambda):
    """For eta*lambda > 1 the critical momentum (sqrt(eta*lambda) - 1)^2 makes a *negative*
    double root: less momentum flips the sign every step, more momentum ripples."""
    beta = theory.critical_momentum(eta_lambda, 1.0)
    assert beta == pytest.approx((np.sqrt(eta_lambda) - 1) ** 2)
    z = theory.roots(eta_lambda, beta, 1.0)
    assert z[0] == pytest.approx(z[1], abs=1e-6)
    assert np.sign(z[0].real) == (1 if eta_lambda < 1 else -1)
    below = "monotone" if eta_lambda < 1 else "sign flips"
    assert theory.regime(eta_lambda, beta * 0.9, 1.0) == below
    assert theory.regime(eta_lambda, min(beta * 1.1 + 1e-3, 0.99), 1.0) == "ripples"


def test_rounding_the_optimal_momentum_down_costs_more_than_rounding_up():
    """kappa = 25, EWMA learning rate 5: beta* = 4/9 gives rate 2/3; 0.45 costs little,
    0.44 puts the steep direction among the negative real roots and the rate jumps."""
    mu, L = 1 / 25, 1.0
    rate = {b: theory.spectral_radius(5 * (1 - b), b, [mu, L]) for b in (4 / 9, 0.45, 0.44)}
    assert rate[4 / 9] == pytest.approx(2 / 3)
    assert rate[0.45] == pytest.approx(np.sqrt(0.45))
    assert theory.regime(5 * (1 - 0.44), 0.44, L) == "sign flips"
    assert rate[0.44] > 0.8


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_stability_limit(beta):
    limit = theory.stable_lr_limit(beta, 2.0)
    assert theory.spectral_radius(limit * 0.999, beta, [0.1, 2.0]) < 1
    assert theory.spectral_radius(limit * 1.001, beta, [0.1, 2.0]) > 1


def _measured_rate(traj, k0, k1):
    dist = np.linalg.norm(traj.points, axis=-1)
    return (dist[k1] / dist[k0]) ** (1 / (k1 - k0))


def test_theory_predicts_runs_of_the_library_optimizers():
    kappa = 50.0
    obj = quadratic(kappa)
    mu, L = obj.notes["eigenvalues"]
    lr, beta = theory.momentum_optimal(mu, L)
    heavy = run(ClassicalMomentum(lr, beta), obj, steps=400)
    assert _measured_rate(heavy, 200, 400) == pytest.approx(
        theory.momentum_optimal_rate(kappa), abs=0.01
    )
    # the EWMA form with learning rate lr / (1 - beta) is the same method
    ewma = run(EWMAMomentum(lr / (1 - beta), beta), obj, steps=400)
    np.testing.assert_allclose(ewma.points, heavy.points, rtol=1e-6, atol=1e-12)
    gd = run(SGD(theory.gd_optimal_lr(mu, L)), obj, steps=400)
    assert _measured_rate(gd, 200, 400) == pytest.approx(theory.gd_optimal_rate(kappa), abs=1e-3)


def test_steps_to_tolerance():
    for rate in (0.1, 0.5, 0.9, 0.999):
        k = theory.steps_to_tolerance(rate, 1e-6)
        assert rate**k <= 1e-6 * (1 + 1e-9) and rate ** (k - 1) > 1e-6
    assert theory.steps_to_tolerance(1.0) == np.inf
    assert theory.steps_to_tolerance(np.array([0.5, 2.0])).tolist() == [20.0, np.inf]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: theory.gd_optimal_lr(2.0, 1.0), "mu .* must be <= L"),
        (lambda: theory.gd_optimal_lr(0.0, 1.0), "mu must be finite and > 0"),
        (lambda: theory.momentum_optimal_rate(0.5), "kappa .* must be >= 1"),
        (lambda: theory.spectral_radius(0.1, 1.0, 1.0), r"beta \(momentum\) must be in \[0, 1\)"),
        (lambda: theory.spectral_radius(-0.1, 0.5, 1.0), "lr must be finite and > 0"),
        (lambda: theory.spectral_radius(0.1, 0.5, [1.0, np.nan]), "eigenvalues must be"),
        (lambda: theory.steps_to_tolerance(0.5, 2.0), r"tol must be in \(0, 1\)"),
        (lambda: theory.roots([0.1, 0.2], 0.5, 1.0), "roots takes scalars"),
        (lambda: theory.regime(0.1, 1.2, 1.0), r"beta \(momentum\) must be in \[0, 1\)"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()
