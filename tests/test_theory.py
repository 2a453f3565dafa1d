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
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()
