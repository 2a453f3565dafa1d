"""The runner: paths, losses, divergence, batches, no warnings."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from lessons_lib.functions import Objective, noisy, quadratic, rosenbrock
from lessons_lib.optimizers import SGD, Adam, EWMAMomentum, LookaheadNesterov, RMSprop
from lessons_lib.runner import Trajectory, far_limit, run, run_step_rule

QUAD = quadratic(kappa=10.0, L=2.0)  # f = (0.2 x^2 + 2 y^2) / 2, largest curvature L = 2
LAM = np.array(QUAD.notes["eigenvalues"])
L = QUAD.notes["L"]


def gd_closed_form(lr, start, k):
    """Gradient descent on a diagonal quadratic: w_k = (1 - lr * lambda)^k * w_0."""
    return (1 - lr * LAM) ** k * np.asarray(start)


def expected_divergence_step(lr, start):
    """First k at which |w_k| leaves the box of half-width far_limit around the centre
    (0, 0), from the closed form, or -1: with rate r = |1 - lr L| > 1, the largest k with
    r^k |y0| <= limit is log(limit / |y0|) / log r."""
    rates = np.abs(1 - lr * LAM)
    limit = far_limit(QUAD)
    steps = [
        math.floor(math.log(limit / abs(w0)) / math.log(r)) + 1
        for r, w0 in zip(rates, start, strict=True)
        if r > 1 and w0 != 0
    ]
    return min(steps) if steps else -1


def test_trajectory_is_the_sequence_of_optimizer_steps():
    opt = Adam(learning_rate=0.3, amsgrad=True)
    traj = run(opt, rosenbrock(), steps=40)
    assert traj.points.shape == (41, 2) and traj.losses.shape == (41,)
    assert_array_equal(traj.points[0], rosenbrock().start)
    manual, w = [np.array(rosenbrock().start)], np.array(rosenbrock().start)
    fresh = Adam(learning_rate=0.3, amsgrad=True)
    for _ in range(40):
        w = fresh.step(w, rosenbrock().grad(w))
        manual.append(w)
    assert_allclose(traj.points, manual, rtol=1e-15)
    assert_allclose(traj.losses, rosenbrock()(np.array(manual)), rtol=1e-15)
    assert traj.diverged_at == -1 and not traj.diverged
    assert_array_equal(traj.final, traj.points[-1])


def test_run_resets_the_optimizer_unless_told_not_to():
    opt = SGD(learning_rate=0.1, momentum=0.9)
    first = run(opt, QUAD, steps=10)
    assert_array_equal(run(opt, QUAD, steps=10).points, first.points)
    continued = run(opt, QUAD, start=first.final, steps=10, reset=False)
    assert_allclose(continued.points[-1], run(opt, QUAD, steps=20).points[-1], rtol=1e-14)


@pytest.mark.parametrize("factor", [0.3, 0.9, 0.99])
def test_gradient_descent_below_two_over_L_converges(factor):
    lr = factor * 2 / L
    traj = run(SGD(learning_rate=lr), QUAD, steps=200)
    assert traj.diverged_at == -1
    k = np.arange(201)[:, None]
    assert_allclose(traj.points, gd_closed_form(lr, QUAD.start, k), rtol=1e-10, atol=1e-300)
    assert traj.losses[-1] < traj.losses[0]


@pytest.mark.parametrize("factor", [1.01, 1.1, 1.5, 3.0])
def test_gradient_descent_above_two_over_L_diverges_at_the_derived_step(factor):
    lr = factor * 2 / L
    traj = run(SGD(learning_rate=lr), QUAD, steps=1000)
    k = expected_divergence_step(lr, QUAD.start)
    assert 0 < k <= 1000
    assert traj.diverged_at == k
    assert traj.label() == f"diverged at step {k}"
    assert_allclose(traj.points[:k], gd_closed_form(lr, QUAD.start, np.arange(k)[:, None]))
    assert np.all(np.isnan(traj.points[k:])) and np.all(np.isnan(traj.losses[k:]))
    assert np.all(np.isfinite(traj.losses[:k]))


def test_batch_of_learning_rates_across_two_over_L():
    factors = np.array([0.5, 0.95, 0.999, 1.001, 1.2, 2.0])
    lrs = (factors * 2 / L)[:, None]
    traj = run(SGD(learning_rate=lrs), QUAD, steps=3000)
    assert traj.points.shape == (3001, 6, 2)
    expected = [expected_divergence_step(lr, QUAD.start) for lr in lrs[:, 0]]
    assert_array_equal(traj.diverged_at, expected)
    assert_array_equal(traj.diverged, factors > 1)


def test_many_starts_equal_separate_runs():
    rng = np.random.default_rng(0)
    starts = rng.uniform(-2, 2, (4, 3, 2))
    opt = RMSprop(learning_rate=0.05, momentum=0.5, centered=True)
    batch = run(opt, rosenbrock(), start=starts, steps=50)
    assert batch.points.shape == (51, 4, 3, 2) and batch.diverged_at.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            alone = run(opt, rosenbrock(), start=starts[i, j], steps=50)
            assert_allclose(batch.points[:, i, j], alone.points, rtol=1e-14)
            assert batch.diverged_at[i, j] == alone.diverged_at


def test_array_hyperparameters_equal_separate_runs_including_divergence():
    lrs = np.array([0.001, 0.01, 0.002, 0.004])
    betas = np.array([0.0, 0.5, 0.9, 0.99])
    batch = run(EWMAMomentum(lrs[:, None], beta=betas[:, None]), rosenbrock(), steps=80)
    assert batch.diverged.any() and not batch.diverged.all()  # both kinds are covered
    for i in range(4):
        alone = run(EWMAMomentum(lrs[i], beta=betas[i]), rosenbrock(), steps=80)
        assert_allclose(batch.points[:, i], alone.points, rtol=1e-14)
        assert batch.diverged_at[i] == alone.diverged_at


def test_array_momentum_alone_makes_a_batch():
    """Any array hyperparameter (not only the learning rate) fans the runs out."""
    momenta = np.array([[0.0], [0.5], [0.9]])
    traj = run(SGD(learning_rate=0.1, momentum=momenta), QUAD, steps=20)
    assert traj.points.shape == (21, 3, 2) and traj.diverged_at.shape == (3,)
    alone = run(SGD(learning_rate=0.1, momentum=0.5), QUAD, steps=20)
    assert_allclose(traj.points[:, 1], alone.points, rtol=1e-15)


@pytest.mark.filterwarnings("error")  # any RuntimeWarning (overflow, invalid) fails
@pytest.mark.parametrize(
    "opt",
    [
        SGD(learning_rate=1e150),
        SGD(learning_rate=np.array([[1e-3], [1e3], [1e300]]), momentum=0.99, nesterov=True),
        Adam(learning_rate=1e300),
        LookaheadNesterov(learning_rate=1e200, momentum=0.99),
        RMSprop(learning_rate=1e308, centered=True),
    ],
    ids=["sgd", "nesterov-batch", "adam", "lookahead", "rmsprop"],
)
def test_overflowing_runs_stop_without_warnings(opt):
    traj = run(opt, rosenbrock(), steps=50)
    assert np.any(traj.diverged)
    first = int(np.max(traj.diverged_at))
    assert np.all(np.isnan(traj.points[first:][..., 0][..., traj.diverged]))


@pytest.mark.filterwarnings("error")
def test_overflowing_gradient_stops_the_run():
    """A gradient that overflows before the point does also counts as divergence."""

    def grad(p):
        return np.where(p[..., :1] > 1.5, np.inf, 1.0) * np.ones_like(p)

    obj = Objective(
        "cliff",
        lambda p: p[..., 0] ** 2,
        grad,
        ((0.0, 0.0),),
        (0.0, 0.0),
        ((-5.0, 5.0), (-5.0, 5.0)),
    )
    traj = run(SGD(learning_rate=0.5), obj, start=[0.0, 0.0], steps=10)
    # x: 0, -0.5, ... moves left with gradient 1: never hits the cliff
    assert traj.diverged_at == -1
    traj = run(SGD(learning_rate=0.5), obj, start=[[2.0, 0.0], [0.0, 0.0]], steps=10)
    assert_array_equal(traj.diverged_at, [1, -1])


def test_lookahead_nesterov_in_the_runner():
    opt = LookaheadNesterov(learning_rate=0.02, momentum=0.9)
    traj = run(opt, QUAD, steps=60)
    w, manual = np.array(QUAD.start), [np.array(QUAD.start)]
    fresh = LookaheadNesterov(learning_rate=0.02, momentum=0.9)
    for _ in range(60):
        w = fresh.step(w, QUAD.grad)
        manual.append(w)
    assert_allclose(traj.points, manual, rtol=1e-14)
    assert traj.losses[-1] < 1e-2 * traj.losses[0]
    # and the look-ahead points are the iterates of Keras' Nesterov form
    keras_form = run(SGD(0.02, momentum=0.9, nesterov=True), QUAD, steps=60)
    assert_allclose(fresh.lookahead(w), keras_form.final, rtol=1e-12)


def test_lookahead_nesterov_batch_with_divergence():
    lrs = np.array([[0.01], [0.5], [5.0]])
    traj = run(LookaheadNesterov(learning_rate=lrs, momentum=0.9), QUAD, steps=100)
    for i in range(3):
        alone = run(LookaheadNesterov(learning_rate=lrs[i, 0], momentum=0.9), QUAD, steps=100)
        assert_allclose(traj.points[:, i], alone.points, rtol=1e-14)
        assert traj.diverged_at[i] == alone.diverged_at
    assert traj.diverged_at[0] == -1 and traj.diverged_at[2] > 0


def test_noisy_objective_runs_reproducibly():
    a = run(SGD(0.05), noisy(QUAD, sigma=0.5, seed=1), steps=30)
    b = run(SGD(0.05), noisy(QUAD, sigma=0.5, seed=1), steps=30)
    c = run(SGD(0.05), QUAD, steps=30)
    assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)


def test_zero_steps_and_labels():
    traj = run(SGD(0.1), QUAD, steps=0)
    assert traj.points.shape == (1, 2) and traj.diverged_at == -1
    assert traj.label() == f"final loss {QUAD(np.array(QUAD.start)):.3g}"
    assert isinstance(traj, Trajectory)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(steps=-1), "steps"),
        (dict(steps=2.5), "steps"),
        (dict(steps=True), "steps"),
        (dict(start=[1.0, 2.0, 3.0]), "start"),
        (dict(start=[np.nan, 0.0]), "start"),
        (dict(start=5.0), "start"),
        (dict(start=np.zeros((3, 2)), optimizer=SGD(np.full((4, 1), 0.1))), "broadcast"),
    ],
)
def test_bad_input_is_a_value_error(kwargs, message):
    opt = kwargs.pop("optimizer", SGD(0.1))
    with pytest.raises(ValueError, match=message):
        run(opt, QUAD, **kwargs)


# --------------------------------------------------------------------------- step functions
def test_run_step_rule_passes_state_and_the_step_number():
    """A step function with two state arrays and t: the runner threads them through."""
    seen = []

    def step(w, a, b, g, t, scale):
        seen.append(t)
        return w - scale * g, a + 1, b + t

    out = run_step_rule(step, lambda w: 2 * w, [1.0, -2.0], 3, n_state=2, with_t=True,
                        scale=0.25)  # fmt: skip
    assert seen == [1, 2, 3] and out.broke_at == -1
    np.testing.assert_allclose(out.points, [[1, -2], [0.5, -1], [0.25, -0.5], [0.125, -0.25]])
    np.testing.assert_allclose(out.step_lengths(), np.linalg.norm(np.diff(out.points, axis=0),
                                                                  axis=1))  # fmt: skip


def test_run_step_rule_stops_at_the_first_broken_step():
    out = run_step_rule(lambda w, g: (w / (w - 1.0),), lambda w: w, [1.0, 2.0], 5)
    assert out.broke_at == 1 and np.all(np.isnan(out.points[2:]))
    with pytest.raises(ValueError, match="steps"):
        run_step_rule(lambda w, g: (w,), lambda w: w, [1.0], True)
