"""lessons_lib.pitfalls: each wrong rule is wrong in exactly the documented way, and right
where the docstring says the mistake does not matter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessons_lib import pitfalls as P
from lessons_lib.ewma import ewma
from lessons_lib.optimizers import Adagrad, Adam, RMSprop

HYPER = {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}


def _first_step(rule, g, t=1, m=0.0, v=0.0, **hyper):
    g = np.asarray(g, dtype=float)
    w, _, _ = rule(
        np.zeros_like(g), np.zeros_like(g) + m, np.zeros_like(g) + v, g, t, **{**HYPER, **hyper}
    )
    return -w


def test_paper_step_matches_library_adam_in_paper_mode():
    rng = np.random.default_rng(1)
    opt = Adam(0.01, 0.8, 0.888, 1e-2, epsilon_mode="paper")
    w = rng.normal(size=3)
    m = v = np.zeros(3)
    for t in range(1, 8):
        g = rng.normal(size=3)
        mine, m, v = P.adam_step_paper(w, m, v, g, t, 0.01, 0.8, 0.888, 1e-2)
        w = opt.step(w, g)
        np.testing.assert_allclose(mine, w, rtol=1e-12, atol=1e-15)


def test_dividing_by_sqrt_eps_makes_steps_huge_and_nan_on_zero_gradients():
    # with a constant gradient the first step is lr * (1-b1)/sqrt(1-b2) / sqrt(eps)
    step = _first_step(P.adam_step_divides_by_sqrt_eps, [0.3, -2.0])
    expected = 0.01 * 0.1 / np.sqrt(0.001) / np.sqrt(1e-8)
    np.testing.assert_allclose(np.abs(step), expected, rtol=1e-12)
    assert np.all(np.sign(step) == np.sign([0.3, -2.0]))
    assert np.isnan(_first_step(P.adam_step_divides_by_sqrt_eps, [0.0])[0])


def test_no_correction_eps_inside_first_step_and_small_gradient_floor():
    big = _first_step(P.adam_step_no_correction_eps_inside, [5.0])
    np.testing.assert_allclose(big, 0.01 * 0.1 / np.sqrt(0.001), rtol=1e-6)  # 3.16 x lr
    # tiny gradient: sqrt(v + eps) ~ sqrt(eps) = 1e-4 dominates, the step collapses
    tiny = _first_step(P.adam_step_no_correction_eps_inside, [1e-7])
    assert tiny[0] < 1e-3 * _first_step(P.adam_step_paper, [1e-7])[0]


@given(st.floats(1e-3, 1e3), st.integers(1, 50))
def test_eps_inside_equals_paper_when_eps_is_negligible(g, t):
    right = _first_step(P.adam_step_paper, [g], t=t, m=0.2 * g, v=0.5 * g * g, epsilon=1e-300)
    wrong = _first_step(
        P.adam_step_eps_inside_sqrt, [g], t=t, m=0.2 * g, v=0.5 * g * g, epsilon=1e-300
    )
    np.testing.assert_allclose(wrong, right, rtol=1e-12)


def test_eps_inside_differs_from_paper_when_eps_matters():
    right = _first_step(P.adam_step_paper, [0.01], epsilon=1e-2)
    wrong = _first_step(P.adam_step_eps_inside_sqrt, [0.01], epsilon=1e-2)
    assert abs(wrong[0] - right[0]) > 0.1 * right[0]


def test_no_bias_correction_converges_to_paper_for_large_t():
    args = dict(m=0.3, v=0.2, epsilon=1e-8)
    early = _first_step(P.adam_step_no_bias_correction, [0.5], t=2, **args)
    late = _first_step(P.adam_step_no_bias_correction, [0.5], t=100_000, **args)
    assert abs(early[0] - _first_step(P.adam_step_paper, [0.5], t=2, **args)[0]) > 1e-4
    np.testing.assert_allclose(late, _first_step(P.adam_step_paper, [0.5], t=100_000, **args))


def test_beta2_099_ignores_the_argument():
    a = _first_step(P.adam_step_beta2_099, [0.4], t=3, m=0.1, v=0.05, beta_2=0.5)
    b = _first_step(P.adam_step_paper, [0.4], t=3, m=0.1, v=0.05, beta_2=0.99)
    c = _first_step(P.adam_step_paper, [0.4], t=3, m=0.1, v=0.05, beta_2=0.999)
    np.testing.assert_allclose(a, b, rtol=1e-14)
    assert abs(a[0] - c[0]) > 1e-6


@pytest.mark.parametrize(
    ("wrong", "keras", "extra"),
    [
        (P.adagrad_step_no_eps, lambda: Adagrad(0.1, epsilon=1e-300), {}),
        (P.rmsprop_step_no_eps, lambda: RMSprop(0.1, rho=0.7, epsilon=1e-300), {"rho": 0.7}),
    ],
)
def test_no_eps_rules_nan_on_a_dead_coordinate_and_match_keras_otherwise(wrong, keras, extra):
    w, s, g = np.array([1.0, 2.0]), np.array([0.3, 0.0]), np.array([0.5, 0.0])
    w_new, _ = wrong(w, s, g, learning_rate=0.1, epsilon=1e-7, **extra)
    assert np.isfinite(w_new[0]) and np.isnan(w_new[1])
    # where s > 0 the rule is Keras' with a negligible epsilon
    opt = keras()
    opt.state["accumulator" if wrong is P.adagrad_step_no_eps else "velocity"] = s.copy()
    np.testing.assert_allclose(w_new[0], opt.step(w, g)[0], rtol=1e-12)


@given(st.floats(0.0, 0.99), st.integers(1, 40), st.integers(0, 1000))
def test_momentum_unrolled_equals_the_recursion(beta, n, seed):
    grads = np.random.default_rng(seed).normal(size=(n, 2))
    np.testing.assert_allclose(
        P.momentum_unrolled(grads, beta), ewma(grads, beta), rtol=1e-10, atol=1e-12
    )


def test_unrolling_over_velocities_averages_twice():
    grads = np.random.default_rng(0).normal(size=50)
    wrong = P.momentum_unrolled_over_velocities(grads, 0.9)
    np.testing.assert_allclose(wrong, ewma(ewma(grads, 0.9), 0.9), atol=1e-12)
    assert np.max(np.abs(wrong - ewma(grads, 0.9))) > 0.1


def test_run_rules_record_the_broken_step_and_stop():
    dead = P.regression_problem(dead_feature=True)
    broken = P.run_accumulator_rule(
        P.adagrad_step_no_eps, dead.grad, dead.w0, 10, learning_rate=0.1, epsilon=1e-7
    )
    assert broken.broke_at == 1
    assert np.isnan(broken.points[1, 2]) and np.all(np.isfinite(broken.points[1, :2]))
    assert np.all(np.isnan(broken.points[2:]))
    fine = P.run_optimizer(Adagrad(0.1, initial_accumulator_value=0.0), dead.grad, dead.w0, 10)
    assert fine.broke_at == -1 and np.all(fine.points[:, 2] == 0.0)
    assert dead.loss(fine.points[-1]) < dead.loss(dead.w0)


def test_run_optimizer_equals_a_hand_loop():
    problem = P.regression_problem(dead_feature=False)
    got = P.run_optimizer(Adam(0.05), problem.grad, problem.w0, 20).points
    opt, w, want = Adam(0.05), problem.w0, [problem.w0]
    for _ in range(20):
        w = opt.step(w, problem.grad(w))
        want.append(w)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-14)
    lengths = P.RuleRun(got, -1).step_lengths()
    np.testing.assert_allclose(lengths, np.linalg.norm(np.diff(want, axis=0), axis=1))


def test_run_adam_rule_matches_run_optimizer_for_the_right_rule():
    problem = P.regression_problem(dead_feature=False)
    a = P.run_adam_rule(P.adam_step_paper, problem.grad, problem.w0, 30, **HYPER).points
    b = P.run_optimizer(
        Adam(0.01, epsilon=1e-8, epsilon_mode="paper"), problem.grad, problem.w0, 30
    ).points
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_regression_gradient_is_the_loss_derivative_and_scales():
    problem = P.regression_problem(dead_feature=True, scale=1e-3)
    w = np.array([0.3, -0.7, 1.1])
    h = 1e-6
    numeric = [(problem.loss(w + h * e) - problem.loss(w - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(problem.grad(w), numeric, rtol=1e-6, atol=1e-12)
    assert problem.grad(w)[2] == 0.0
    unscaled = P.regression_problem(dead_feature=True)
    np.testing.assert_allclose(problem.grad(w), 1e-3 * unscaled.grad(w))


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_regression_rejects_bad_scale(bad):
    with pytest.raises(ValueError, match="scale"):
        P.regression_problem(scale=bad)


def test_run_rejects_bad_input():
    problem = P.regression_problem()
    with pytest.raises(ValueError, match="steps"):
        P.run_optimizer(Adam(), problem.grad, problem.w0, 0)
    with pytest.raises(ValueError, match="w0"):
        P.run_optimizer(Adam(), problem.grad, np.zeros((2, 3)), 5)
